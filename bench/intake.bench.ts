/**
 * `npm run bench:intake`: POST /api/submissions (JSON) on the built submission app, against the raw
 * Fastify + pg reference doing the same durable work (bench/reference/intake-reference.ts), in the
 * same run: autocannon, 20 connections, rounds alternating. The app runs as `npm start` runs it
 * (default log level, its relay publishing each event with confirms); the reference writes into
 * a copy of the app's database, made from it as a template, so both insert into the same tables.
 * node dist/bench/intake.bench.js [secondsPerRound=8] [rounds=3]
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { removeBrokerNamespace } from './support/bench-platform';

const SECONDS = Number(process.argv[2] ?? 8);
const ROUNDS = Number(process.argv[3] ?? 3);
const APP_PORT = 18290;
const REF_PORT = 18291;
const prefix = `bench${randomBytes(3).toString('hex')}`;
const database = `${prefix}_submission`;
const referenceDatabase = `${prefix}_reference`;

const body = JSON.stringify({ name: 'Jana Nováková', email: 'jana@example.com', message: 'We need a new e-shop with card payments and shipping for our 300 products.', company: 'Acme s.r.o.', phone: '+420601123456' });

function admin(): Client {
  return new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database: 'postgres' });
}

async function ready(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await fetch(url).then((r) => r.status < 500).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} was not ready within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startApp(): ChildProcess {
  return spawn(process.execPath, [resolve(__dirname, '..', 'apps', 'submission', 'src', 'main.js')], {
    env: { ...process.env, ENV_FILE: '/nonexistent', SUBMISSION_PORT: String(APP_PORT), POSTGRES_DB_PREFIX: `${prefix}_`, RABBITMQ_NAMESPACE: prefix, BULLMQ_PREFIX: prefix, SUBMISSION_RATE_LIMIT_PER_MINUTE: '0', STORAGE_LOCAL_DIR: `/tmp/${prefix}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function round(url: string): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 20, duration: SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

async function main(): Promise<void> {
  let app: ChildProcess | undefined;
  let reference: ChildProcess | undefined;
  try {
    // The app makes its database (migrations); the reference gets a copy of it.
    app = startApp();
    await ready(`http://127.0.0.1:${APP_PORT}/health/ready`, 'submission');
    await stop(app);
    const pg = admin();
    await pg.connect();
    await pg.query(`CREATE DATABASE "${referenceDatabase}" TEMPLATE "${database}"`);
    await pg.end();
    app = startApp();
    reference = fork(resolve(__dirname, 'reference', 'intake-reference.js'), [String(REF_PORT), referenceDatabase], { stdio: 'inherit' });
    await ready(`http://127.0.0.1:${APP_PORT}/health/ready`, 'submission');
    await ready(`http://127.0.0.1:${REF_PORT}/`, 'the reference');
    const appUrl = `http://127.0.0.1:${APP_PORT}/api/submissions`;
    const refUrl = `http://127.0.0.1:${REF_PORT}/api/submissions`;
    await round(appUrl).catch(() => undefined); // warm-up of both (JIT, pools)
    await round(refUrl);
    const ours: Array<{ rps: number; p99: number }> = [];
    const raw: Array<{ rps: number; p99: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await round(appUrl));
      raw.push(await round(refUrl));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [oRps, rRps] = [mean(ours.map((r) => r.rps)), mean(raw.map((r) => r.rps))];
    const [oP99, rP99] = [Math.max(...ours.map((r) => r.p99)), Math.max(...raw.map((r) => r.p99))];
    const fmt = (rows: Array<{ rps: number }>) => rows.map((r) => r.rps.toFixed(0)).join(', ');
    console.log(
      [
        `intake  POST /api/submissions, JSON, 20 connections, ${ROUNDS} rounds of ${SECONDS} s alternating`,
        `  the project (submission app)   ${oRps.toFixed(0).padStart(6)} req/s   p99 ${String(oP99).padStart(4)} ms   (rounds: ${fmt(ours)})`,
        `  raw Fastify + pg (reference)   ${rRps.toFixed(0).padStart(6)} req/s   p99 ${String(rP99).padStart(4)} ms   (rounds: ${fmt(raw)})`,
        `  ratio project/reference        ${(oRps / rRps).toFixed(2)} throughput (goal ≥ 0.70), ${(oP99 / rP99).toFixed(2)}× p99 (goal ≤ 2)`,
      ].join('\n'),
    );
  } finally {
    await stop(app);
    await stop(reference);
    const pg = admin();
    await pg.connect();
    for (const db of [database, referenceDatabase]) await pg.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await pg.end();
    await removeBrokerNamespace(prefix);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * `npm run bench:footprint`: cold start of the seven built apps to all ready, and each one's idle
 * resident memory once settled, beside a plain Nest app on Fastify (bench/reference/plain-nest.ts)
 * started and measured the same way in the same run. Real PostgreSQL, RabbitMQ and Redis; a fresh
 * namespace, removed afterwards. node dist/bench/footprint.bench.js [settleSeconds=10]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { deleteNamespace } from '@statex/messaging';
import { PLATFORM_APPS } from '../scripts/platform-apps';

const SETTLE_S = Number(process.argv[2] ?? 10);
const prefix = `bench${randomBytes(3).toString('hex')}`;
const REFERENCE_PORT = 18490;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function ready(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!(await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok).catch(() => false))) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within 90 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const apps = PLATFORM_APPS.map((a) => ({ ...a, port: a.port + 10_400 }));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ENV_FILE: '/nonexistent',
    POSTGRES_DB_PREFIX: `${prefix}_`,
    RABBITMQ_NAMESPACE: prefix,
    BULLMQ_PREFIX: prefix,
    STORAGE_LOCAL_DIR: `/tmp/${prefix}`,
    USER_PORTAL_URL: `http://127.0.0.1:${apps.find((a) => a.app === 'user-portal')!.port}`,
    ...Object.fromEntries(apps.map((a) => [a.portVar, String(a.port)])),
  };
  const children: ChildProcess[] = [];
  try {
    const reference = spawn(process.execPath, [resolve(__dirname, 'reference', 'plain-nest.js'), String(REFERENCE_PORT)], { stdio: 'ignore' });
    children.push(reference);
    const refStarted = Date.now();
    await ready(REFERENCE_PORT, reference, 'the plain Nest app');
    const refStartMs = Date.now() - refStarted;

    // As npm start does: every app at once, then wait for all.
    const started = Date.now();
    const running = apps.map((a) => ({ ...a, child: spawn(process.execPath, [resolve(__dirname, '..', 'apps', a.app, 'src', 'main.js')], { env, stdio: 'ignore' }) }));
    children.push(...running.map((r) => r.child));
    const readyAt: Record<string, number> = {};
    await Promise.all(running.map(async (r) => {
      await ready(r.port, r.child, r.app);
      readyAt[r.app] = Date.now() - started;
    }));
    const coldStartMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const rows = running.map((r) => ({ app: r.app, readyMs: readyAt[r.app], rss: rssMb(r.child.pid!) }));
    const referenceRss = rssMb(reference.pid!);
    const total = rows.reduce((s, r) => s + r.rss, 0);
    console.log(
      [
        `footprint  seven apps started at once (as npm start), idle RSS after ${SETTLE_S} s`,
        ...rows.map((r) => `  ${r.app.padEnd(16)} ready after ${String(r.readyMs).padStart(6)} ms   RSS ${r.rss.toFixed(0).padStart(4)} MB   (${(r.rss / referenceRss).toFixed(2)}× the plain app)`),
        `  all seven        ready after ${String(coldStartMs).padStart(6)} ms   RSS ${total.toFixed(0).padStart(4)} MB in all (goal: under 700 MB, all ready under 20 s)`,
        `  plain Nest app   ready after ${String(refStartMs).padStart(6)} ms   RSS ${referenceRss.toFixed(0).padStart(4)} MB (the reference, same run)`,
      ].join('\n'),
    );
  } finally {
    await Promise.all(children.map(stop));
    const pg = new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database: 'postgres' });
    await pg.connect();
    const { rows } = await pg.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}_%`]);
    for (const { datname } of rows) await pg.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await pg.end();
    await deleteNamespace(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', prefix, [1000, 5000, 30000]);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * The logging service's costs, each beside its reference in the same run, on the real PostgreSQL:
 *  1. ingest in lines per second through the service's ingest path (normalise, scrub secrets,
 *     one unnest INSERT per batch into the partitioned `log_lines`) against a raw multi-row
 *     `INSERT … VALUES (…), (…)` of the same lines into the same table, rounds alternating;
 *     and end to end through RabbitMQ (the transport's LogShipper → `<ns>.logs` → the consumer);
 *  2. `GET /api/logs?correlationId=` over one million stored lines (p50, p95, p99), through the
 *     HTTP API with an operator token.
 * Needs a build (`npm run build`): node dist/bench/logging.bench.js [linesPerRound] [storedLines]
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { loadEnv } from '@statex/config';
import { ACCESS_TOKEN_ALGORITHM } from '@statex/contracts';
import { LogShipper } from '@statex/observability';
import { createService } from '@statex/runtime';
import { loggingService } from '../apps/logging/src/logging.app';
import { LoggingEnv } from '../apps/logging/src/logging.env';
import { LogIngestService } from '../apps/logging/src/logs/log-ingest.service';
import { dayOf, LogLinesRepository } from '../apps/logging/src/logs/log-lines.repository';
import { removeBrokerNamespace } from './support/bench-platform';

const LINES_PER_ROUND = Number(process.argv[2] ?? 50_000);
const STORED = Number(process.argv[3] ?? 1_000_000);
const ROUNDS = 3;
const BATCH = 1000;
const QUERIES = 300;
const DAY_MS = 86_400_000;

// The bench's own logger stays quiet and local.
process.env.LOG_SHIPPING = 'off';

const SERVICES = ['submission', 'ai-orchestrator', 'ai-worker', 'notification', 'user-portal'];
const MESSAGES = ['request completed', 'Submission received', 'Analysis completed', 'Delivery failed for good: SMTP 451', 'Classified the request'];

function lines(n: number): Record<string, unknown>[] {
  const start = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    level: i % 50 === 0 ? 'warn' : 'info',
    time: new Date(start + i).toISOString(),
    service: SERVICES[i % SERVICES.length],
    correlationId: randomUUID(),
    message: `${MESSAGES[i % MESSAGES.length]} #${i}`,
    context: 'Bench',
    req: { method: 'POST', url: '/api/submissions', headers: { 'user-agent': 'bench', authorization: '[Redacted]' } },
    res: { statusCode: 202 },
    responseTime: i % 100,
  }));
}

async function rawInsert(client: Client, batch: Record<string, unknown>[]): Promise<void> {
  const values: string[] = [];
  const params: unknown[] = [];
  for (const l of batch) {
    const { level, time, service, correlationId, message, context, ...fields } = l;
    const base = params.length;
    params.push(time, service, level, message, correlationId, context, JSON.stringify(fields));
    values.push(`($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}::jsonb)`);
  }
  await client.query(`INSERT INTO log_lines (time, service, level, message, correlation_id, context, fields) VALUES ${values.join(', ')}`, params);
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A JWKS of one key, and an operator token it verifies (the guard checks the API's callers). */
async function tokens(): Promise<{ server: Server; env: Record<string, string>; operator: string }> {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = 'http://bench.statex';
  const now = Math.floor(Date.now() / 1000);
  const operator = await new SignJWT({ roles: ['operator'], email: 'op@statex.test', email_verified: true })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: 'bench', typ: 'JWT' })
    .setSubject(randomUUID())
    .setIssuer(issuer)
    .setAudience('statex')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const env = { AUTH_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`, AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'statex' };
  return { server, env, operator };
}

/** Deletes the bench's queues and exchanges, and its database. */
async function cleanup(env: LoggingEnv, namespace: string): Promise<void> {
  await removeBrokerNamespace(namespace);
  const admin = new Client({ host: env.POSTGRES_HOST, port: env.POSTGRES_PORT, user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${namespace}_logging" WITH (FORCE)`);
  await admin.end();
}

async function main(): Promise<void> {
  const namespace = `bench${randomBytes(3).toString('hex')}`;
  const auth = await tokens();
  const env = loadEnv(LoggingEnv, {
    ...process.env,
    ...auth.env,
    ENV_FILE: '/nonexistent/.env',
    LOG_LEVEL: 'silent',
    RABBITMQ_NAMESPACE: namespace,
    POSTGRES_DB_PREFIX: `${namespace}_`,
    LOG_RETENTION_DAYS: '30',
  });
  const { app } = await createService(loggingService, env);
  await app.startAllMicroservices();
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const ingest = app.get(LogIngestService);
  const repository = app.get(LogLinesRepository);
  const client = new Client({ host: env.POSTGRES_HOST, port: env.POSTGRES_PORT, user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: `${namespace}_logging` });
  await client.connect();
  const out: string[] = [];
  try {
    // 1. Ingest against a raw multi-row INSERT, alternating rounds.
    await ingest.ingest(lines(BATCH), 'broker');
    await rawInsert(client, lines(BATCH));
    let serviceSeconds = 0;
    let rawSeconds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const forRaw = lines(LINES_PER_ROUND);
      rawSeconds += await timed(async () => {
        for (let i = 0; i < forRaw.length; i += BATCH) await rawInsert(client, forRaw.slice(i, i + BATCH));
      });
      const forService = lines(LINES_PER_ROUND);
      serviceSeconds += await timed(async () => {
        for (let i = 0; i < forService.length; i += BATCH) await ingest.ingest(forService.slice(i, i + BATCH), 'broker');
      });
    }
    const total = ROUNDS * LINES_PER_ROUND;
    const serviceRate = total / serviceSeconds;
    const rawRate = total / rawSeconds;
    out.push(`ingest, ${total} lines in batches of ${BATCH}, ${ROUNDS} alternating rounds:`);
    out.push(`  service ingest path (normalise + scrub + unnest INSERT): ${Math.round(serviceRate)} lines/s`);
    out.push(`  raw multi-row INSERT … VALUES, same table:              ${Math.round(rawRate)} lines/s`);
    out.push(`  ratio service/raw: ${(serviceRate / rawRate).toFixed(2)}`);

    // End to end through the broker: the shipper every service's worker thread runs, and the consumer.
    const marker = randomUUID();
    const shipper = new LogShipper({ url: env.RABBITMQ_URL, namespace, service: 'bench', bufferLines: LINES_PER_ROUND * 2, batchLines: 200, flushMs: 50 }).start();
    await new Promise((r) => setTimeout(r, 500));
    const viaBroker = lines(LINES_PER_ROUND).map((l) => JSON.stringify({ ...l, context: marker }));
    const brokerSeconds = await timed(async () => {
      for (const line of viaBroker) shipper.push(line);
      for (;;) {
        const [{ n }] = (await client.query(`SELECT count(*)::int AS n FROM log_lines WHERE context = $1`, [marker])).rows;
        if (n >= viaBroker.length) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await shipper.close();
    out.push(`  end to end through RabbitMQ (shipper → <ns>.logs → consumer → store): ${Math.round(viaBroker.length / brokerSeconds)} lines/s (${viaBroker.length} lines)`);

    // 2. One million stored lines, ten per correlation id, over the last five days.
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM log_lines`);
    const missing = Math.max(0, STORED - rows[0].n);
    const now = Date.now();
    for (let d = 0; d <= 5; d++) await repository.ensurePartition(dayOf(new Date(now - d * DAY_MS)));
    const fillSeconds = await timed(async () => {
      const chunk = 100_000;
      for (let offset = 0; offset < missing; offset += chunk) {
        await client.query(
          `INSERT INTO log_lines (time, service, level, message, correlation_id, context, fields)
           SELECT now() - (g % 432000) * interval '1 second',
                  (ARRAY['submission','ai-orchestrator','ai-worker','notification','user-portal'])[1 + g % 5],
                  CASE WHEN g % 50 = 0 THEN 'warn' ELSE 'info' END,
                  'request completed for lead ' || (g / 10) || ' step ' || (g % 10),
                  'cid-' || (g / 10), 'Bench', '{"res":{"statusCode":202}}'::jsonb
           FROM generate_series($1::bigint, $2::bigint) AS g`,
          [offset, Math.min(missing, offset + chunk) - 1],
        );
      }
      await client.query('ANALYZE log_lines');
    });
    const stored = (await client.query(`SELECT count(*)::int AS n FROM log_lines`)).rows[0].n as number;
    out.push(`correlation-id query over ${stored} stored lines (filled in ${fillSeconds.toFixed(1)} s):`);

    const operator = { authorization: `Bearer ${auth.operator}` };
    const latencies: number[] = [];
    const dbLatencies: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const correlationId = `cid-${Math.floor(Math.random() * (missing / 10))}`;
      const seconds = await timed(async () => {
        const res = await fastify.inject({ method: 'GET', url: `/api/logs?correlationId=${correlationId}`, headers: operator });
        if (res.statusCode !== 200) throw new Error(`GET /api/logs answered ${res.statusCode}: ${res.body}`);
        if (missing > 0 && (JSON.parse(res.body) as { items: unknown[] }).items.length !== 10) throw new Error(`expected 10 lines for ${correlationId}`);
      });
      latencies.push(seconds * 1000);
      dbLatencies.push((await timed(async () => void (await repository.find({ correlationId, limit: 101 })))) * 1000);
    }
    latencies.sort((a, b) => a - b);
    dbLatencies.sort((a, b) => a - b);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms`;
    out.push(`  GET /api/logs?correlationId= (HTTP, token check, ${QUERIES} queries): ${fmt(latencies)}`);
    out.push(`  the repository query alone:                                  ${fmt(dbLatencies)}`);
    const plan = (await client.query(`EXPLAIN SELECT * FROM log_lines WHERE correlation_id = 'cid-42' ORDER BY time DESC, id DESC LIMIT 101`)).rows
      .map((r: Record<string, string>) => r['QUERY PLAN'])
      .filter((line: string) => /Index|Seq Scan/.test(line))
      .slice(0, 2)
      .map((line: string) => line.trim());
    out.push(`  plan: ${plan.join(' | ')}`);
  } finally {
    await client.end();
    await app.close();
    auth.server.close();
    await cleanup(env, namespace);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);

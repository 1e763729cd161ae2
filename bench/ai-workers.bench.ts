/**
 * Throughput of analysis steps with one ai-worker process (the baseline) and with two, in the
 * same run, on CPU-bound jobs (long texts through the local provider). Prints jobs/s for each
 * and the ratio. Needs Redis and RabbitMQ on localhost and a build (`npm run build`):
 *   node dist/bench/ai-workers.bench.js [jobs]
 */
import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import { AI_STEPS_QUEUE, StepJobData } from '@statex/contracts';
import { removeBrokerNamespace, stopProcess } from './support/bench-platform';

const JOBS = Number(process.argv[2] ?? 200);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TEXT = 'We run a chain of twelve shops and want an online store with card payments, stock sync with our ERP, a loyalty programme and dashboards for sales by region. '.repeat(250);

function startWorkers(count: number, prefix: string): ChildProcess[] {
  const main = resolve(__dirname, '..', 'apps', 'ai-worker', 'src', 'main.js');
  return Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, [main], {
      env: { ...process.env, ENV_FILE: '/nonexistent', BULLMQ_PREFIX: prefix, RABBITMQ_NAMESPACE: prefix, AI_WORKER_PORT: String(18100 + i), AI_WORKER_CONCURRENCY: '1', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    }),
  );
}

async function waitReady(count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < count; i++) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${18100 + i}/health/ready`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`ai-worker on port ${18100 + i} was not ready within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function run(workers: number): Promise<number> {
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const children = startWorkers(workers, prefix);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData>(AI_STEPS_QUEUE, { connection, prefix });
  const events = new QueueEvents(AI_STEPS_QUEUE, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  try {
    await waitReady(workers);
    await events.waitUntilReady();
    // Every job ends, completed or failed; a failure stops the run rather than skewing it, and a
    // run that stalls gives up after ten minutes.
    let done = 0;
    const finished = new Promise<void>((resolveDone, reject) => {
      events.on('completed', () => ++done === JOBS && resolveDone());
      events.on('failed', ({ jobId, failedReason }) => reject(new Error(`job ${jobId} failed: ${failedReason}`)));
      setTimeout(() => reject(new Error(`only ${done} of ${JOBS} jobs completed in 10 minutes`)), 600_000).unref();
    });
    const started = process.hrtime.bigint();
    await queue.addBulk(
      Array.from({ length: JOBS }, (_, i) => ({
        name: 'classify',
        data: { workflowId: `w${i}`, submissionId: `s${i}`, step: (i % 2 ? 'classify' : 'summarize') as StepJobData['step'], text: TEXT, locale: 'en' as const, name: 'Lead' },
      })),
    );
    await finished;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return JOBS / seconds;
  } finally {
    await Promise.all(children.map(stopProcess));
    await removeBrokerNamespace(prefix);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await events.close();
    await connection.quit();
  }
}

async function main(): Promise<void> {
  const one = await run(1);
  const two = await run(2);
  console.log(`ai-worker throughput on ${JOBS} CPU-bound steps:`);
  console.log(`  1 process (baseline): ${one.toFixed(1)} jobs/s`);
  console.log(`  2 processes:          ${two.toFixed(1)} jobs/s`);
  console.log(`  ratio:                ${(two / one).toFixed(2)}x`);
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(`Benchmark failed: ${error.message}`);
  process.exit(1);
});

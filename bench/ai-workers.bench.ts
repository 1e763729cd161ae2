/**
 * Throughput of analysis steps with one ai-worker process (the baseline) and with two, in the
 * same run, on CPU-bound jobs (long texts through the local provider). Prints jobs/s for each
 * and the ratio. Needs Redis and RabbitMQ on localhost and a build (`npm run build`):
 *   node dist/bench/ai-workers.bench.js [jobs=600] [warmupJobsPerWorker=100]
 *
 * Also the CPU the workers got (from /proc) and the jobs done per second of worker CPU. On a
 * machine with fewer free cores than workers, the two workers share cores with Redis, this
 * process and each other, and the throughput ratio measures the machine: jobs per CPU-second
 * that hold steady from one worker to two say the work itself scales, and the ratio a core for
 * each worker would give is twice that efficiency ratio.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import { AI_STEPS_QUEUE, StepJobData } from '@statex/contracts';
import { deleteRedisNamespace } from '@statex/redis';
import { removeBrokerNamespace, stopProcess } from './support/bench-platform';
import { cpuSeconds } from './support/process-cpu';

const JOBS = Number(process.argv[2] ?? 600);
const WARMUP_JOBS_PER_WORKER = Number(process.argv[3] ?? 100);
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

/** Adds `count` CPU-bound steps and resolves when all have completed; a failure stops the run rather than skewing it. */
async function batch(queue: Queue<StepJobData>, events: QueueEvents, count: number, tag: string): Promise<void> {
  const jobIds = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  const waiting = new Set(jobIds);
  let settle: (error?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolveDone, reject) => (settle = (error) => (error ? reject(error) : resolveDone())));
  const onCompleted = ({ jobId }: { jobId: string }) => {
    if (waiting.delete(jobId) && waiting.size === 0) settle();
  };
  const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => settle(new Error(`job ${jobId} failed: ${failedReason}`));
  const timer = setTimeout(() => settle(new Error(`${waiting.size} of ${count} jobs still not completed after 10 minutes`)), 600_000);
  events.on('completed', onCompleted);
  events.on('failed', onFailed);
  try {
    await queue.addBulk(
      jobIds.map((jobId, i) => ({
        name: 'classify',
        data: { workflowId: jobId, submissionId: `s${i}`, step: (i % 2 ? 'classify' : 'summarize') as StepJobData['step'], text: TEXT, locale: 'en' as const, name: 'Lead' },
        opts: { jobId },
      })),
    );
    await finished;
  } finally {
    clearTimeout(timer);
    events.off('completed', onCompleted);
    events.off('failed', onFailed);
  }
}

interface Run {
  jobsPerSecond: number;
  /** The workers' CPU over the run, in cores (1 = one core busy throughout). */
  workerCores: number;
  /** Jobs done per CPU-second the workers used: what one worker does with a core of its own. */
  jobsPerCpuSecond: number;
}

async function run(workers: number): Promise<Run> {
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const children = startWorkers(workers, prefix);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData>(AI_STEPS_QUEUE, { connection, prefix });
  const events = new QueueEvents(AI_STEPS_QUEUE, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  try {
    await waitReady(workers);
    await events.waitUntilReady();
    // Each worker warms up first (its first jobs run cold code: counted, they made two cold workers
    // look less efficient than one warm one), then the measured batch.
    await batch(queue, events, WARMUP_JOBS_PER_WORKER * workers, 'warmup');
    const cpuAtStart = children.map((c) => cpuSeconds(c.pid!));
    const started = process.hrtime.bigint();
    await batch(queue, events, JOBS, 'measured');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = children.reduce((sum, c, i) => sum + cpuSeconds(c.pid!) - cpuAtStart[i], 0);
    return { jobsPerSecond: JOBS / seconds, workerCores: cpu / seconds, jobsPerCpuSecond: JOBS / cpu };
  } finally {
    await Promise.all(children.map(stopProcess));
    await removeBrokerNamespace(prefix);
    // The queue, its jobs and its events: every key under the run's prefix.
    await deleteRedisNamespace(REDIS_URL, prefix);
    await queue.close();
    await events.close();
    await connection.quit();
  }
}

async function main(): Promise<void> {
  const one = await run(1);
  const two = await run(2);
  const line = (label: string, r: Run) =>
    `  ${label.padEnd(22)} ${r.jobsPerSecond.toFixed(1).padStart(6)} jobs/s   workers' CPU ${r.workerCores.toFixed(2)} cores   ${r.jobsPerCpuSecond.toFixed(1).padStart(6)} jobs per CPU-second`;
  const efficiency = two.jobsPerCpuSecond / one.jobsPerCpuSecond;
  console.log(
    [
      `ai-worker throughput on ${JOBS} CPU-bound steps after ${WARMUP_JOBS_PER_WORKER} per worker to warm up (${cpus().length} cores on this machine):`,
      line('1 process (baseline):', one),
      line('2 processes:', two),
      `  ratio:                 ${(two.jobsPerSecond / one.jobsPerSecond).toFixed(2)}x measured; jobs per CPU-second ${efficiency.toFixed(2)}x of one, so with a core for each worker ${(2 * efficiency).toFixed(2)}x (goal ≥ 1.7x)`,
    ].join('\n'),
  );
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(`Benchmark failed: ${error.message}`);
  process.exit(1);
});

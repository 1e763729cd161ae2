import { hostname } from 'node:os';
import { Job, Queue } from 'bullmq';
import Redis from 'ioredis';
import { AI_STEPS_QUEUE, StepJobData, StepResult } from '@statex/contracts';
import { BrokerProbe, ServiceProcess, testProcessEnv, uniqueNamespace, waitFor } from '@statex/testing';

const TEXTS = [
  'We need an online shop with card payments.',
  'Build us a mobile app for iOS and Android.',
  'Dashboards and KPI reports from our SQL database.',
  'Integrate our ERP with the CRM through an API.',
];

async function processedBy(worker: ServiceProcess): Promise<number> {
  const metrics = await (await fetch(`${worker.url}/metrics`)).text();
  return [...metrics.matchAll(/^statex_ai_steps_total\{[^}]*outcome="completed"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Several ai-worker processes compete for one queue: each job is done by exactly one of them. */
describe('two ai-worker processes on one queue', () => {
  const namespace = uniqueNamespace('wrk');
  const env = testProcessEnv(namespace, { AI_WORKER_CONCURRENCY: 2 });
  const workers = [new ServiceProcess('ai-worker', 18004, { ...env, AI_WORKER_PORT: '18004' }), new ServiceProcess('ai-worker', 18014, { ...env, AI_WORKER_PORT: '18014' })];
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData, StepResult>(AI_STEPS_QUEUE, { connection, prefix: namespace });

  const addBatch = async (label: string, count: number, repeat = 20) => {
    const jobs = await queue.addBulk(
      Array.from({ length: count }, (_, i) => ({
        name: 'classify',
        data: { workflowId: `${label}-${i}`, submissionId: `${label}-${i}`, step: 'classify' as const, text: TEXTS[i % TEXTS.length].repeat(repeat), locale: 'en' as const, name: 'Lead' },
        opts: { jobId: `${label}-${i}`, attempts: 3 },
      })),
    );
    return jobs.map((j) => j.id!);
  };
  // The state is read first and the job data only once every job is completed: reading the data first
  // could catch a job before it started and report it completed a moment later with stale counters.
  const allCompleted = async (ids: string[]) => {
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    if (!states.every((s) => s === 'completed')) return false;
    return Promise.all(ids.map((id) => Job.fromId<StepJobData, StepResult>(queue, id)));
  };

  beforeAll(async () => {
    for (const worker of workers) worker.start();
    for (const worker of workers) await worker.ready(60_000);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit();
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['ai-worker']);
    await probe.stop();
  });

  it('share a batch of 80 jobs, each done exactly once', async () => {
    const before = await Promise.all(workers.map(processedBy));
    const ids = await addBatch('batch', 80);
    const jobs = await waitFor(() => allCompleted(ids), { timeoutMs: 60_000, intervalMs: 200, what: '80 completed jobs' });
    expect(jobs.filter((j) => j!.attemptsStarted !== 1).map((j) => j!.id)).toEqual([]);
    const pids = new Set(jobs.map((j) => j!.returnvalue.worker));
    expect(pids.size).toBe(2);
    const after = await Promise.all(workers.map(processedBy));
    const [a, b] = [after[0] - before[0], after[1] - before[1]];
    expect(a + b).toBe(80);
    expect(Math.min(a, b)).toBeGreaterThan(0);
  });

  it('a worker stopped with SIGTERM finishes its in-flight jobs; the other takes the rest', async () => {
    // Long texts, so each job takes long enough that the worker surely holds some when the signal comes.
    const ids = await addBatch('sigterm', 60, 400);
    const stopping = String(workers[0].pid);
    // The signal goes while the stopping worker holds a job of the batch (BullMQ records the worker's name on it).
    const holding = `${hostname()}:${stopping}`;
    await waitFor(async () => (await queue.getActive()).some((job) => job.processedBy === holding && ids.includes(job.id!)), { what: 'the stopping worker to hold a job', intervalMs: 5 });
    const signalledAt = Date.now();
    await workers[0].stop('SIGTERM');
    const jobs = await waitFor(() => allCompleted(ids), { timeoutMs: 60_000, intervalMs: 200, what: '60 completed jobs' });
    // It had jobs in flight when the signal came, and finished them before it exited.
    const finishedAfterSignal = jobs.filter((j) => j!.returnvalue.worker === stopping && j!.finishedOn! >= signalledAt);
    expect(finishedAfterSignal.length).toBeGreaterThan(0);
    // Started once each: none was abandoned mid-way and run again, none failed.
    expect(jobs.filter((j) => j!.attemptsStarted !== 1 || j!.failedReason).map((j) => `${j!.id}: started ${j!.attemptsStarted}, ${j!.failedReason}`)).toEqual([]);
    expect(await queue.getFailedCount()).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import Redis from 'ioredis';
import { AI_STEPS_QUEUE, RequestCreatedEvent, StepJobData } from '@statex/contracts';

/** A lead's `request.created`, as submission publishes it, with this message. */
export function requestCreated(message: string): RequestCreatedEvent {
  return { submissionId: randomUUID(), name: 'Jana', email: 'jana@example.com', message, contactChannel: 'email', attachments: [], createdAt: new Date().toISOString() };
}

/**
 * A worker on the namespace's `ai-steps` queue whose every step throws "provider exploded on
 * <step>", in place of a real ai-worker. Close it when done.
 */
export function explodingStepWorker(namespace: string): { close(): Promise<void> } {
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const worker = new Worker<StepJobData>(
    AI_STEPS_QUEUE,
    async (job) => {
      throw new Error(`provider exploded on ${job.data.step}`);
    },
    { connection, prefix: namespace },
  );
  return {
    close: async () => {
      await worker.close();
      await connection.quit();
    },
  };
}

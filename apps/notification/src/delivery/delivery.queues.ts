import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { NotificationEnv } from '../notification.env';
import type { Notification } from '../notifications/entities';
import { NotificationRepository } from '../notifications/notification.repository';
import { DeliveryError } from '../channels/channel.types';
import { DeliveryProcessor, DeliveryJob } from './delivery.processor';

export const QUEUED_CHANNELS = ['email', 'telegram', 'whatsapp'] as const;
export type QueuedChannel = (typeof QUEUED_CHANNELS)[number];

/** Exponential backoff with full jitter, unless the provider said when to come back. */
export function backoffDelay(attemptsMade: number, baseMs: number, error?: Error): number {
  if (error instanceof DeliveryError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const ceiling = Math.min(baseMs * 2 ** Math.max(attemptsMade - 1, 0), 10 * 60_000);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * A BullMQ queue per channel with its own worker: per-channel concurrency and rate limit
 * (Telegram's 30 messages a second), retries with backoff. A job's id is derived from the
 * notification, its run and its hop, so the same delivery is never enqueued twice.
 */
@Injectable()
export class DeliveryQueues implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryQueues.name);
  private readonly connections: Redis[] = [];
  readonly queues = new Map<QueuedChannel, Queue<DeliveryJob>>();
  private readonly workers: Worker<DeliveryJob>[] = [];
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly env: NotificationEnv,
    private readonly processor: DeliveryProcessor,
    private readonly notifications: NotificationRepository,
  ) {
    for (const channel of QUEUED_CHANNELS) {
      this.queues.set(channel, new Queue<DeliveryJob>(`notifications-${channel}`, { connection: this.connection(), prefix: env.BULLMQ_PREFIX }));
    }
  }

  private connection(): Redis {
    const connection = new Redis(this.env.REDIS_URL, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    this.connections.push(connection);
    return connection;
  }

  onApplicationBootstrap(): void {
    const rates: Record<QueuedChannel, number> = {
      email: this.env.EMAIL_RATE_PER_SECOND,
      telegram: this.env.TELEGRAM_RATE_PER_SECOND,
      whatsapp: this.env.WHATSAPP_RATE_PER_SECOND,
    };
    for (const channel of QUEUED_CHANNELS) {
      const worker = new Worker<DeliveryJob>(`notifications-${channel}`, (job: Job<DeliveryJob>) => this.processor.process(job.data, job.attemptsMade, this.env.NOTIFICATION_MAX_ATTEMPTS), {
        connection: this.connection(),
        prefix: this.env.BULLMQ_PREFIX,
        concurrency: this.env.NOTIFICATION_CONCURRENCY,
        limiter: { max: rates[channel], duration: 1000 },
        lockDuration: this.env.NOTIFICATION_STALLED_AFTER_MS,
        stalledInterval: this.env.NOTIFICATION_STALLED_AFTER_MS,
        settings: { backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => backoffDelay(attemptsMade, this.env.NOTIFICATION_BACKOFF_MS, error) },
      });
      worker.on('error', (error) => this.logger.warn(`Worker ${channel}: ${error.message}`));
      this.workers.push(worker);
    }
    this.processor.enqueue = (n) => this.enqueue(n);
    // A notification committed but not enqueued (the process died in between) is found and enqueued.
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), 15_000);
    this.sweeper.unref();
  }

  async enqueue(n: Pick<Notification, 'id' | 'channel' | 'hop' | 'generation'>): Promise<void> {
    const queue = this.queues.get(n.channel as QueuedChannel);
    if (!queue) throw new Error(`No delivery queue for channel ${n.channel}`);
    await queue.add(
      'deliver',
      { notificationId: n.id, hop: n.hop, generation: n.generation },
      {
        jobId: `${n.id}-${n.generation}-${n.hop}`,
        attempts: this.env.NOTIFICATION_MAX_ATTEMPTS,
        backoff: { type: 'custom' },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  private async sweep(): Promise<void> {
    try {
      for (const n of await this.notifications.stuck(new Date(Date.now() - 10_000))) {
        if (n.channel !== 'linkedin') await this.enqueue(n);
      }
    } catch (error) {
      this.logger.warn(`Sweeping notifications failed: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    // Workers finish their in-flight jobs; unfinished ones are picked up again after a restart.
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

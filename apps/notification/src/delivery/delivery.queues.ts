import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { DatabaseOutage } from '@statex/persistence';
import { NotificationEnv } from '../notification.env';
import type { Notification } from '../notifications/entities';
import { NotificationRepository } from '../notifications/notification.repository';
import { DeliveryError } from '../channels/channel.types';
import { DeliveryProcessor, DeliveryJob } from './delivery.processor';

export const QUEUED_CHANNELS = ['email', 'telegram', 'whatsapp'] as const;
export type QueuedChannel = (typeof QUEUED_CHANNELS)[number];

/** The longest a provider's retry_after pauses a channel before the next try (a flood ban may ask for hours). */
export const CHANNEL_COOLDOWN_CAP_MS = 60_000;

/** Exponential backoff with jitter (between half and all of the doubled delay), capped at ten minutes. */
export function backoffDelay(attemptsMade: number, baseMs: number): number {
  const ceiling = Math.min(baseMs * 2 ** Math.max(attemptsMade - 1, 0), 10 * 60_000);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export const queueNameOf = (channel: QueuedChannel) => `notifications-${channel}`;

/**
 * Messages sent after the fact, which nobody is waiting on at the moment they are sent: the
 * analysis results follow an acknowledgement the lead already has. When a channel has a backlog,
 * they wait behind the messages someone is waiting for (an acknowledgement, a verification link,
 * a password reset), so a burst of results never delays those.
 */
const FOLLOW_UP_TEMPLATES: ReadonlySet<string> = new Set(['analysis-results']);

/** BullMQ's priority for a template's deliveries: none (first) for the rest, 10 for follow-ups. */
export const deliveryPriority = (template: string): number | undefined => (FOLLOW_UP_TEMPLATES.has(template) ? 10 : undefined);

/** What enqueuing a delivery needs to know of its notification. */
export type EnqueuedNotification = Pick<Notification, 'id' | 'channel' | 'hop' | 'generation' | 'template'>;

/** The channel queues, registered with @nestjs/bullmq (connection and prefix from its root config). */
export const deliveryQueuesModule = () => BullModule.registerQueue(...QUEUED_CHANNELS.map((channel) => ({ name: queueNameOf(channel) })));

/**
 * A BullMQ queue per channel with its own worker: per-channel concurrency and rate limit
 * (Telegram's 30 messages a second), retries with backoff. A job's id is derived from the
 * notification, its run and its hop, so the same delivery is never enqueued twice.
 *
 * The workers are built here rather than as @Processor classes: their rate limit, stall time and
 * backoff strategy come from the validated env, and @Processor options are static decorator
 * metadata. They connect with their queue's own options, so @nestjs/bullmq's root config is the
 * one place that names Redis.
 */
@Injectable()
export class DeliveryQueues implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryQueues.name);
  readonly queues: ReadonlyMap<QueuedChannel, Queue<DeliveryJob>>;
  private readonly workers: Worker<DeliveryJob>[] = [];
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly env: NotificationEnv,
    private readonly processor: DeliveryProcessor,
    private readonly notifications: NotificationRepository,
    private readonly outage: DatabaseOutage,
    @InjectQueue(queueNameOf('email')) email: Queue<DeliveryJob>,
    @InjectQueue(queueNameOf('telegram')) telegram: Queue<DeliveryJob>,
    @InjectQueue(queueNameOf('whatsapp')) whatsapp: Queue<DeliveryJob>,
  ) {
    this.queues = new Map<QueuedChannel, Queue<DeliveryJob>>([
      ['email', email],
      ['telegram', telegram],
      ['whatsapp', whatsapp],
    ]);
    for (const queue of this.queues.values()) queue.on('error', (error) => this.logger.warn(`Queue ${queue.name}: ${error.message}`));
  }

  onApplicationBootstrap(): void {
    const rates: Record<QueuedChannel, number> = {
      email: this.env.EMAIL_RATE_PER_SECOND,
      telegram: this.env.TELEGRAM_RATE_PER_SECOND,
      whatsapp: this.env.WHATSAPP_RATE_PER_SECOND,
    };
    const concurrency: Record<QueuedChannel, number> = {
      email: this.env.EMAIL_CONCURRENCY,
      telegram: this.env.TELEGRAM_CONCURRENCY,
      whatsapp: this.env.WHATSAPP_CONCURRENCY,
    };
    for (const channel of QUEUED_CHANNELS) {
      const queue = this.queues.get(channel)!;
      const deliver = async (job: Job<DeliveryJob>) => {
        // A job put back by a channel cooldown keeps its attemptsMade; every start counts, so a
        // provider that keeps answering 429 still ends in the fallback after the last attempt.
        // Starts put back because the database was down do not count: the outage is not the message's.
        const attemptsMade = Math.max(job.attemptsMade, job.attemptsStarted - 1 - (job.data.outageStarts ?? 0));
        try {
          await this.processor.process(job.data, attemptsMade, this.env.NOTIFICATION_MAX_ATTEMPTS);
        } catch (error) {
          // The database does not answer: the whole channel waits a second and the job goes back to
          // waiting, its attempts untouched; nothing is failed or moved to a fallback for an outage.
          if (await this.outage.isDown()) {
            await job.updateData({ ...job.data, outageStarts: (job.data.outageStarts ?? 0) + 1 }).catch(() => undefined);
            await worker.rateLimit(1000);
            throw Worker.RateLimitError();
          }
          // The provider said when to come back (Telegram's 429 retry_after): the limit is the bot's or
          // the number's, not the message's, so the whole channel waits (every process on this queue),
          // at most CHANNEL_COOLDOWN_CAP_MS at a time.
          if (error instanceof DeliveryError && error.retryAfterMs !== undefined) {
            await worker.rateLimit(Math.min(error.retryAfterMs, CHANNEL_COOLDOWN_CAP_MS));
            throw Worker.RateLimitError();
          }
          throw error;
        }
      };
      const worker: Worker<DeliveryJob> = new Worker<DeliveryJob>(queue.name, deliver, {
        connection: queue.opts.connection,
        prefix: queue.opts.prefix,
        telemetry: queue.opts.telemetry,
        concurrency: concurrency[channel],
        limiter: { max: rates[channel], duration: 1000 },
        lockDuration: this.env.NOTIFICATION_STALLED_AFTER_MS,
        stalledInterval: this.env.NOTIFICATION_STALLED_AFTER_MS,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, this.env.NOTIFICATION_BACKOFF_MS) },
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

  /**
   * Enqueues a notification already committed, for a caller that must not wait on Redis: when it
   * is down or slow, the request that stored the notification still answers, and the sweeper
   * enqueues the row later (the job id keeps a late duplicate out).
   */
  async enqueueCommitted(n: EnqueuedNotification): Promise<void> {
    const adding = this.enqueue(n);
    adding.catch((error: Error) => this.logger.warn(`Enqueuing notification ${n.id} failed; the sweeper retries: ${error.message}`));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    await Promise.race([adding.catch(() => undefined), late]).finally(() => clearTimeout(timer));
  }

  async enqueue(n: EnqueuedNotification): Promise<void> {
    const queue = this.queues.get(n.channel as QueuedChannel);
    if (!queue) throw new Error(`No delivery queue for channel ${n.channel}`);
    await queue.add(
      'deliver',
      { notificationId: n.id, hop: n.hop, generation: n.generation },
      {
        jobId: `${n.id}-${n.generation}-${n.hop}`,
        priority: deliveryPriority(n.template),
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
    // @nestjs/bullmq closes the queues.
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RoutingKey } from '@statex/contracts';
import { OutboxService } from '@statex/messaging';
import { DatabaseOutage } from '@statex/persistence';
import { withLogContext } from '@statex/observability';
import { ChannelSender, DeliveryError, RenderedMessage } from '../channels/channel.types';
import { EmailChannel } from '../channels/email.channel';
import { TelegramChannel } from '../channels/telegram.channel';
import { WhatsAppChannel } from '../channels/whatsapp.channel';
import { ERASED, isJourneyNotification, type Notification, type NotificationStatus } from '../notifications/entities';
import { notificationMetrics } from '../notifications/notification.metrics';
import { NotificationRepository } from '../notifications/notification.repository';
import { TemplateRenderer } from '../templates/template.renderer';
import type { EnqueuedNotification } from './delivery.queues';

export interface DeliveryJob {
  notificationId: string;
  hop: number;
  generation: number;
  /** Starts put back because the database was down: not counted as attempts. */
  outageStarts?: number;
}

export type HopOutcome = 'enqueue' | 'manual';

/**
 * Delivers one hop of a notification and moves it along its route: sent; retried (the job
 * throws, BullMQ backs off); or, when the error is permanent or the attempts run out, on to
 * the next channel of the route (a LinkedIn hop becomes a manual task) or failed.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);
  private readonly senders: Record<string, ChannelSender>;
  /** Set by DeliveryQueues once the queues exist. */
  enqueue: (n: EnqueuedNotification) => Promise<void> = async () => {
    throw new Error('Delivery queues are not started');
  };

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly renderer: TemplateRenderer,
    private readonly outbox: OutboxService,
    private readonly outage: DatabaseOutage,
    email: EmailChannel,
    telegram: TelegramChannel,
    whatsapp: WhatsAppChannel,
  ) {
    this.senders = { email, telegram, whatsapp };
  }

  /** Makes `hop` the current one, in the caller's transaction. The caller enqueues after commit when told to. */
  async enterHop(manager: EntityManager, n: Notification, hop: number): Promise<HopOutcome> {
    const target = n.route[hop];
    if (target.channel === 'linkedin') {
      const text = this.renderer.render(n.template, 'linkedin', n.locale, n.data).text;
      await this.notifications.update(manager, n.id, { hop, channel: target.channel, recipient: target.recipient, status: 'manual_pending', manualText: text });
      await this.outbox.add(
        manager,
        RoutingKey.NotificationManualPending,
        { notificationId: n.id, correlationId: n.correlationId ?? undefined, journey: isJourneyNotification(n), channel: 'linkedin', template: n.template, recipient: target.recipient, text, createdAt: new Date().toISOString() },
        { correlationId: n.correlationId ?? undefined },
      );
      return 'manual';
    }
    // A notification just created is already queued on its first hop: nothing to write then.
    const already = n.hop === hop && n.channel === target.channel && n.recipient === target.recipient && n.status === 'queued';
    if (!already) await this.notifications.update(manager, n.id, { hop, channel: target.channel, recipient: target.recipient, status: 'queued' });
    return 'enqueue';
  }

  async process(job: DeliveryJob, attemptsMade: number, maxAttempts: number): Promise<void> {
    // A job of an earlier run or hop, or for a settled, cancelled or erased notification, has nothing to do.
    const claimed = await this.notifications.claimForDelivery(job.notificationId, job.generation, job.hop);
    if (!claimed) return;
    const { notification: n, previousStatus } = claimed;
    // Every log line of the delivery carries the journey's correlation id.
    return withLogContext({ correlationId: n.correlationId ?? undefined, notificationId: n.id }, () => this.deliver(n, previousStatus, attemptsMade, maxAttempts));
  }

  private async deliver(n: Notification, previousStatus: NotificationStatus, attemptsMade: number, maxAttempts: number): Promise<void> {
    const target = n.route[n.hop];
    if (previousStatus === 'sending') {
      // Recorded as sending, never as sent or failed: the last attempt stopped mid-send (a crash).
      // The provider may have the message already and none of them can be asked, so it is sent
      // again (email keeps its Message-ID, so a mail client shows one) and the risk is on record.
      const interrupted = 'interrupted: the previous attempt stopped mid-send; sending again, the recipient may get this twice';
      await this.notifications.transaction((m) =>
        this.notifications.addAttempt(m, { notificationId: n.id, at: new Date(), channel: target.channel, recipient: target.recipient, outcome: 'failed', error: interrupted }, false),
      );
      this.logger.warn({ notificationId: n.id, channel: target.channel }, interrupted);
    }
    const sender = this.senders[target.channel];

    let providerMessageId: string;
    try {
      if (!sender) throw new DeliveryError(`No sender for channel ${target.channel}`, true);
      let message: RenderedMessage;
      try {
        message = this.renderer.render(n.template, target.channel, n.locale, n.data);
      } catch (error) {
        throw new DeliveryError(`Rendering ${n.template} failed: ${(error as Error).message}`, true);
      }
      const firstContact = target.channel === 'whatsapp' ? !(await this.notifications.hasReached('whatsapp', target.recipient)) : false;
      providerMessageId = await sender.send({ notificationId: n.id, recipient: target.recipient, locale: n.locale, template: n.template, message, data: n.data, firstContact });
    } catch (caught) {
      const error = caught instanceof DeliveryError ? caught : new DeliveryError((caught as Error).message, false);
      await this.onFailure(n, error, error.permanent || attemptsMade + 1 >= maxAttempts);
      if (!error.permanent && attemptsMade + 1 < maxAttempts) throw error;
      return;
    }

    const sentAt = new Date();
    // Sent: the outcome is recorded whatever happens to the database meanwhile (waiting for it
    // rather than failing the job, which would send the message again).
    // Erased while it was being sent (its account was deleted): it was sent, but the address is not
    // written back (recordSent writes ERASED in the attempt and the event then).
    const event = this.outbox.row(
      RoutingKey.NotificationSent,
      { notificationId: n.id, correlationId: n.correlationId ?? undefined, journey: isJourneyNotification(n), channel: target.channel, template: n.template, recipient: target.recipient, providerMessageId, sentAt: sentAt.toISOString() },
      { correlationId: n.correlationId ?? undefined },
    );
    await this.outage.retryThroughOutage(`Recording notification ${n.id} as sent`, () =>
      this.notifications.recordSent({ id: n.id, at: sentAt, channel: target.channel, recipient: target.recipient, providerMessageId }, event),
    );
    notificationMetrics.deliveries.inc({ channel: target.channel, outcome: 'sent' });
  }

  private async onFailure(n: Notification, error: DeliveryError, final: boolean): Promise<void> {
    const target = n.route[n.hop];
    const now = new Date();
    let next: HopOutcome | undefined;
    let erased = false;
    await this.notifications.transaction(async (m) => {
      if (await this.erasedMeanwhile(m, n)) {
        // Its account was deleted while this attempt ran: recorded without the address, and no further hop.
        erased = true;
        await this.notifications.addAttempt(m, { notificationId: n.id, at: now, channel: target.channel, recipient: ERASED, outcome: 'failed', error: error.message.split(target.recipient).join(ERASED) });
        return;
      }
      await this.notifications.addAttempt(m, { notificationId: n.id, at: now, channel: target.channel, recipient: target.recipient, outcome: 'failed', error: error.message });
      if (!final) {
        await this.notifications.update(m, n.id, { status: 'queued', lastError: error.message });
        return;
      }
      if (n.hop + 1 < n.route.length) {
        const fallback = n.route[n.hop + 1];
        await this.notifications.addAttempt(m, { notificationId: n.id, at: now, channel: fallback.channel, recipient: fallback.recipient, outcome: 'fallback', error: `${target.channel} failed: ${error.message}` }, false);
        await this.notifications.update(m, n.id, { lastError: error.message });
        next = await this.enterHop(m, n, n.hop + 1);
        return;
      }
      await this.notifications.update(m, n.id, { status: 'failed', lastError: error.message });
      await this.outbox.add(
        m,
        RoutingKey.NotificationFailed,
        { notificationId: n.id, correlationId: n.correlationId ?? undefined, journey: isJourneyNotification(n), channel: target.channel, template: n.template, recipient: target.recipient, reason: error.message, failedAt: now.toISOString() },
        { correlationId: n.correlationId ?? undefined },
      );
    });
    if (erased) return;
    notificationMetrics.deliveries.inc({ channel: target.channel, outcome: final ? (next ? 'fallback' : 'failed') : 'retried' });
    if (next === 'enqueue') {
      const fallback = n.route[n.hop + 1];
      await this.enqueue({ id: n.id, channel: fallback.channel, hop: n.hop + 1, generation: n.generation, template: n.template });
    }
    if (final) this.logger.warn({ notificationId: n.id, channel: target.channel, fallback: next ?? null }, `Delivery failed for good: ${error.message}`);
  }

  /** Locks the row and says whether it was erased (`user.deleted`) since this delivery read it. */
  private async erasedMeanwhile(m: EntityManager, n: Notification): Promise<boolean> {
    const current = await this.notifications.lock(m, n.id);
    return Boolean(current?.erasedAt);
  }
}

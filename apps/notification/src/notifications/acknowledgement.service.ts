import { Injectable, Logger } from '@nestjs/common';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { EventContext, InboxService, OutboxService } from '@statex/messaging';
import { EmailDeliveryError, EmailSender } from '../email/email.sender';
import { acknowledgementEmail } from './acknowledgement.template';
import { NotificationRepository } from './notification.repository';

const CONSUMER = 'notification.acknowledgement';
const TEMPLATE = 'acknowledgement';

/**
 * Acknowledges every new request by email. The notification row is created before
 * the send and marked sent (with the inbox marker and `notification.sent` in the
 * same transaction) after it, so a redelivered `request.created` sends nothing twice
 * unless the process died between the SMTP answer and that commit.
 */
@Injectable()
export class AcknowledgementService {
  private readonly logger = new Logger(AcknowledgementService.name);

  constructor(
    private readonly notifications: NotificationRepository,
    private readonly email: EmailSender,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
  ) {}

  async acknowledge(event: RequestCreatedEvent, ctx: EventContext): Promise<void> {
    if (await this.inbox.hasProcessed(CONSUMER, ctx.messageId)) return;
    const notification = await this.notifications.findOrCreate({
      dedupeKey: `${TEMPLATE}:${event.submissionId}:email`,
      correlationId: event.submissionId,
      channel: 'email',
      recipient: event.email,
      template: TEMPLATE,
      locale: 'en',
    });
    if (notification.status === 'sent' || notification.status === 'failed') {
      // Settled by an earlier copy of this event: nothing more to do.
      await this.inbox.once(CONSUMER, ctx, async () => undefined);
      return;
    }
    await this.notifications.markSending(notification.id);
    const common = { notificationId: notification.id, correlationId: event.submissionId, channel: 'email' as const, template: TEMPLATE, recipient: event.email };

    let providerMessageId: string;
    try {
      providerMessageId = await this.email.send({ to: event.email, messageId: `<${notification.id}@statex>`, ...acknowledgementEmail(event) });
    } catch (error) {
      const reason = (error as Error).message;
      const final = (error instanceof EmailDeliveryError && error.permanent) || ctx.isFinalAttempt;
      if (!final) {
        await this.notifications.recordFailedAttempt(undefined, notification.id, reason, false);
        throw error;
      }
      await this.inbox.once(CONSUMER, ctx, async (manager) => {
        await this.notifications.recordFailedAttempt(manager, notification.id, reason, true);
        await this.outbox.add(manager, RoutingKey.NotificationFailed, { ...common, reason, failedAt: new Date().toISOString() }, { correlationId: event.submissionId });
      });
      this.logger.error({ submissionId: event.submissionId, reason }, 'Acknowledgement failed for good');
      return;
    }

    const sentAt = new Date();
    await this.inbox.once(CONSUMER, ctx, async (manager) => {
      await this.notifications.markSent(manager, notification.id, providerMessageId, sentAt);
      await this.outbox.add(manager, RoutingKey.NotificationSent, { ...common, providerMessageId, sentAt: sentAt.toISOString() }, { correlationId: event.submissionId });
    });
    this.logger.log({ submissionId: event.submissionId, notificationId: notification.id }, 'Acknowledgement sent');
  }
}

import { BadRequestException, Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AiAnalysisCompletedEvent, NotificationRequestedEvent, RequestCreatedEvent, RoutingKey, UserDeletedEvent } from '@statex/contracts';
import { EventContext, PermanentMessageError } from '@statex/messaging';
import { journeyDedupeKey } from './entities';
import { NotificationRepository } from './notification.repository';
import { NotificationService } from './notification.service';

/** Bad requests in an event cannot be fixed by retrying: park them at once. */
async function permanentOnBadRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BadRequestException) throw new PermanentMessageError(error.message);
    throw error;
  }
}

@Controller()
export class NotificationEventsController {
  constructor(
    private readonly notifications: NotificationService,
    private readonly repository: NotificationRepository,
  ) {}

  /** A new lead: remember how to reach them, and acknowledge on their channel (falling back to email). */
  @EventPattern(RoutingKey.RequestCreated)
  async onRequestCreated(@Payload() event: RequestCreatedEvent, @Ctx() ctx: EventContext): Promise<void> {
    const lead = this.notifications.leadFrom(event);
    await permanentOnBadRequest(() =>
      this.notifications.request(
        {
          route: this.notifications.leadRoute(lead),
          template: 'acknowledgement',
          locale: lead.locale,
          data: { name: lead.name, requestId: lead.submissionId, statusUrl: lead.statusUrl ?? undefined, message: lead.message },
          correlationId: event.submissionId,
          dedupeKey: journeyDedupeKey('acknowledgement', event.submissionId),
        },
        { consumer: 'notification.request-created', ctx, lead },
      ),
    );
  }

  /** Any service asks for a message. */
  @EventPattern(RoutingKey.NotificationRequested)
  async onNotificationRequested(@Payload() event: NotificationRequestedEvent, @Ctx() ctx: EventContext): Promise<void> {
    await permanentOnBadRequest(() =>
      this.notifications.request(
        {
          route: [{ channel: event.channel, recipient: event.recipient }],
          template: event.template,
          locale: event.locale ?? 'en',
          data: event.data,
          correlationId: event.correlationId ?? ctx.correlationId,
          dedupeKey: event.idempotencyKey ? `api:${event.idempotencyKey}` : `event:${ctx.messageId}`,
        },
        { consumer: 'notification.requested', ctx },
      ),
    );
  }

  /** The analysis is ready: send the lead its results on their channel. */
  @EventPattern(RoutingKey.AiAnalysisCompleted)
  async onAnalysisCompleted(@Payload() event: AiAnalysisCompletedEvent, @Ctx() ctx: EventContext): Promise<void> {
    const lead = await this.repository.findLead(event.submissionId);
    // request.created may still be on its way (or retrying): throwing retries this later.
    if (!lead) throw new Error(`No contact known yet for submission ${event.submissionId}`);
    await permanentOnBadRequest(() =>
      this.notifications.request(
        {
          route: this.notifications.leadRoute(lead),
          template: 'analysis-results',
          locale: lead.locale,
          data: {
            name: lead.name,
            requestId: lead.submissionId,
            statusUrl: lead.statusUrl ?? undefined,
            summary: event.summary,
            category: event.category,
            proposal: event.proposal,
          },
          correlationId: event.submissionId,
          // One results message per lead: a re-run (say, after a provider change) updates the analysis, not the lead.
          dedupeKey: journeyDedupeKey('analysis-results', event.submissionId),
        },
        { consumer: 'notification.analysis-completed', ctx },
      ),
    );
  }

  /** An account was deleted in user-portal: erase its messages and every message to its address. */
  @EventPattern(RoutingKey.UserDeleted)
  async onUserDeleted(@Payload() event: UserDeletedEvent, @Ctx() ctx: EventContext): Promise<void> {
    await this.notifications.eraseAccount(event, ctx);
  }
}

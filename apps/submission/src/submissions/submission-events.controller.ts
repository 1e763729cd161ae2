import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { NotificationFailedEvent, NotificationSentEvent, RoutingKey } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { SubmissionService } from './submission.service';

const ACKNOWLEDGEMENT = 'acknowledgement';

/** The lead's status follows the journey's events. */
@Controller()
export class SubmissionEventsController {
  constructor(private readonly submissions: SubmissionService) {}

  @EventPattern(RoutingKey.NotificationSent)
  async onNotificationSent(@Payload() event: NotificationSentEvent, @Ctx() ctx: EventContext): Promise<void> {
    if (event.template !== ACKNOWLEDGEMENT || !event.correlationId) return;
    await this.submissions.recordStatus(ctx, event.correlationId, 'acknowledged', new Date(event.sentAt), `${event.channel} to ${event.recipient}`);
  }

  @EventPattern(RoutingKey.NotificationFailed)
  async onNotificationFailed(@Payload() event: NotificationFailedEvent, @Ctx() ctx: EventContext): Promise<void> {
    if (event.template !== ACKNOWLEDGEMENT || !event.correlationId) return;
    await this.submissions.recordStatus(ctx, event.correlationId, 'acknowledgement_failed', new Date(event.failedAt), `${event.channel}: ${event.reason}`);
  }
}

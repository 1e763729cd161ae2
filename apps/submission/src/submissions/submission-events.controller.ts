import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AiAnalysisCompletedEvent, AiAnalysisFailedEvent, AiAnalysisStartedEvent, NotificationFailedEvent, NotificationSentEvent, RoutingKey } from '@statex/contracts';
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

  @EventPattern(RoutingKey.AiAnalysisStarted)
  async onAnalysisStarted(@Payload() event: AiAnalysisStartedEvent, @Ctx() ctx: EventContext): Promise<void> {
    await this.submissions.recordStatus(ctx, event.submissionId, 'analyzing', new Date(event.startedAt), `workflow ${event.workflowId}`);
  }

  @EventPattern(RoutingKey.AiAnalysisCompleted)
  async onAnalysisCompleted(@Payload() event: AiAnalysisCompletedEvent, @Ctx() ctx: EventContext): Promise<void> {
    const { submissionId, ...analysis } = event;
    await this.submissions.recordStatus(ctx, submissionId, 'analyzed', new Date(event.completedAt), `${event.category} (${Math.round(event.confidence * 100)}%)`, {
      analysis: { ...analysis },
    });
  }

  @EventPattern(RoutingKey.AiAnalysisFailed)
  async onAnalysisFailed(@Payload() event: AiAnalysisFailedEvent, @Ctx() ctx: EventContext): Promise<void> {
    await this.submissions.recordStatus(ctx, event.submissionId, 'analysis_failed', new Date(event.failedAt), event.reason);
  }
}

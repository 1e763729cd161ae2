import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { AiAnalysisCompletedEvent, AiAnalysisFailedEvent, AiAnalysisStartedEvent, NotificationFailedEvent, NotificationSentEvent, RoutingKey, SubmissionStatus } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { SubmissionService } from './submission.service';

/** The journey's messages to the lead, and the status each moves the submission to when sent or failed for good. */
const LEAD_MESSAGES: Record<string, { sent: SubmissionStatus; failed: SubmissionStatus }> = {
  acknowledgement: { sent: 'acknowledged', failed: 'acknowledgement_failed' },
  'analysis-results': { sent: 'answered', failed: 'answer_failed' },
};

/** The lead's status follows the journey's events: received → acknowledged → analyzing → analyzed → answered. */
@Controller()
export class SubmissionEventsController {
  constructor(private readonly submissions: SubmissionService) {}

  @EventPattern(RoutingKey.NotificationSent)
  async onNotificationSent(@Payload() event: NotificationSentEvent, @Ctx() ctx: EventContext): Promise<void> {
    const statuses = LEAD_MESSAGES[event.template];
    // Only the journey's own messages move the lead: not one requested over the API with a lead's id.
    if (!statuses || !event.correlationId || event.journey !== true) return;
    await this.submissions.recordStatus(ctx, event.correlationId, statuses.sent, new Date(event.sentAt), `${event.channel} to ${event.recipient}`);
  }

  @EventPattern(RoutingKey.NotificationFailed)
  async onNotificationFailed(@Payload() event: NotificationFailedEvent, @Ctx() ctx: EventContext): Promise<void> {
    const statuses = LEAD_MESSAGES[event.template];
    if (!statuses || !event.correlationId || event.journey !== true) return;
    await this.submissions.recordStatus(ctx, event.correlationId, statuses.failed, new Date(event.failedAt), `${event.channel}: ${event.reason}`);
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

import { Logger } from '@nestjs/common';
import { OnQueueEvent, QueueEventsHost, QueueEventsListener } from '@nestjs/bullmq';
import { AI_STEPS_QUEUE } from '@statex/contracts';
import { stepOfJobId } from './step.queue';
import { WorkflowService } from './workflow.service';

/**
 * The `ai-steps` queue's events (BullMQ's QueueEvents, read from the queue's event stream in Redis
 * on a connection of its own): when a workflow's last step completes, or any step fails, its
 * workflow is reconciled at once rather than at the next poll. Waiting for the poll (every
 * AI_ORCHESTRATOR_POLL_MS, 500 ms) was most of a workflow's time: its steps take tens of
 * milliseconds, and a running workflow holds one of AI_MAX_RUNNING_WORKFLOWS slots until it is
 * seen done, so the poll bounded how many leads a second were analysed (docs/benchmarks.md). The
 * poll stays, for the steps in between and for whatever an event does not tell (a lost event, a
 * workflow of another replica, a timeout).
 */
@QueueEventsListener(AI_STEPS_QUEUE)
export class StepEvents extends QueueEventsHost {
  private readonly logger = new Logger(StepEvents.name);

  constructor(private readonly workflows: WorkflowService) {
    super();
  }

  @OnQueueEvent('completed')
  onCompleted({ jobId }: { jobId: string }): void {
    const job = stepOfJobId(jobId);
    if (job?.step === 'propose') this.workflows.wake(job.workflowId);
  }

  @OnQueueEvent('failed')
  onFailed({ jobId }: { jobId: string }): void {
    const job = stepOfJobId(jobId);
    if (job) this.workflows.wake(job.workflowId);
  }

  /** Redis going away is retried by ioredis and reported by readiness; meanwhile the poll carries on. */
  @OnQueueEvent('error')
  onError(error: Error): void {
    this.logger.warn(`Step events: ${error.message}`);
  }
}

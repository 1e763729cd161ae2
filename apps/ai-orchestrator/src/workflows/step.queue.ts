import { InjectFlowProducer, InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { FlowProducer, Job, JobState, Queue } from 'bullmq';
import { AI_STEPS_QUEUE, ANALYSIS_STEPS, AnalysisStep, StepJobData, StepResult } from '@statex/contracts';
import { AiOrchestratorEnv } from '../ai-orchestrator.env';
import type { Workflow } from './entities';

export const PARALLEL_STEPS: AnalysisStep[] = ['extract', 'classify', 'summarize'];

export const jobIdOf = (workflowId: string, step: AnalysisStep) => `${workflowId}-${step}`;

/** The workflow and step a job id names (jobIdOf's inverse), or undefined for a job that is not a step's. */
export function stepOfJobId(jobId: string): { workflowId: string; step: AnalysisStep } | undefined {
  const dash = jobId.lastIndexOf('-');
  const step = jobId.slice(dash + 1) as AnalysisStep;
  return dash > 0 && ANALYSIS_STEPS.includes(step) ? { workflowId: jobId.slice(0, dash), step } : undefined;
}

/**
 * The workflow as a BullMQ flow on the `ai-steps` queue: extract, classify and summarize run in
 * parallel as children of propose, which runs once all three are done. Job ids derive from the
 * workflow, so launching the same workflow twice adds nothing.
 */
@Injectable()
export class StepQueue {
  constructor(
    private readonly env: AiOrchestratorEnv,
    @InjectQueue(AI_STEPS_QUEUE) readonly queue: Queue<StepJobData, StepResult>,
    @InjectFlowProducer(AI_STEPS_QUEUE) private readonly flows: FlowProducer,
  ) {
    // Redis going away is reported by readiness and retried by ioredis; it must not crash the process.
    const logger = new Logger(StepQueue.name);
    queue.on('error', (error) => logger.warn(`Queue ${queue.name}: ${error.message}`));
    flows.on('error', (error) => logger.warn(`Flow producer: ${error.message}`));
  }

  async launch(workflow: Pick<Workflow, 'id' | 'submissionId' | 'input'>): Promise<void> {
    const data = (step: AnalysisStep): StepJobData => ({ workflowId: workflow.id, submissionId: workflow.submissionId, step, ...workflow.input });
    const opts = (step: AnalysisStep) => ({
      jobId: jobIdOf(workflow.id, step),
      attempts: this.env.AI_STEP_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.env.AI_STEP_BACKOFF_MS },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    await this.flows.add({
      name: 'propose',
      queueName: AI_STEPS_QUEUE,
      data: data('propose'),
      opts: opts('propose'),
      children: PARALLEL_STEPS.map((step) => ({ name: step, queueName: AI_STEPS_QUEUE, data: data(step), opts: { ...opts(step), failParentOnFailure: true } })),
    });
  }

  job(workflowId: string, step: AnalysisStep): Promise<Job<StepJobData, StepResult> | undefined> {
    return Job.fromId<StepJobData, StepResult>(this.queue, jobIdOf(workflowId, step));
  }

  /** Removes a workflow's jobs that have not run: propose first, which takes its children with it. Active ones finish. */
  async discard(workflowId: string): Promise<void> {
    for (const step of [...ANALYSIS_STEPS].reverse()) {
      await (await this.job(workflowId, step))?.remove().catch(() => undefined);
    }
  }

  /**
   * A step's state and its job. The state is read first so the job data is at least as new as it:
   * read the other way round, a job could be reported completed with the data of before it ran.
   */
  async snapshot(workflowId: string, step: AnalysisStep): Promise<{ state: JobState | 'unknown'; job: Job<StepJobData, StepResult> } | undefined> {
    const state = await this.queue.getJobState(jobIdOf(workflowId, step));
    const job = await this.job(workflowId, step);
    return job && { state, job };
  }
}

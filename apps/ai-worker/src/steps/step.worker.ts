import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { hostname } from 'node:os';
import { Job, Worker } from 'bullmq';
import { Counter, Histogram, register } from 'prom-client';
import { withLogContext } from '@statex/observability';
import { AI_STEPS_QUEUE, StepJobData, StepOutputs, StepResult } from '@statex/contracts';
import { AiWorkerEnv } from '../ai-worker.env';
import { AnalysisService } from '../analysis/analysis.service';
import { within } from '../analysis/within';
import { AttachmentText } from './attachment-text';

const stepsProcessed =
  (register.getSingleMetric('statex_ai_steps_total') as Counter<string> | undefined) ??
  new Counter({ name: 'statex_ai_steps_total', help: 'Analysis steps this worker ran, by step, provider and outcome', labelNames: ['step', 'provider', 'outcome'] });

const stepDuration =
  (register.getSingleMetric('statex_ai_step_duration_seconds') as Histogram<string> | undefined) ??
  new Histogram({
    name: 'statex_ai_step_duration_seconds',
    help: 'Analysis step durations on this worker, by step and the provider that answered',
    labelNames: ['step', 'provider'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });

/**
 * This process's name in BullMQ (host and pid, the pod's name on Kubernetes): each active job
 * records it (`processedBy`), and the worker's Redis connection carries it, so an operator sees
 * which worker holds which step.
 */
export const STEP_WORKER_NAME = `${hostname()}:${process.pid}`;

/**
 * Takes analysis steps from the shared BullMQ queue. Any number of ai-worker processes can
 * run this: BullMQ hands each job to one of them. A step that outlives AI_STEP_TIMEOUT_MS
 * fails (and the queue retries it). On shutdown @nestjs/bullmq closes the worker, which finishes
 * its in-flight jobs first.
 */
@Processor(AI_STEPS_QUEUE, { autorun: false, name: STEP_WORKER_NAME })
export class StepWorker extends WorkerHost<Worker<StepJobData, StepResult>> implements OnApplicationBootstrap {
  private readonly logger = new Logger(StepWorker.name);

  constructor(
    private readonly env: AiWorkerEnv,
    private readonly analysis: AnalysisService,
    private readonly attachments: AttachmentText,
  ) {
    super();
  }

  /** @Processor options are static; the concurrency comes from the validated env, so the worker starts here. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.env.AI_WORKER_CONCURRENCY;
    this.worker.on('error', (error) => this.logger.warn(`Step worker: ${error.message}`));
    this.worker.run().catch((error: Error) => this.logger.error(`Step worker stopped: ${error.message}`));
  }

  process(job: Job<StepJobData, StepResult>): Promise<StepResult> {
    // Every log line of the step carries the journey's correlation id: the submission id.
    return withLogContext({ correlationId: job.data.submissionId, workflowId: job.data.workflowId, step: job.data.step, jobId: job.id }, () => this.run(job));
  }

  private async run(job: Job<StepJobData, StepResult>): Promise<StepResult> {
    const { step, locale, name } = job.data;
    // The timeout covers the whole step: reading the attachments as well as the analysis. The
    // configured provider gets the step's time but a reserve, in which local answers instead.
    const startedAt = Date.now();
    const deadline = startedAt + this.env.AI_STEP_TIMEOUT_MS;
    const reserve = Math.min(Math.max(this.env.AI_STEP_TIMEOUT_MS * 0.2, 100), 5000);
    const work = async () => {
      await job.updateProgress(10);
      const { text, unreadable } = await this.attachments.fullText(job.data);
      await job.updateProgress(30);
      let previous: Partial<StepOutputs> | undefined;
      if (step === 'propose') {
        const children = Object.values(await job.getChildrenValues<StepResult>());
        previous = Object.fromEntries(children.map((c) => [c.step, c.output])) as Partial<StepOutputs>;
      }
      const result = await this.analysis.run(step, { text, locale, name, previous }, deadline - reserve - Date.now());
      return unreadable.length > 0 ? { ...result, unreadableAttachments: unreadable } : result;
    };
    try {
      const result: StepResult = await within(work(), this.env.AI_STEP_TIMEOUT_MS, `step ${step} timed out after ${this.env.AI_STEP_TIMEOUT_MS} ms`);
      await job.updateProgress(100);
      stepsProcessed.inc({ step, provider: result.provider, outcome: 'completed' });
      stepDuration.observe({ step, provider: result.provider }, (Date.now() - startedAt) / 1000);
      return { ...result, worker: String(process.pid) };
    } catch (error) {
      stepsProcessed.inc({ step, provider: this.analysis.primary.name, outcome: 'failed' });
      throw error;
    }
  }
}

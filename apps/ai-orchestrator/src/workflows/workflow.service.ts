import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, Logger, NotFoundException, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ANALYSIS_STEPS, AnalysisStep, RequestCreatedEvent, RoutingKey, StepOutputs, StepResult } from '@statex/contracts';
import { activeTraceHeaders, EventContext, OutboxService, withTraceHeaders } from '@statex/messaging';
import { withLogContext } from '@statex/observability';
import { AiOrchestratorEnv } from '../ai-orchestrator.env';
import { StepStatus, Workflow, WorkflowInput, WorkflowStepRecord } from './entities';
import { StepQueue } from './step.queue';
import { WorkflowAdmission } from './workflow.admission';
import { RUNNING_BATCH, StepSync, SyncedStep, WorkflowRepository } from './workflow.repository';

const CONSUMER = 'ai-orchestrator.request-created';

/**
 * One analysis workflow per submission. Its steps run on the queue; the orchestrator reads
 * their state into PostgreSQL, and when propose completes (or a step fails for good, or the
 * workflow times out) it ends the workflow and emits the event in the same transaction.
 */
@Injectable()
export class WorkflowService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkflowService.name);
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;
  /**
   * The running workflows this process knows of (those it started, and those the last poll read),
   * for a wake (StepEvents) to reconcile without reading them first. A workflow missing here (just
   * started by another replica) waits for the next poll.
   */
  private readonly known = new Map<string, Workflow>();
  /** Each workflow being reconciled now, so that one is never reconciled twice at once. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Woken while being reconciled: that run may have read its steps before the event, so it runs again. */
  private readonly again = new Set<string>();

  constructor(
    private readonly workflows: WorkflowRepository,
    private readonly steps: StepQueue,
    private readonly outbox: OutboxService,
    private readonly env: AiOrchestratorEnv,
    private readonly admission: WorkflowAdmission,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      if (this.stopped) return;
      this.polling = this.reconcile()
        .catch((error: Error) => this.logger.warn(`Reconciling workflows failed: ${error.message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.env.AI_ORCHESTRATOR_POLL_MS);
        });
    };
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.allSettled(this.inFlight.values());
  }

  /**
   * `request.created`: the first run for this submission, once, however often the event arrives;
   * while AI_MAX_RUNNING_WORKFLOWS run, the event waits for one of them to end (WorkflowAdmission).
   */
  async startFor(event: RequestCreatedEvent, ctx: EventContext): Promise<void> {
    const input: WorkflowInput = {
      text: event.message,
      locale: event.locale ?? 'en',
      name: event.name,
      attachments: event.attachments.map((a) => ({ id: a.id, fileName: a.fileName, contentType: a.contentType })),
    };
    await this.admission.admit();
    let started = false;
    try {
      started = (await this.start(event.submissionId, 1, input, ctx)) !== null;
    } finally {
      this.admission.settled(started);
    }
  }

  /** A new run beside the old ones, with the same input. */
  async rerun(submissionId: string): Promise<Workflow> {
    const runs = await this.workflows.bySubmission(submissionId);
    if (runs.length === 0) throw new NotFoundException(`No workflow has analysed submission ${submissionId}`);
    const latest = runs[runs.length - 1];
    if (latest.status === 'running') throw new ConflictException(`Run ${latest.run} of submission ${submissionId} (workflow ${latest.id}) is still running; cancel it or wait for it to end`);
    const workflow = await this.start(submissionId, latest.run + 1, latest.input);
    if (!workflow) throw new ConflictException(`Run ${latest.run + 1} of submission ${submissionId} was started at the same time`);
    // An operator's rerun does not wait for a slot, but takes one.
    this.admission.started();
    return workflow;
  }

  private async start(submissionId: string, run: number, input: WorkflowInput, fromMessage?: EventContext): Promise<Workflow | null> {
    const trace = activeTraceHeaders();
    const traceContext = Object.keys(trace).length > 0 ? trace : null;
    const workflow = Object.assign(new Workflow(), { id: randomUUID(), submissionId, run, status: 'running' as const, input, result: null, reason: null, startedAt: new Date(), finishedAt: null, traceContext });
    const started = this.outbox.row(RoutingKey.AiAnalysisStarted, { workflowId: workflow.id, submissionId, run, startedAt: workflow.startedAt.toISOString() }, { correlationId: submissionId });
    const created = await this.workflows.insertStarted(workflow, started, fromMessage && { consumer: CONSUMER, ctx: fromMessage });
    if (!created) return null;
    this.known.set(workflow.id, workflow);
    await this.steps.launch(workflow).catch((error: Error) => this.logger.warn(`Launching workflow ${workflow.id} failed; the reconciler retries: ${error.message}`));
    return workflow;
  }

  async cancel(id: string): Promise<Workflow> {
    const workflow = await this.workflows.findById(id);
    if (!workflow) throw new NotFoundException(`Workflow ${id} not found`);
    const cancelled = await this.workflows.transaction(async (manager) => {
      const ok = await this.workflows.finish(manager, id, 'cancelled', { reason: 'cancelled by an operator' });
      if (!ok) return false;
      await this.workflows.cancelUnfinishedSteps(manager, id);
      await this.outbox.add(
        manager,
        RoutingKey.AiAnalysisFailed,
        { workflowId: id, submissionId: workflow.submissionId, run: workflow.run, reason: 'cancelled by an operator', failedAt: new Date().toISOString() },
        { correlationId: workflow.submissionId },
      );
      return true;
    });
    if (!cancelled) throw new ConflictException(`Workflow ${id} is ${workflow.status}; only a running workflow can be cancelled`);
    this.known.delete(id);
    this.admission.ended();
    await this.steps.discard(id);
    return (await this.workflows.findById(id))!;
  }

  /** Reads every running workflow's jobs into PostgreSQL and ends the workflows that are done. */
  async reconcile(): Promise<void> {
    const observed = this.admission.observe();
    // Known before this read began, so committed before it: if the read does not find one running, it ended.
    const knownBefore = [...this.known.keys()];
    const running = await this.workflows.running();
    observed(running.length < RUNNING_BATCH ? running.length : await this.workflows.countRunning());
    if (running.length < RUNNING_BATCH) {
      const stillRunning = new Set(running.map((w) => w.id));
      for (const id of knownBefore) if (!stillRunning.has(id)) this.known.delete(id);
    }
    for (const workflow of running) this.known.set(workflow.id, workflow);
    // Their steps as recorded, in one read: a statement per workflow was 64 a second with 32 running.
    const recorded = await this.workflows.stepsOf(running.map((w) => w.id));
    for (const workflow of running) {
      if (this.stopped) return;
      // Being reconciled now, after a wake: that run is newer than this one's read.
      if (this.inFlight.has(workflow.id)) continue;
      await this.reconcileTracked(workflow, recorded.get(workflow.id) ?? []);
    }
  }

  /**
   * A step of this workflow ended (StepEvents): reconciles it now, beside the poll, if this process
   * knows it as running; if it is being reconciled, once more after that.
   */
  wake(workflowId: string): void {
    const workflow = this.known.get(workflowId);
    if (!workflow || this.stopped) return;
    if (this.inFlight.has(workflowId)) {
      this.again.add(workflowId);
      return;
    }
    void this.reconcileTracked(workflow);
  }

  /** Reconciles one workflow, never twice at once; once more when woken meanwhile. `recorded`: its step rows, if already read. */
  private reconcileTracked(workflow: Workflow, recorded?: WorkflowStepRecord[]): Promise<void> {
    const run = this.reconcileGuarded(workflow, recorded)
      .catch((error: Error) => this.logger.warn({ workflowId: workflow.id, submissionId: workflow.submissionId }, `Reconciling workflow ${workflow.id} failed: ${error.message}`))
      .finally(() => {
        this.inFlight.delete(workflow.id);
        // Woken while this run read the queue: that read may predate the event (wake skips an ended workflow).
        if (this.again.delete(workflow.id)) this.wake(workflow.id);
      });
    this.inFlight.set(workflow.id, run);
    return run;
  }

  private async reconcileGuarded(workflow: Workflow, recorded?: WorkflowStepRecord[]): Promise<void> {
    try {
      // In the trace the workflow started in: its end (ai.analysis.completed or failed) continues the lead's trace.
      await withTraceHeaders(workflow.traceContext, () => withLogContext({ correlationId: workflow.submissionId, workflowId: workflow.id }, () => this.reconcileOne(workflow, recorded)));
    } catch (error) {
      // One workflow's trouble must not hold up the others, nor keep its own timeout from ending it.
      this.logger.warn({ workflowId: workflow.id, submissionId: workflow.submissionId }, `Reconciling workflow ${workflow.id} failed: ${(error as Error).message}`);
      // Without the queue's view, the longest a workflow may legitimately take bounds it.
      const limit = this.env.AI_WORKFLOW_QUEUE_TIMEOUT_MS + this.env.AI_WORKFLOW_TIMEOUT_MS;
      if (Date.now() - workflow.startedAt.getTime() > limit) await this.fail(workflow, `timed out after ${Math.round(limit / 1000)} s; last error: ${(error as Error).message}`);
    }
  }

  /**
   * Reads the workflow's four jobs and writes what changed of them (every step when `recorded`, the
   * rows as the poll read them, is not given: a wake does not read them first), in one statement,
   * together with the workflow's end when it ends.
   */
  private async reconcileOne(workflow: Workflow, recorded: WorkflowStepRecord[] | undefined): Promise<void> {
    const records = new Map((recorded ?? []).map((r) => [r.step, r]));
    const changed: StepSync[] = [];
    const results: Partial<{ [S in AnalysisStep]: StepResult<S> }> = {};
    const failures: string[] = [];
    let missing = 0;
    let firstStart: number | undefined;
    // propose is read first: BullMQ fails a parent in the same script as its failing child, so a
    // propose seen failed here means the failed child is seen too, with the reason worth reporting.
    for (const step of [...ANALYSIS_STEPS].reverse()) {
      const snapshot = await this.steps.snapshot(workflow.id, step);
      if (!snapshot) {
        missing += 1;
        continue;
      }
      const { state, job } = snapshot;
      if (job.processedOn) firstStart = Math.min(firstStart ?? job.processedOn, job.processedOn);
      const status: StepStatus = state === 'completed' ? 'completed' : state === 'failed' ? 'failed' : state === 'active' ? 'active' : 'pending';
      const result = state === 'completed' ? (job.returnvalue as StepResult) : undefined;
      if (result) (results as Record<string, StepResult>)[step] = result;
      if (state === 'failed') failures.unshift(`${step} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
      const changes: SyncedStep = {
        status,
        attempts: job.attemptsMade + (state === 'active' ? 1 : 0),
        progress: typeof job.progress === 'number' ? job.progress : 0,
        startedAt: job.processedOn ? new Date(job.processedOn) : null,
        finishedAt: job.finishedOn ? new Date(job.finishedOn) : null,
        durationMs: job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : null,
        provider: result?.provider ?? null,
        model: result?.model ?? null,
        usage: result?.usage ?? null,
        fallback: result?.fallback ?? null,
        worker: result?.worker ?? null,
        output: (result?.output as unknown as Record<string, unknown>) ?? null,
        error: state === 'failed' ? job.failedReason : job.attemptsMade > 0 && !result ? (job.failedReason ?? null) : null,
      };
      const before = records.get(step);
      if (!before || before.status !== changes.status || before.attempts !== changes.attempts || before.progress !== changes.progress || before.error !== changes.error) {
        changed.push({ step, changes });
      }
    }
    if (missing === ANALYSIS_STEPS.length && Date.now() - workflow.startedAt.getTime() > 5000) {
      // Committed but never launched (the process died in between, or Redis lost its jobs): launch
      // now, unless it ended meanwhile (a cancel); job ids make a second launch add nothing.
      if ((await this.workflows.findById(workflow.id))?.status === 'running') await this.steps.launch(workflow);
    }
    if (failures.length) return this.fail(workflow, failures[0], changed);
    if (results.propose && results.extract && results.classify && results.summarize) return this.complete(workflow, results as { [S in AnalysisStep]: StepResult<S> }, changed);
    await this.workflows.syncSteps(workflow.id, changed);
    const waitingFor = ANALYSIS_STEPS.filter((s) => !(results as Record<string, unknown>)[s]).join(', ');
    const seconds = (ms: number) => Math.round(ms / 1000);
    if (firstStart === undefined) {
      // Queued and untouched: a busy queue is waited out, only a queue nobody works on fails it.
      if (Date.now() - workflow.startedAt.getTime() > this.env.AI_WORKFLOW_QUEUE_TIMEOUT_MS) {
        return this.fail(workflow, `no ai-worker started it within ${seconds(this.env.AI_WORKFLOW_QUEUE_TIMEOUT_MS)} s (waiting for ${waitingFor})`);
      }
    } else if (Date.now() - firstStart > this.env.AI_WORKFLOW_TIMEOUT_MS) {
      return this.fail(workflow, `timed out ${seconds(this.env.AI_WORKFLOW_TIMEOUT_MS)} s after its first step started, waiting for ${waitingFor}`);
    }
  }

  private async complete(workflow: Workflow, results: { [S in AnalysisStep]: StepResult<S> }, steps: StepSync[]): Promise<void> {
    const outputs: StepOutputs = { extract: results.extract.output, classify: results.classify.output, summarize: results.summarize.output, propose: results.propose.output };
    const completedAt = new Date();
    const event = {
      workflowId: workflow.id,
      submissionId: workflow.submissionId,
      run: workflow.run,
      summary: outputs.summarize.summary,
      category: outputs.classify.category,
      confidence: outputs.classify.confidence,
      entities: outputs.extract.entities as unknown as Record<string, unknown>,
      keywords: outputs.extract.keywords,
      proposal: outputs.propose.proposal,
      completedAt: completedAt.toISOString(),
    };
    // Attachments the workers could not read (a parser bomb, a broken file): analysed without them, and said so.
    const unreadableAttachments = results.extract.unreadableAttachments ?? results.classify.unreadableAttachments ?? results.summarize.unreadableAttachments;
    const result = { ...event, language: outputs.extract.language, sentiment: outputs.extract.sentiment, urgency: outputs.extract.urgency, ...(unreadableAttachments?.length ? { unreadableAttachments } : {}) };
    const completed = await this.workflows.finishWithEvent(workflow.id, 'completed', { result, reason: null }, this.outbox.row(RoutingKey.AiAnalysisCompleted, event, { correlationId: workflow.submissionId }), steps);
    this.known.delete(workflow.id);
    if (!completed) return;
    this.admission.ended();
    this.logger.log({ workflowId: workflow.id, submissionId: workflow.submissionId, category: event.category }, 'Analysis completed');
  }

  private async fail(workflow: Workflow, reason: string, steps: StepSync[] = []): Promise<void> {
    const failed = await this.workflows.finishWithEvent(
      workflow.id,
      'failed',
      { result: null, reason },
      this.outbox.row(RoutingKey.AiAnalysisFailed, { workflowId: workflow.id, submissionId: workflow.submissionId, run: workflow.run, reason, failedAt: new Date().toISOString() }, { correlationId: workflow.submissionId }),
      steps,
    );
    this.known.delete(workflow.id);
    if (!failed) return;
    this.admission.ended();
    // Its steps still waiting would only take workers from live leads.
    await this.steps.discard(workflow.id).catch((error: Error) => this.logger.warn(`Discarding the jobs of workflow ${workflow.id} failed: ${error.message}`));
    this.logger.warn({ workflowId: workflow.id, submissionId: workflow.submissionId }, `Analysis failed: ${reason}`);
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ANALYSIS_STEPS, AnalysisStep } from '@statex/contracts';
import { type EventContext, inboxInsertCte, outboxInsertCtes, type OutboxRow } from '@statex/messaging';
import { parameters, runPrepared } from '@statex/persistence';
import { Workflow, WorkflowStepRecord, WorkflowStatus } from './entities';

/** What a reconciliation writes of a step: all but its key. */
export type SyncedStep = Omit<WorkflowStepRecord, 'workflowId' | 'step'>;

/** A step's new state, as a reconciliation read it from the queue. */
export interface StepSync {
  step: AnalysisStep;
  changes: SyncedStep;
}

/** The step rows, as one JSON array for jsonb_to_recordset (stepSyncUpdate). */
function stepSyncJson(steps: readonly StepSync[]): string {
  return JSON.stringify(
    steps.map(({ step, changes: c }) => ({
      step,
      status: c.status,
      attempts: c.attempts,
      progress: c.progress,
      started_at: c.startedAt,
      finished_at: c.finishedAt,
      duration_ms: c.durationMs,
      provider: c.provider,
      model: c.model,
      usage: c.usage,
      fallback: c.fallback,
      worker: c.worker,
      output: c.output,
      error: c.error,
    })),
  );
}

/** An UPDATE of the step rows in `json` (stepSyncJson) of the workflow `workflowId` (SQL), where `condition` holds. */
const stepSyncUpdate = (json: string, workflowId: string, condition: string) =>
  `UPDATE workflow_steps s SET status = r.status, attempts = r.attempts, progress = r.progress, started_at = r.started_at, finished_at = r.finished_at, ` +
  `duration_ms = r.duration_ms, provider = r.provider, model = r.model, usage = r.usage, fallback = r.fallback, worker = r.worker, output = r.output, error = r.error ` +
  `FROM jsonb_to_recordset(${json}::jsonb) AS r(step text, status text, attempts int, progress int, started_at timestamptz, finished_at timestamptz, duration_ms int, ` +
  `provider text, model text, usage jsonb, fallback jsonb, worker text, output jsonb, error text) WHERE s.workflow_id = ${workflowId} AND s.step = r.step AND ${condition}`;

/** How many running workflows one reconciliation reads. */
export const RUNNING_BATCH = 200;

/** Every database read and write of workflows. */
@Injectable()
export class WorkflowRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Starts a workflow in one statement (one round trip where the transaction took seven: BEGIN, the
   * inbox marker, the workflow, its steps, the outbox row, its NOTIFY, COMMIT): the inbox marker
   * when the start comes from a message; then, the first time the message is seen, the workflow,
   * its four pending steps and `event` (ai.analysis.started). False when the message was seen
   * before or this (submission, run) exists.
   */
  async insertStarted(workflow: Workflow, event: OutboxRow, inbox?: { consumer: string; ctx: Pick<EventContext, 'messageId' | 'routingKey'> }): Promise<boolean> {
    const { values, p } = parameters();
    const ctes = [
      ...(inbox ? [inboxInsertCte(inbox.consumer, inbox.ctx, p)] : []),
      `started AS (INSERT INTO workflows (id, submission_id, run, status, input, started_at, trace_context) ` +
        `SELECT ${p(workflow.id)}::uuid, ${p(workflow.submissionId)}::uuid, ${p(workflow.run)}::int, 'running', ${p(JSON.stringify(workflow.input))}::jsonb, ${p(workflow.startedAt)}::timestamptz, ` +
        `${p(workflow.traceContext ? JSON.stringify(workflow.traceContext) : null)}::jsonb ${inbox ? 'WHERE EXISTS (SELECT 1 FROM inbox_row) ' : ''}ON CONFLICT DO NOTHING RETURNING id)`,
      `step_rows AS (INSERT INTO workflow_steps (workflow_id, step, status, attempts, progress) SELECT started.id, s.step, 'pending', 0, 0 FROM started, unnest(${p(ANALYSIS_STEPS)}::text[]) AS s(step))`,
      outboxInsertCtes(event, p, { from: 'started' }),
    ];
    const [row] = await runPrepared<{ created: boolean }>(
      this.dataSource,
      `statex-workflow-start-${inbox ? 'from-message' : 'rerun'}`,
      `WITH ${ctes.join(', ')} SELECT EXISTS (SELECT 1 FROM started) AS created, (SELECT count(*) FROM outbox_notified) AS notified`,
      values,
    );
    return row.created;
  }

  /**
   * Ends a running workflow (completed or failed) with its event and its steps' last state, in one
   * statement (one round trip where the transaction took five, and each step's sync one more):
   * false, and nothing written, when it had already left `running`.
   */
  async finishWithEvent(id: string, status: 'completed' | 'failed', changes: Pick<Workflow, 'result' | 'reason'>, event: OutboxRow, steps: readonly StepSync[] = []): Promise<boolean> {
    const { values, p } = parameters();
    const ctes = [
      `finished AS (UPDATE workflows SET status = ${p(status)}::text, result = ${p(changes.result === null ? null : JSON.stringify(changes.result))}::jsonb, reason = ${p(changes.reason)}::text, ` +
        `finished_at = ${p(new Date())}::timestamptz, updated_at = now() WHERE id = ${p(id)}::uuid AND status = 'running' RETURNING id)`,
      `synced AS (${stepSyncUpdate(p(stepSyncJson(steps)), `${p(id)}::uuid`, 'EXISTS (SELECT 1 FROM finished)')})`,
      outboxInsertCtes(event, p, { from: 'finished' }),
    ];
    const [row] = await runPrepared<{ finished: boolean }>(
      this.dataSource,
      'statex-workflow-finish',
      `WITH ${ctes.join(', ')} SELECT EXISTS (SELECT 1 FROM finished) AS finished, (SELECT count(*) FROM outbox_notified) AS notified`,
      values,
    );
    return row.finished;
  }

  findById(id: string): Promise<Workflow | null> {
    return this.dataSource.manager.findOneBy(Workflow, { id });
  }

  steps(workflowId: string): Promise<WorkflowStepRecord[]> {
    return this.dataSource.manager.find(WorkflowStepRecord, { where: { workflowId } });
  }

  /** The steps of many workflows in one statement, by workflow (a reconciliation's read, not one per workflow). */
  async stepsOf(workflowIds: string[]): Promise<Map<string, WorkflowStepRecord[]>> {
    const byWorkflow = new Map<string, WorkflowStepRecord[]>(workflowIds.map((id) => [id, []]));
    if (workflowIds.length === 0) return byWorkflow;
    for (const record of await this.dataSource.manager.find(WorkflowStepRecord, { where: { workflowId: In(workflowIds) } })) byWorkflow.get(record.workflowId)?.push(record);
    return byWorkflow;
  }

  bySubmission(submissionId: string): Promise<Workflow[]> {
    return this.dataSource.manager.find(Workflow, { where: { submissionId }, order: { run: 'ASC' } });
  }

  /** The oldest RUNNING_BATCH running workflows. */
  running(): Promise<Workflow[]> {
    return this.dataSource.manager.find(Workflow, { where: { status: 'running' }, order: { startedAt: 'ASC' }, take: RUNNING_BATCH });
  }

  countRunning(): Promise<number> {
    return this.dataSource.manager.countBy(Workflow, { status: 'running' });
  }

  /**
   * Records what the queue says of a workflow's steps, only while it runs (an ended workflow's steps
   * stay as they ended). One statement for all of them, without a transaction: its FOR SHARE
   * sub-select waits for an end (cancel, fail, complete) being committed and then sees it, as the
   * transaction it replaces did in four round trips per step.
   */
  async syncSteps(workflowId: string, steps: readonly StepSync[]): Promise<void> {
    if (steps.length === 0) return;
    await runPrepared(
      this.dataSource,
      'statex-workflow-sync-steps',
      stepSyncUpdate('$2', '$1::uuid', `EXISTS (SELECT 1 FROM workflows WHERE id = $1::uuid AND status = 'running' FOR SHARE)`),
      [workflowId, stepSyncJson(steps)],
    );
  }

  /** A cancelled workflow's steps that had not completed. */
  async cancelUnfinishedSteps(manager: EntityManager, workflowId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(WorkflowStepRecord)
      .set({ status: 'cancelled' })
      .where("workflow_id = :workflowId AND status <> 'completed'", { workflowId })
      .execute();
  }

  /** Moves a running workflow to its end state; false if it had already left `running`. */
  async finish(manager: EntityManager, id: string, status: Exclude<WorkflowStatus, 'running'>, changes: Partial<Workflow>): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(Workflow)
      .set({ ...changes, status, finishedAt: new Date() } as QueryDeepPartialEntity<Workflow>)
      .where("id = :id AND status = 'running'", { id })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}

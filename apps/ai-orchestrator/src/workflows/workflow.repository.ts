import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ANALYSIS_STEPS, AnalysisStep } from '@statex/contracts';
import { Workflow, WorkflowStepRecord, WorkflowStatus } from './entities';

/** How many running workflows one reconciliation reads. */
export const RUNNING_BATCH = 200;

/** Every database read and write of workflows. */
@Injectable()
export class WorkflowRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Inserts the workflow and its four pending steps; false if this (submission, run) exists. */
  async insert(manager: EntityManager, workflow: Workflow): Promise<boolean> {
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(Workflow)
      .values(workflow as QueryDeepPartialEntity<Workflow>)
      .orIgnore()
      .returning('id')
      .execute();
    if ((inserted.raw as unknown[]).length === 0) return false;
    await manager.insert(
      WorkflowStepRecord,
      ANALYSIS_STEPS.map((step) => ({ workflowId: workflow.id, step, status: 'pending' as const, attempts: 0, progress: 0 })),
    );
    return true;
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
   * Records what the queue says of a step, only while its workflow runs (an ended workflow's steps
   * stay as they ended). One statement, without a transaction: its FOR SHARE sub-select waits for
   * an end (cancel, fail, complete) being committed and then sees it, as the transaction it
   * replaces did in four round trips; each lead's analysis syncs its steps about four times.
   */
  async syncStep(workflowId: string, step: AnalysisStep, changes: Partial<WorkflowStepRecord>): Promise<void> {
    await this.dataSource.manager
      .createQueryBuilder()
      .update(WorkflowStepRecord)
      .set(changes as QueryDeepPartialEntity<WorkflowStepRecord>)
      .where(`workflow_id = :workflowId AND step = :step AND EXISTS (SELECT 1 FROM workflows WHERE id = :workflowId AND status = 'running' FOR SHARE)`, { workflowId, step })
      .execute();
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

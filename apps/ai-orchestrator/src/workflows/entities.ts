import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AnalysisStep, Locale, TokenUsage } from '@statex/contracts';

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface WorkflowInput {
  text: string;
  locale: Locale;
  name: string;
  attachments?: { id: string; fileName: string; contentType: string }[];
}

/** One analysis of one submission; a re-run is a new row with the next `run`. */
@Entity({ name: 'workflows' })
@Index(['submissionId', 'run'], { unique: true })
export class Workflow {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'submission_id', type: 'uuid' }) submissionId!: string;
  @Column({ type: 'int' }) run!: number;
  @Column({ type: 'text' }) status!: WorkflowStatus;
  @Column({ type: 'jsonb' }) input!: WorkflowInput;
  @Column({ type: 'jsonb', nullable: true }) result!: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  /** W3C trace context it was started in (null while tracing is off): its steps and end continue that trace. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true }) traceContext!: Record<string, string> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A step as the queue last reported it: status, attempts, timing, provider, usage, output. */
@Entity({ name: 'workflow_steps' })
export class WorkflowStepRecord {
  @PrimaryColumn({ name: 'workflow_id', type: 'uuid' }) workflowId!: string;
  @PrimaryColumn({ type: 'text' }) step!: AnalysisStep;
  @Column({ type: 'text' }) status!: StepStatus;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ type: 'int', default: 0 }) progress!: number;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'duration_ms', type: 'int', nullable: true }) durationMs!: number | null;
  @Column({ type: 'text', nullable: true }) provider!: string | null;
  @Column({ type: 'text', nullable: true }) model!: string | null;
  @Column({ type: 'jsonb', nullable: true }) usage!: TokenUsage | null;
  @Column({ type: 'jsonb', nullable: true }) fallback!: { from: string; reason: string } | null;
  @Column({ type: 'text', nullable: true }) worker!: string | null;
  @Column({ type: 'jsonb', nullable: true }) output!: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
}

export const WORKFLOW_ENTITIES = [Workflow, WorkflowStepRecord];

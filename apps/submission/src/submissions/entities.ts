import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ContactChannel, Locale, SubmissionStatus } from '@statex/contracts';

@Entity({ name: 'submissions' })
export class Submission {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) phone!: string | null;
  @Column({ type: 'text', nullable: true }) company!: string | null;
  @Column({ type: 'text' }) message!: string;
  @Column({ name: 'contact_channel', type: 'text' }) contactChannel!: ContactChannel;
  @Column({ name: 'telegram_chat_id', type: 'text', nullable: true }) telegramChatId!: string | null;
  @Column({ name: 'linkedin_url', type: 'text', nullable: true }) linkedinUrl!: string | null;
  @Column({ type: 'text', default: 'en' }) locale!: Locale;
  /** The latest completed AI analysis (`ai.analysis.completed`). */
  @Column({ type: 'jsonb', nullable: true }) analysis!: Record<string, unknown> | null;
  @Column({ type: 'text' }) status!: SubmissionStatus;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'submission_attachments' })
@Index(['submissionId'])
export class SubmissionAttachment {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'submission_id', type: 'uuid' }) submissionId!: string;
  /** As uploaded; shown to people, never used as a path. */
  @Column({ name: 'file_name', type: 'text' }) fileName!: string;
  @Column({ name: 'content_type', type: 'text' }) contentType!: string;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) size!: number;
  @Column({ type: 'text' }) sha256!: string;
  @Column({ name: 'storage_key', type: 'text' }) storageKey!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** The submission's timeline: one row per status it reached. */
@Entity({ name: 'submission_status_changes' })
@Index(['submissionId', 'at'])
export class SubmissionStatusChange {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ name: 'submission_id', type: 'uuid' }) submissionId!: string;
  @Column({ type: 'text' }) status!: SubmissionStatus;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ type: 'timestamptz' }) at!: Date;
}

/** The first response to a POST carrying an Idempotency-Key, replayed for its retries. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  @PrimaryColumn({ type: 'text' }) key!: string;
  @Column({ name: 'request_hash', type: 'text' }) requestHash!: string;
  @Column({ name: 'submission_id', type: 'uuid' }) submissionId!: string;
  @Column({ type: 'jsonb' }) response!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const SUBMISSION_ENTITIES = [Submission, SubmissionAttachment, SubmissionStatusChange, IdempotencyKey];

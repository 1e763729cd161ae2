import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ContactChannel, Locale } from '@statex/contracts';

export const NOTIFICATION_STATUSES = ['queued', 'sending', 'sent', 'failed', 'manual_pending', 'manual_done', 'cancelled'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** One hop of a notification's route: the channel and who it reaches there. */
export interface RouteHop {
  channel: ContactChannel;
  recipient: string;
}

@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryColumn('uuid') id!: string;
  /** Makes a repeated request create nothing: `acknowledgement:<submission id>`, `api:<idempotency key>`… */
  @Index({ unique: true }) @Column({ name: 'dedupe_key', type: 'text', nullable: true }) dedupeKey!: string | null;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
  /** The current hop's channel and recipient. */
  @Column({ type: 'text' }) channel!: ContactChannel;
  @Column({ type: 'text' }) recipient!: string;
  @Column({ type: 'text' }) template!: string;
  @Column({ type: 'text' }) locale!: Locale;
  @Column({ type: 'jsonb', default: {} }) data!: Record<string, unknown>;
  /** The channels to try in order (the lead's channel, then the fallback chain). */
  @Column({ type: 'jsonb', default: [] }) route!: RouteHop[];
  @Column({ type: 'int', default: 0 }) hop!: number;
  /** Bumped by a manual retry, so jobs of an earlier run are recognised as stale. */
  @Column({ type: 'int', default: 0 }) generation!: number;
  @Column({ type: 'text' }) status!: NotificationStatus;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'provider_message_id', type: 'text', nullable: true }) providerMessageId!: string | null;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  /** For a manual task: the text the operator sends. */
  @Column({ name: 'manual_text', type: 'text', nullable: true }) manualText!: string | null;
  @Column({ name: 'completed_by', type: 'text', nullable: true }) completedBy!: string | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'completion_note', type: 'text', nullable: true }) completionNote!: string | null;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt!: Date | null;
  /** When its recipient's account was deleted: recipient, route and data erased, the rest kept for counts. */
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true }) erasedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** What an erased recipient (and any mention of the address) reads as. */
export const ERASED = '[erased]';

@Entity({ name: 'notification_attempts' })
@Index(['notificationId'])
export class NotificationAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ name: 'notification_id', type: 'uuid' }) notificationId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'text', nullable: true }) channel!: ContactChannel | null;
  @Column({ type: 'text', nullable: true }) recipient!: string | null;
  @Column({ type: 'text' }) outcome!: 'sent' | 'failed' | 'fallback';
  @Column({ type: 'text', nullable: true }) error!: string | null;
}

/** What the notification service knows of a lead, from `request.created`, to answer them later. */
@Entity({ name: 'lead_contacts' })
export class LeadContact {
  @PrimaryColumn({ name: 'submission_id', type: 'uuid' }) submissionId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) email!: string;
  @Column({ type: 'text', nullable: true }) phone!: string | null;
  @Column({ name: 'telegram_chat_id', type: 'text', nullable: true }) telegramChatId!: string | null;
  @Column({ name: 'linkedin_url', type: 'text', nullable: true }) linkedinUrl!: string | null;
  @Column({ name: 'contact_channel', type: 'text' }) contactChannel!: ContactChannel;
  @Column({ type: 'text' }) locale!: Locale;
  @Column({ name: 'status_url', type: 'text', nullable: true }) statusUrl!: string | null;
  @Column({ type: 'text' }) message!: string;
}

export const NOTIFICATION_ENTITIES = [Notification, NotificationAttempt, LeadContact];

/** The dedupe key of a message the lead journey itself sends: the only kind that moves a submission's status. */
export function journeyDedupeKey(template: 'acknowledgement' | 'analysis-results', submissionId: string): string {
  return `${template}:${submissionId}`;
}

/** API and `notification.requested` keys are always prefixed (`api:`, `event:`), so none can pose as the journey's. */
export function isJourneyNotification(n: Pick<Notification, 'dedupeKey' | 'template' | 'correlationId'>): boolean {
  return n.correlationId !== null && (n.template === 'acknowledgement' || n.template === 'analysis-results') && n.dedupeKey === journeyDedupeKey(n.template, n.correlationId);
}

import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ContactChannel } from '@statex/contracts';

export type NotificationStatus = 'queued' | 'sending' | 'sent' | 'failed';

@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryColumn('uuid') id!: string;
  /** One notification per journey step and channel, e.g. `acknowledgement:<submission id>:email`. */
  @Index({ unique: true }) @Column({ name: 'dedupe_key', type: 'text' }) dedupeKey!: string;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
  @Column({ type: 'text' }) channel!: ContactChannel;
  @Column({ type: 'text' }) recipient!: string;
  @Column({ type: 'text' }) template!: string;
  @Column({ type: 'text' }) locale!: string;
  @Column({ type: 'text' }) status!: NotificationStatus;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'provider_message_id', type: 'text', nullable: true }) providerMessageId!: string | null;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'notification_attempts' })
@Index(['notificationId'])
export class NotificationAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ name: 'notification_id', type: 'uuid' }) notificationId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'text' }) outcome!: 'sent' | 'failed';
  @Column({ type: 'text', nullable: true }) error!: string | null;
}

export const NOTIFICATION_ENTITIES = [Notification, NotificationAttempt];

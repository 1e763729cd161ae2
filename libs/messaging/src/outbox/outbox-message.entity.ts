import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An event waiting to be published, written in the same transaction as the state change it announces. */
@Entity({ name: 'outbox_messages' })
@Index('outbox_messages_pending_idx', ['createdAt'], { where: 'published_at IS NULL AND set_aside_at IS NULL' })
export class OutboxMessage {
  /** Also the AMQP message id, so consumers can deduplicate a republished row. */
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'routing_key', type: 'text' }) routingKey!: string;
  @Column({ type: 'jsonb' }) payload!: unknown;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  /** Set when the row failed to publish too many times: it waits for an operator. */
  @Column({ name: 'set_aside_at', type: 'timestamptz', nullable: true }) setAsideAt!: Date | null;
  /** Until when a relay holds the row to publish it (no other relay takes it meanwhile). */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true }) claimedUntil!: Date | null;
  /** W3C trace context (traceparent, tracestate) of the transaction that wrote it; null while tracing is off. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true }) traceContext!: Record<string, string> | null;
}

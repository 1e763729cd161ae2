import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A message a consumer has already acted on; recorded in the transaction of its effect. */
@Entity({ name: 'inbox_messages' })
export class InboxMessage {
  @PrimaryColumn({ type: 'text' }) consumer!: string;
  @PrimaryColumn({ name: 'message_id', type: 'text' }) messageId!: string;
  @Column({ name: 'routing_key', type: 'text' }) routingKey!: string;
  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' }) processedAt!: Date;
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface StoredEvent {
  messageId: string;
  routingKey: string;
  correlationId: string | null;
  submissionId: string | null;
  source: string | null;
  publishedAt: Date;
  payload: unknown;
}

export interface EventItem {
  messageId: string;
  routingKey: string;
  correlationId: string | null;
  submissionId: string | null;
  source: string | null;
  publishedAt: string;
  payload: unknown;
}

export interface EventQuery {
  routingKey?: string;
  correlationId?: string;
  from?: Date;
  to?: Date;
  after?: { time: Date; id: string };
  limit: number;
}

interface Row {
  message_id: string;
  routing_key: string;
  correlation_id: string | null;
  submission_id: string | null;
  source: string | null;
  published_at: Date;
  payload: unknown;
}

const toItem = (r: Row): EventItem => ({
  messageId: r.message_id,
  routingKey: r.routing_key,
  correlationId: r.correlation_id,
  submissionId: r.submission_id,
  source: r.source,
  publishedAt: r.published_at.toISOString(),
  payload: r.payload,
});

/** The event log: every domain event once (by message id), as published. */
@Injectable()
export class EventLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** False when the message was already stored (a redelivery). */
  async insert(event: StoredEvent): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO domain_events (message_id, routing_key, correlation_id, submission_id, source, published_at, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [event.messageId, event.routingKey, event.correlationId, event.submissionId, event.source, event.publishedAt.toISOString(), JSON.stringify(event.payload)],
    );
    return rows.length > 0;
  }

  async find(query: EventQuery): Promise<EventItem[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.routingKey) where.push(`routing_key = ${param(query.routingKey)}`);
    if (query.correlationId) where.push(`correlation_id = ${param(query.correlationId)}`);
    if (query.from) where.push(`published_at >= ${param(query.from.toISOString())}`);
    if (query.to) where.push(`published_at < ${param(query.to.toISOString())}`);
    if (query.after) where.push(`(published_at, message_id) < (${param(query.after.time.toISOString())}::timestamptz, ${param(query.after.id)})`);
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM domain_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY published_at DESC, message_id DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(toItem);
  }

  /** The events of one journey, oldest first: its correlation id, or a payload naming the submission. */
  async ofSubmission(submissionId: string, limit: number): Promise<EventItem[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM domain_events WHERE correlation_id = $1 OR submission_id = $1 ORDER BY published_at, received_at LIMIT $2`,
      [submissionId, limit],
    );
    return rows.map(toItem);
  }
}

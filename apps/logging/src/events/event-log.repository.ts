import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { runPrepared } from '@statex/persistence';
import { addressesIn, eraseFromPayload } from './erasure';

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

/** Namespaces the advisory locks of account erasure (the first key of the two-key form). */
const ACCOUNT_LOCK_CLASS = 7301;

/** The event log: every domain event once (by message id), as published. */
@Injectable()
export class EventLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** False when the message was already stored (a redelivery). */
  async insert(event: StoredEvent, manager?: EntityManager): Promise<boolean> {
    const text = `INSERT INTO domain_events (message_id, routing_key, correlation_id, submission_id, source, published_at, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`;
    const values = [event.messageId, event.routingKey, event.correlationId, event.submissionId, event.source, event.publishedAt.toISOString(), JSON.stringify(event.payload)];
    // Outside a transaction (most events), straight on the driver's pool as a prepared statement: one for every event published.
    const rows: unknown[] = manager ? await manager.query(text, values) : await runPrepared(this.dataSource, 'statex-logging-event', text, values);
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

  /**
   * Serialises storing an account's events with erasing that account: an event stored while
   * `user.deleted` is being applied waits for it, then sees the account erased. Shared for
   * storing (events do not wait on each other), exclusive for erasing; held until the commit.
   */
  async lockAccounts(manager: EntityManager, userIds: string[], mode: 'store' | 'erase'): Promise<void> {
    const lock = mode === 'erase' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
    for (const id of [...userIds].sort()) await manager.query(`SELECT ${lock}(${ACCOUNT_LOCK_CLASS}, hashtext($1))`, [id]);
  }

  async anyErased(manager: EntityManager, userIds: string[]): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM erased_accounts WHERE user_id = ANY($1::text[]) LIMIT 1`, [userIds]);
    return rows.length > 0;
  }

  /**
   * Erases an account from the event log: the events of the account (user.* and the notification
   * events correlated by its id, or naming its id) and every user.* or notification.* event naming
   * its address lose the address and what was said to it (see eraseFromPayload). Remembers the
   * account, so its events that arrive later are stored erased. Running it again changes nothing.
   * Returns how many stored events were changed.
   */
  async eraseAccount(manager: EntityManager, account: { userId: string; email: string }): Promise<number> {
    await manager.query(`INSERT INTO erased_accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [account.userId]);
    const rows: { message_id: string; routing_key: string; payload: unknown }[] = await manager.query(
      `SELECT message_id, routing_key, payload FROM domain_events
       WHERE (routing_key LIKE 'user.%' OR routing_key LIKE 'notification.%')
         AND (correlation_id = $1 OR payload->>'userId' = $1 OR lower(payload->>'email') = $2 OR lower(payload->>'recipient') = $2)
       FOR UPDATE`,
      [account.userId, account.email.toLowerCase()],
    );
    let changed = 0;
    for (const row of rows) {
      // An event of the account names its own addresses: those go too, not only the one user.deleted gave.
      const erased = eraseFromPayload(row.routing_key, row.payload, [account.email, ...addressesIn(row.payload)]);
      if (JSON.stringify(erased) === JSON.stringify(row.payload)) continue;
      await manager.query(`UPDATE domain_events SET payload = $2 WHERE message_id = $1`, [row.message_id, JSON.stringify(erased)]);
      changed += 1;
    }
    return changed;
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

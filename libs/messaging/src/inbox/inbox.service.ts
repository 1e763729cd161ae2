import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { parameters } from '@statex/persistence';
import type { EventContext } from '../transport/event-context';

type InboxKey = Pick<EventContext, 'messageId' | 'routingKey'>;

/** The marker's INSERT, which yields a row only the first time `consumer` sees the message. */
const insertMarker = (consumer: string, ctx: InboxKey, param: (value: unknown) => string) =>
  `INSERT INTO inbox_messages (consumer, message_id, routing_key) VALUES (${param(consumer)}, ${param(ctx.messageId)}, ${param(ctx.routingKey)}) ON CONFLICT DO NOTHING RETURNING 1`;

/**
 * The common table expression `inbox_row` that records a message for `consumer`, for one statement
 * that also makes the effect (`WITH inbox_row AS (…), effect AS (… WHERE EXISTS (SELECT 1 FROM
 * inbox_row)) …`): it yields a row only the first time the message is seen, so the effect happens
 * once, in one round trip where `once` takes a transaction. `param` adds a value, returns its placeholder.
 */
export function inboxInsertCte(consumer: string, ctx: InboxKey, param: (value: unknown) => string): string {
  return `inbox_row AS (${insertMarker(consumer, ctx, param)})`;
}

/**
 * Exactly-once effects over at-least-once delivery: a consumer records each message id
 * in the same transaction as the effect, so a redelivered message changes nothing.
 */
@Injectable()
export class InboxService {
  constructor(private readonly dataSource: DataSource) {}

  async hasProcessed(consumer: string, messageId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM inbox_messages WHERE consumer = $1 AND message_id = $2', [consumer, messageId]);
    return rows.length > 0;
  }

  /** Inserts the marker in the given transaction; false when the message was processed before. */
  async record(manager: EntityManager, consumer: string, ctx: InboxKey): Promise<boolean> {
    const { values, p } = parameters();
    const rows: unknown[] = await manager.query(insertMarker(consumer, ctx, p), values);
    return rows.length > 0;
  }

  /** Runs `effect` once per message: in one transaction with the inbox marker. Returns false for a duplicate. */
  async once(consumer: string, ctx: InboxKey, effect: (manager: EntityManager) => Promise<void>): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.record(manager, consumer, ctx))) return false;
      await effect(manager);
      return true;
    });
  }
}

import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { EventPayload, RoutingKey } from '@statex/contracts';
import { activeTraceHeaders } from '../trace-context';
import { OutboxMessage } from './outbox-message.entity';

function traceOf(): Record<string, string> | null {
  const headers = activeTraceHeaders();
  return Object.keys(headers).length > 0 ? headers : null;
}

/** The LISTEN/NOTIFY channel that wakes the relay when a transaction commits an event. */
export const OUTBOX_NOTIFY_CHANNEL = 'statex_outbox';

/** An outbox row, for a caller that writes its state change and its event in one SQL statement. */
export interface OutboxRow {
  id: string;
  routingKey: string;
  payload: unknown;
  correlationId: string | null;
  traceContext: Record<string, string> | null;
}

/**
 * The common table expressions that insert `row` into the outbox and wake the relay, for one
 * statement (`WITH …, <these>, … SELECT … FROM outbox_notified`): a single round trip where a
 * transaction would take four or more. `param` adds a value and returns its placeholder. The
 * statement must read `outbox_notified`, or PostgreSQL skips the notification.
 */
export function outboxInsertCtes(
  row: OutboxRow,
  param: (value: unknown) => string,
  /**
   * `from`: a CTE of the statement; the event is written once per row it yields (none: no event).
   * `payload`: SQL that turns the payload's jsonb placeholder into the payload stored, reading `from`.
   */
  options: { from?: string; payload?: (payload: string) => string } = {},
): string {
  const payload = `${param(JSON.stringify(row.payload))}::jsonb`;
  const values = `${param(row.id)}, ${param(row.routingKey)}, ${options.payload ? options.payload(payload) : payload}, ${param(row.correlationId)}, ${param(row.traceContext ? JSON.stringify(row.traceContext) : null)}::jsonb`;
  return (
    `outbox_row AS (INSERT INTO outbox_messages (id, routing_key, payload, correlation_id, trace_context) ` +
    `${options.from ? `SELECT ${values} FROM ${options.from}` : `VALUES (${values})`} RETURNING routing_key), ` +
    `outbox_notified AS (SELECT pg_notify('${OUTBOX_NOTIFY_CHANNEL}', routing_key) FROM outbox_row)`
  );
}

@Injectable()
export class OutboxService {
  /** The row for an event that the caller writes itself, in one statement with its state change (outboxInsertCtes). */
  row<K extends RoutingKey>(routingKey: K, payload: EventPayload<K>, options: { correlationId?: string } = {}): OutboxRow {
    return { id: randomUUID(), routingKey, payload, correlationId: options.correlationId ?? null, traceContext: traceOf() };
  }

  /**
   * Records an event in the caller's transaction. It is published by the relay after
   * the transaction commits, and never if it rolls back.
   */
  async add<K extends RoutingKey>(
    manager: EntityManager,
    routingKey: K,
    payload: EventPayload<K>,
    options: { correlationId?: string } = {},
  ): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('OutboxService.add must run inside a transaction with the state change it announces');
    }
    const id = randomUUID();
    await manager.insert(OutboxMessage, {
      id,
      routingKey,
      payload: payload as object,
      correlationId: options.correlationId ?? null,
      traceContext: traceOf(),
    });
    await manager.query('SELECT pg_notify($1, $2)', [OUTBOX_NOTIFY_CHANNEL, routingKey]);
    return id;
  }
}

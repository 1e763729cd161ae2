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

@Injectable()
export class OutboxService {
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

import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';

/** Header names StateX sets on every message, besides the standard AMQP properties. */
export const Header = {
  Attempt: 'x-attempt',
  CorrelationId: 'x-correlation-id',
  Source: 'x-source',
  ParkedReason: 'x-parked-reason',
  ParkedAt: 'x-parked-at',
  LastError: 'x-last-error',
  /** When the message first failed (set on its first retry copy, kept on later copies). */
  FirstFailedAt: 'x-first-failed-at',
  /** When an operator replayed it from the dead-letter queue. */
  ReplayedAt: 'x-replayed-at',
} as const;

export interface OutgoingMessage {
  routingKey: string;
  payload: unknown;
  /** Defaults to a new UUID. The outbox passes its row id so a republished row keeps its id. */
  messageId?: string;
  /** The journey this message belongs to: the submission id for the lead journey. */
  correlationId?: string;
  timestamp?: Date;
}

/**
 * Every message carries its id, type (the routing key), timestamp, source app and
 * correlation id as AMQP properties, mirrored in headers for tools that only show those.
 */
export function publishOptions(message: OutgoingMessage, source: string): Options.Publish & { messageId: string } {
  const messageId = message.messageId ?? randomUUID();
  const timestamp = message.timestamp ?? new Date();
  return {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId,
    type: message.routingKey,
    timestamp: Math.floor(timestamp.getTime() / 1000),
    appId: source,
    correlationId: message.correlationId,
    headers: {
      [Header.Source]: source,
      [Header.CorrelationId]: message.correlationId,
      'x-published-at': timestamp.toISOString(),
    },
  };
}

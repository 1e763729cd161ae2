import type { Channel } from 'amqplib';

/**
 * Outbox replay: when a consumer finds its queue was deleted (by an operator, a broker migration)
 * and has declared it again, whatever sat in the old queue, and whatever was published before it
 * came back, is gone from the broker. It asks every publisher, on this fanout exchange, to send the
 * events still kept in their outboxes (published rows are kept `OUTBOX_RETENTION_HOURS`) that match
 * its bindings straight to its queue, with their original message ids: the consumer's inbox turns
 * every one it had already handled into a no-op, so the replay can only fill gaps.
 */
export interface ReplayRequest {
  /** The queue to send to, e.g. `statex.notification`. */
  queue: string;
  /** Its routing-key patterns: only matching events are sent. */
  bindings: string[];
  /** Why, for the publishers' logs. */
  reason: string;
}

export const replayExchangeOf = (namespace: string) => `${namespace}.replay`;

export async function assertReplayExchange(channel: Channel, namespace: string): Promise<void> {
  await channel.assertExchange(replayExchangeOf(namespace), 'fanout', { durable: true });
}

/** Asks every publisher of the namespace to replay its outbox into `request.queue`. */
export async function requestReplay(channel: Channel, namespace: string, request: ReplayRequest): Promise<void> {
  await assertReplayExchange(channel, namespace);
  channel.publish(replayExchangeOf(namespace), '', Buffer.from(JSON.stringify(request)), { contentType: 'application/json', persistent: false });
}

export function parseReplayRequest(content: Buffer): ReplayRequest | null {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<ReplayRequest>;
    if (typeof value.queue !== 'string' || !Array.isArray(value.bindings) || !value.bindings.every((b) => typeof b === 'string')) return null;
    return { queue: value.queue, bindings: value.bindings, reason: String(value.reason ?? '') };
  } catch {
    return null;
  }
}

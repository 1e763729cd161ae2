import amqp from 'amqplib';
import { EVENT_CONSUMERS } from '@statex/contracts';
import { replayExchangeOf } from './replay';
import { topologyFor } from './topology';

/**
 * Deletes everything a namespace declares on the broker: every registry service's queue, retry
 * queues and `.dlq`, `unrouted`, and the exchanges. For tests and benchmarks that run on a
 * throw-away namespace; never for a live one.
 */
export async function deleteNamespace(
  url: string,
  namespace: string,
  retryDelaysMs: number[],
  services: string[] = [],
  /** Queues and exchanges of the namespace outside the event topology (log shipping's, say). */
  also: { queues?: string[]; exchanges?: string[] } = {},
): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const run = async (work: (channel: amqp.Channel) => Promise<unknown>) => {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await work(channel).catch(() => undefined);
      await channel.close().catch(() => undefined);
    };
    for (const service of new Set([...services, ...Object.keys(EVENT_CONSUMERS)])) {
      const t = topologyFor(namespace, service);
      for (const queue of [t.queue, t.deadLetterQueue, ...retryDelaysMs.map((d) => t.retryQueue(d))]) await run((c) => c.deleteQueue(queue));
    }
    const t = topologyFor(namespace, 'any');
    await run((c) => c.deleteQueue(t.unroutedQueue));
    for (const queue of also.queues ?? []) await run((c) => c.deleteQueue(queue));
    for (const exchange of [t.exchange, t.alternateExchange, replayExchangeOf(namespace), ...(also.exchanges ?? [])]) await run((c) => c.deleteExchange(exchange));
  } finally {
    await connection.close().catch(() => undefined);
  }
}

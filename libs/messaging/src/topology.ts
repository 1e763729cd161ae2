import type { Channel, Options } from 'amqplib';

/** Names of everything a service declares on the broker, derived from one namespace. */
export interface Topology {
  /** Topic exchange carrying the domain events, e.g. `statex.events`. */
  exchange: string;
  /** Fanout exchange that keeps messages no queue was bound for. */
  alternateExchange: string;
  unroutedQueue: string;
  /** The service's own durable quorum queue, e.g. `statex.submission`. */
  queue: string;
  /** Where messages that cannot be processed are parked, e.g. `statex.submission.dlq`. */
  deadLetterQueue: string;
  retryQueue(delayMs: number): string;
}

export function topologyFor(namespace: string, service: string): Topology {
  const queue = `${namespace}.${service}`;
  return {
    exchange: `${namespace}.events`,
    alternateExchange: `${namespace}.unrouted`,
    unroutedQueue: `${namespace}.unrouted`,
    queue,
    deadLetterQueue: `${queue}.dlq`,
    retryQueue: (delayMs) => `${queue}.retry.${delayMs}ms`,
  };
}

/** Broker-side dead-lettering that survives a node failure (RabbitMQ ≥ 3.10, quorum queues). */
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };

/**
 * A message redelivered this many times (its consumer crashed on it again and again)
 * is dead-lettered by the broker into the service's `.dlq`, so a poison message
 * can never wedge a queue.
 */
export const DELIVERY_LIMIT = 10;

export function quorumQueue(args: Record<string, unknown> = {}): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': 'quorum', ...args } };
}

/** The exchange every service publishes to, with an alternate exchange so no event is dropped unrouted. */
export async function assertEventExchange(channel: Channel, topology: Topology): Promise<void> {
  await channel.assertExchange(topology.alternateExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.unroutedQueue, quorumQueue());
  await channel.bindQueue(topology.unroutedQueue, topology.alternateExchange, '');
  await channel.assertExchange(topology.exchange, 'topic', {
    durable: true,
    alternateExchange: topology.alternateExchange,
  });
}

/**
 * The consumer side: the service queue bound to its routing keys, one retry queue per
 * delay (its TTL dead-letters back into the service queue) and the dead-letter queue.
 */
export async function assertServiceQueues(
  channel: Channel,
  topology: Topology,
  bindings: string[],
  retryDelaysMs: number[],
): Promise<void> {
  await assertEventExchange(channel, topology);
  await channel.assertQueue(topology.deadLetterQueue, quorumQueue());
  await channel.assertQueue(
    topology.queue,
    quorumQueue({
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': topology.deadLetterQueue,
      ...SAFE_DEAD_LETTERING,
    }),
  );
  for (const delay of new Set(retryDelaysMs)) {
    await channel.assertQueue(
      topology.retryQueue(delay),
      quorumQueue({
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': topology.queue,
        ...SAFE_DEAD_LETTERING,
      }),
    );
  }
  for (const key of bindings) await channel.bindQueue(topology.queue, topology.exchange, key);
}

/** AMQP topic matching: `*` is one word, `#` zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/**
 * Every service's queues and bindings from the registry of who consumes what, so an event
 * published before its consumer ever started still finds its queue.
 */
export async function assertPlatformTopology(channel: Channel, namespace: string, consumers: Record<string, readonly string[]>, retryDelaysMs: number[]): Promise<void> {
  for (const [service, bindings] of Object.entries(consumers)) {
    await assertServiceQueues(channel, topologyFor(namespace, service), [...bindings], retryDelaysMs);
  }
}

/**
 * A queue already on the broker with other arguments than the service declares (a changed
 * delivery limit, another queue type): what differs and how to migrate, or null for other errors.
 */
export function describeTopologyDrift(error: unknown): string | null {
  const text = error instanceof Error ? error.message : String(error);
  const match = /PRECONDITION_FAILED - inequivalent arg '([^']+)' for queue '([^']+)' in vhost '[^']*': received (.+?) but current is (.+?)"?$/m.exec(text);
  if (!match) return null;
  const [, argument, queue, declared, current] = match;
  return (
    `Queue ${queue} exists on the broker with ${argument} = ${current}, but this service declares ${declared}. ` +
    `The broker cannot change a queue's arguments in place. To migrate: stop the services that consume ${queue}, ` +
    `move its messages aside if it holds any (a shovel to a temporary queue, or npm run dlq for a .dlq), ` +
    `delete it (rabbitmqctl delete_queue ${queue}), and start the service again: it declares the queue anew.`
  );
}

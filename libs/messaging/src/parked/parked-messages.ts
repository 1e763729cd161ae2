import { randomUUID } from 'node:crypto';
import amqp, { type ConfirmChannel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { AMQP_SOCKET_OPTIONS } from '../connection-options';
import { Header } from '../message-headers';
import { topologyFor } from '../topology';

/** A message parked in a service's dead-letter queue (or an event no queue was bound for). */
export interface ParkedMessage {
  messageId: string;
  routingKey: string;
  reason: string;
  attempts: number;
  firstFailedAt?: string;
  parkedAt?: string;
  correlationId?: string;
  source?: string;
  /** Times the broker has handed it out (inspections included). */
  deliveries: number;
  payload: unknown;
}

/** `unrouted` names the queue of events no service was bound for; replaying one publishes it to the exchange again. */
export const UNROUTED = 'unrouted';

export type Selection = string[] | 'all';

/** The header that matches a copy the broker returned to the replay that sent it. */
const REPLAY_ID = 'x-statex-replay-id';

/**
 * The broker returned a replayed copy: no queue took it (the service queue was deleted, or never
 * declared). The message stays parked; those replayed before it are in `replayed`.
 */
export class ReplayReturned extends Error {
  constructor(
    readonly queue: string,
    readonly messageId: string,
    readonly replayed: string[],
  ) {
    super(
      `${queue} took no copy of ${messageId} (the queue does not exist: start the service or run npm run migrate, then replay again); it stays parked` +
        (replayed.length ? `; replayed before it: ${replayed.join(', ')}` : ''),
    );
  }
}

/**
 * What an operator does with parked messages, on the broker itself: list and inspect them,
 * replay them into their service's queue (the original message id kept, so the service's inbox
 * still guarantees one effect; attempts start again), or discard them. Inspecting takes the
 * messages unacknowledged and gives them back on closing, so nothing is lost if it stops halfway;
 * a replayed message is removed from the dead-letter queue only after the broker confirmed the copy.
 */
export class ParkedMessages {
  constructor(
    private readonly url: string,
    private readonly namespace: string,
  ) {}

  queueOf(service: string): string {
    return service === UNROUTED ? topologyFor(this.namespace, 'x').unroutedQueue : topologyFor(this.namespace, service).deadLetterQueue;
  }

  async list(service: string, limit = 1000): Promise<ParkedMessage[]> {
    return this.withChannel(async (channel) => (await this.take(channel, this.queueOf(service), limit)).map(describe));
  }

  async show(service: string, messageId: string): Promise<ParkedMessage | undefined> {
    return (await this.list(service, 100_000)).find((m) => m.messageId === messageId);
  }

  /**
   * Republishes the selected messages, each `mandatory` with a confirm; returns the ids replayed.
   * A copy the broker returns (no queue took it) is not a replay: the original stays parked and
   * the replay stops with ReplayReturned.
   */
  async replay(service: string, selection: Selection): Promise<string[]> {
    const topology = topologyFor(this.namespace, service);
    return this.withChannel(async (channel) => {
      const returned = new Set<string>();
      channel.on('return', (msg: ConsumeMessage) => {
        const id = msg.properties.headers?.[REPLAY_ID];
        if (typeof id === 'string') returned.add(id);
      });
      const done: string[] = [];
      for (const msg of await this.take(channel, this.queueOf(service), 100_000)) {
        if (!selected(msg, selection)) continue;
        const replayId = randomUUID();
        const headers = { ...(msg.properties.headers ?? {}) };
        for (const header of [Header.ParkedReason, Header.ParkedAt, Header.LastError, 'x-death', 'x-delivery-count']) delete headers[header];
        const properties = { ...msg.properties, headers: { ...headers, [Header.Attempt]: 1, [Header.ReplayedAt]: new Date().toISOString(), [REPLAY_ID]: replayId }, persistent: true, mandatory: true };
        if (service === UNROUTED) channel.publish(topology.exchange, msg.properties.type || msg.fields.routingKey, msg.content, properties);
        else channel.sendToQueue(topology.queue, msg.content, properties);
        await channel.waitForConfirms();
        // basic.return comes before the confirm: a returned copy is known by now.
        if (returned.has(replayId)) throw new ReplayReturned(service === UNROUTED ? topology.exchange : topology.queue, idOf(msg), done);
        channel.ack(msg);
        done.push(idOf(msg));
      }
      return done;
    });
  }

  /** Drops the selected messages for good; returns the ids discarded. */
  async discard(service: string, selection: Selection): Promise<string[]> {
    return this.withChannel(async (channel) => {
      const done: string[] = [];
      for (const msg of await this.take(channel, this.queueOf(service), 100_000)) {
        if (!selected(msg, selection)) continue;
        channel.ack(msg);
        done.push(idOf(msg));
      }
      return done;
    });
  }

  /** Messages waiting in a service's queue and in its dead-letter queue (null: the queue does not exist). */
  async depth(service: string): Promise<{ queue: number | null; deadLetter: number | null }> {
    const topology = topologyFor(this.namespace, service);
    const count = (queue: string) => this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount).catch(() => null);
    return { queue: await count(topology.queue), deadLetter: await count(this.queueOf(service)) };
  }

  private async take(channel: ConfirmChannel, queue: string, limit: number): Promise<GetMessage[]> {
    const taken: GetMessage[] = [];
    while (taken.length < limit) {
      const msg = await channel.get(queue, { noAck: false });
      if (!msg) break;
      taken.push(msg);
    }
    return taken;
  }

  /**
   * One connection per command: closing it hands every message not acknowledged back to its
   * queue. The channel is closed first, with its handshake: a quorum queue may otherwise see the
   * connection go before it has applied the acks sent just before, and hand those messages back too.
   */
  private async withChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    const connection = await amqp.connect(this.url, AMQP_SOCKET_OPTIONS);
    connection.on('error', () => undefined);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      try {
        await channel.prefetch(0);
        return await work(channel);
      } finally {
        await channel.close().catch(() => undefined);
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}

function idOf(msg: GetMessage): string {
  return msg.properties.messageId ?? `delivery-${msg.fields.deliveryTag}`;
}

function selected(msg: GetMessage, selection: Selection): boolean {
  return selection === 'all' || selection.includes(idOf(msg));
}

function describe(msg: GetMessage): ParkedMessage {
  const headers = msg.properties.headers ?? {};
  let payload: unknown;
  try {
    payload = JSON.parse(msg.content.toString('utf8'));
  } catch {
    payload = msg.content.toString('utf8').slice(0, 10_000);
  }
  return {
    messageId: idOf(msg),
    routingKey: msg.properties.type || msg.fields.routingKey,
    reason: String(headers[Header.ParkedReason] ?? (headers['x-first-death-reason'] ? `broker: ${headers['x-first-death-reason']}` : 'no event handler was bound for it')),
    attempts: Number(headers[Header.Attempt] ?? 0),
    firstFailedAt: headers[Header.FirstFailedAt] as string | undefined,
    parkedAt: headers[Header.ParkedAt] as string | undefined,
    correlationId: msg.properties.correlationId ?? (headers[Header.CorrelationId] as string | undefined),
    source: msg.properties.appId,
    deliveries: Number(headers['x-delivery-count'] ?? 0) + 1,
    payload,
  };
}

import { randomUUID } from 'node:crypto';
import { ServerRMQ } from '@nestjs/microservices';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { lastValueFrom } from 'rxjs';
import { EVENT_CONSUMERS, payloadClassOf } from '@statex/contracts';
import { AMQP_CONNECTION_OPTIONS } from '../connection-options';
import { PermanentMessageError } from '../errors';
import { Header } from '../message-headers';
import { ConsumerGauges, consumerMetrics, consumers, messagingMetrics } from '../metrics';
import { requestReplay } from '../replay';
import { processSpan } from '../trace-context';
import { assertServiceQueues, describeTopologyDrift, Topology, topicMatches, topologyFor } from '../topology';
import { EventContext, EventMeta } from './event-context';

export interface RmqEventServerOptions {
  url: string;
  namespace: string;
  /** The service name: its queue is `<namespace>.<service>`. */
  service: string;
  prefetch: number;
  /** Delay before each retry; a message is tried `retryDelaysMs.length + 1` times, then parked. */
  retryDelaysMs: number[];
  /** Runs each handler inside a context, e.g. a logger carrying the correlation id. */
  runInContext?: <T>(meta: EventMeta, work: () => Promise<T>) => Promise<T>;
  /**
   * What the handlers depend on (the database, Redis): the first one unreachable, or null.
   * Asked when a handler fails: an outage is not the message's fault, so it spends no attempt.
   */
  dependencies?: () => Promise<string | null>;
  /** How often a paused consumer asks whether its dependencies are back; default 1 s. */
  outagePollMs?: number;
  /** A queue on the broker with other arguments than this service declares: by default the process stops with the message. */
  onTopologyDrift?: (message: string) => void;
}

/** Stops the process: a service cannot run on a queue it cannot declare, and retrying would only loop. */
export function stopOnTopologyDrift(message: string): void {
  process.stderr.write(`Topology drift: ${message}\n`);
  process.exit(78);
}

type Outcome = 'acked' | 'retried' | 'parked';

/**
 * Nest's RMQ server, hardened for at-least-once delivery of domain events:
 * - durable quorum queues bound to the topic exchange by the handlers' patterns;
 * - manual acks with bounded prefetch: a handler that succeeds acks;
 * - a handler that throws is republished (with confirm) to a TTL retry queue and
 *   comes back with a growing delay; after the last attempt it is parked in `.dlq`;
 * - a body that is not JSON or a payload that fails its contract is parked at once;
 * - retry and park copies are published `mandatory` with confirms: a copy the broker returns
 *   (its queue was deleted) leaves the original unacknowledged, the queues are declared again,
 *   and the original is handed back for another try;
 * - a consumer cancelled by the broker re-attaches itself; a dropped connection is
 *   re-established by amqp-connection-manager, which re-runs this setup;
 * - a handler that fails while a dependency (the database, Redis) is unreachable spends no
 *   attempt: consuming pauses (readiness goes down), the messages in hand wait, and when the
 *   dependency answers again they run again with the same attempt number and consuming resumes;
 * - shutdown stops consuming first, lets in-flight handlers settle, then closes.
 */
export class RmqEventServer extends ServerRMQ implements ConsumerGauges {
  private readonly topology: Topology;
  private readonly maxAttempts: number;
  private closing = false;
  private readonly inFlight = new Set<Promise<Outcome>>();
  /** The live consumer (channel and tag); undefined while detached. */
  private consumer?: { channel: Channel; tag: string };
  /** Settle ids of retry/park copies the broker returned (no such queue). */
  private readonly returned = new Set<string>();
  /** The channel of the current connection, to resume consuming on after an outage. */
  private currentChannel?: Channel;
  /** Set while a dependency is down: every failing handler waits on it. */
  private outage?: Promise<void>;
  /** How many times a paused consumer has asked whether its dependencies are back. */
  outageChecks = 0;

  constructor(private readonly config: RmqEventServerOptions) {
    super({
      urls: [config.url],
      queue: topologyFor(config.namespace, config.service).queue,
      noAck: false,
      prefetchCount: config.prefetch,
      socketOptions: AMQP_CONNECTION_OPTIONS,
    });
    this.topology = topologyFor(config.namespace, config.service);
    this.maxAttempts = config.retryDelaysMs.length + 1;
    void consumerMetrics;
    consumers.add(this);
  }

  get serviceQueue(): string {
    return this.topology.queue;
  }

  /**
   * The depths of the service's queue, its `.dlq` and `unrouted`, asked passively on a channel of
   * their own (a passive check of a missing queue closes its channel; never the consumer's).
   */
  async queueDepths(): Promise<Array<{ queue: string; kind: 'work' | 'dlq' | 'unrouted'; messages: number }>> {
    const depths: Array<{ queue: string; kind: 'work' | 'dlq' | 'unrouted'; messages: number }> = [];
    await this.onSideChannel(async (channel) => {
      for (const [queue, kind] of [
        [this.topology.queue, 'work'],
        [this.topology.deadLetterQueue, 'dlq'],
        [this.topology.unroutedQueue, 'unrouted'],
      ] as const) {
        depths.push({ queue, kind, messages: (await channel.checkQueue(queue)).messageCount });
      }
    }).catch(() => undefined); // A queue not declared yet: what was read so far stands.
    return depths;
  }

  /** Runs `work` on a channel of its own (a failed passive check closes its channel, never the consumer's). */
  private async onSideChannel(work: (channel: Channel) => Promise<void>): Promise<void> {
    const connection = (this.server as unknown as { connection?: { createChannel(): Promise<Channel> } } | null)?.connection;
    if (!connection) throw new Error('not connected');
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Whether the service queue is gone from the broker (deleted), as opposed to a consumer cancelled for another reason. */
  private async queueMissing(): Promise<boolean> {
    try {
      await this.onSideChannel(async (channel) => void (await channel.checkQueue(this.topology.queue)));
      return false;
    } catch (error) {
      return /NOT_FOUND|404/.test(String((error as Error).message));
    }
  }

  get queueName(): string {
    return this.topology.queue;
  }

  isConnected(): boolean {
    return Boolean(this.server?.isConnected());
  }

  /** Connected and consuming its queue: what readiness reports. */
  isAttached(): boolean {
    return this.isConnected() && this.consumer !== undefined;
  }

  /**
   * Consuming is paused on purpose while a dependency (the database, Redis) is down: the broker
   * is fine, and readiness names the dependency's own check instead.
   */
  isPaused(): boolean {
    return this.outage !== undefined;
  }

  /** Called by amqp-connection-manager on every (re)connection with a fresh channel. */
  private errorsHandled = false;

  override async setupChannel(channel: Channel, callback: Function): Promise<void> {
    if (this.channel && !this.errorsHandled) {
      this.errorsHandled = true;
      // A setup interrupted by a closing connection is retried on the next connect; never crash on it.
      this.channel.on('error', (error: Error) => this.logger.warn(`RabbitMQ consumer channel: ${error.message}`));
    }
    channel.on('return', (msg: ConsumeMessage) => {
      const id = msg.properties.headers?.[SETTLE_ID];
      if (typeof id === 'string') this.returned.add(id);
    });
    channel.on('close', () => {
      this.consumer = undefined;
      // A channel-level error (not a lost connection) leaves amqp-connection-manager
      // without a channel until the next reconnect. Once a lost connection would have
      // been noticed, force a reconnect if the connection still looks alive.
      setTimeout(() => {
        const wrapper = this.channel as unknown as { _channel?: unknown } | null;
        if (!this.closing && this.server?.isConnected() && wrapper && !wrapper._channel) {
          this.logger.warn('Consumer channel closed on a live connection; reconnecting');
          this.server.reconnect();
        }
      }, 2000).unref();
    });
    this.currentChannel = channel;
    try {
      await this.attach(channel);
    } catch (error) {
      const drift = describeTopologyDrift(error);
      if (drift) {
        this.logger.error(drift);
        (this.config.onTopologyDrift ?? stopOnTopologyDrift)(drift);
        return;
      }
      throw error;
    }
    callback();
  }

  private async attach(channel: Channel): Promise<void> {
    const handled = [...this.getHandlers().keys()];
    const registered = EVENT_CONSUMERS[this.config.service] ?? [];
    const unregistered = handled.filter((pattern) => !registered.includes(pattern));
    if (unregistered.length > 0) {
      this.logger.error(`${this.config.service} handles ${unregistered.join(', ')}, missing from EVENT_CONSUMERS in @statex/contracts: events published before it starts will miss it`);
    }
    const bindings = [...new Set([...registered, ...handled])];
    await assertServiceQueues(channel, this.topology, bindings, this.config.retryDelaysMs);
    await channel.prefetch(this.config.prefetch);
    if (this.closing) return;
    const { consumerTag } = await channel.consume(this.topology.queue, (msg) => {
      if (msg === null) {
        this.consumer = undefined;
        this.reattachAfterCancel(channel);
        return;
      }
      this.track(this.process(msg, channel as ConfirmChannel));
    });
    this.consumer = { channel, tag: consumerTag };
    this.logger.log(`Consuming ${this.topology.queue} (${bindings.join(', ') || 'no bindings'})`);
  }

  /** The broker cancelled our consumer (queue deleted, leader moved…): declare again and resume. */
  private reattachAfterCancel(channel: Channel, delayMs = 500): void {
    if (this.closing) return;
    this.logger.warn(`Consumer on ${this.topology.queue} was cancelled by the broker; re-attaching`);
    setTimeout(() => {
      void (async () => {
        const deleted = await this.queueMissing();
        await this.attach(channel);
        // What sat in the deleted queue, and what was published while it was gone, is lost to the
        // broker: the publishers send what their outboxes still hold (the inbox skips what was handled).
        if (deleted) await this.askForReplay(`${this.topology.queue} was deleted and declared again`);
      })().catch((error: Error) => {
        this.logger.error(`Re-attaching the consumer failed: ${error.message}`);
        if (!this.closing) this.reattachAfterCancel(channel, Math.min(delayMs * 2, 10_000));
      });
    }, delayMs).unref();
  }

  private async askForReplay(reason: string): Promise<void> {
    const bindings = [...new Set([...(EVENT_CONSUMERS[this.config.service] ?? []), ...this.getHandlers().keys()])];
    this.logger.warn(`${reason}: asking every publisher to replay its outbox into it`);
    await this.onSideChannel((channel) => requestReplay(channel, this.config.namespace, { queue: this.topology.queue, bindings, reason }));
  }

  private track(work: Promise<Outcome>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  override async handleMessage(): Promise<void> {
    throw new Error('RmqEventServer consumes through process()');
  }

  private async process(msg: ConsumeMessage, channel: ConfirmChannel): Promise<Outcome> {
    const headers = msg.properties.headers ?? {};
    const routingKey: string = msg.properties.type || msg.fields.routingKey;
    const attempt = Number(headers[Header.Attempt] ?? 1) || 1;
    if (msg.fields.redelivered) messagingMetrics.redelivered.inc({ routing_key: routingKey });
    const meta: EventMeta = {
      messageId: msg.properties.messageId ?? `${routingKey}:${msg.fields.deliveryTag}`,
      routingKey,
      correlationId: msg.properties.correlationId ?? headers[Header.CorrelationId],
      source: msg.properties.appId,
      attempt,
      maxAttempts: this.maxAttempts,
    };
    const inContext = this.config.runInContext ?? (<T>(_m: EventMeta, work: () => Promise<T>) => work());
    // Handled in a consumer span, a child of the publisher's (the trace context in the headers).
    const run = <T>(m: EventMeta, work: () => Promise<T>) => processSpan(this.topology.queue, routingKey, m.messageId, headers, attempt, () => inContext(m, work));
    return run(meta, async () => {
      try {
        const handler = this.findHandler(routingKey);
        if (!handler) return await this.park(channel, msg, meta, `no handler for "${routingKey}"`);
        let body: unknown;
        try {
          body = JSON.parse(msg.content.toString('utf8'));
        } catch {
          return await this.park(channel, msg, meta, 'malformed body: not JSON');
        }
        const checked = await this.checkPayload(routingKey, body);
        if ('problem' in checked) return await this.park(channel, msg, meta, `invalid payload: ${checked.problem}`);

        for (;;) {
          try {
            const result = await handler(checked.payload, new EventContext(meta, msg));
            await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
            break;
          } catch (error) {
            const reason = describeError(error);
            if (!(error instanceof PermanentMessageError)) {
              const down = await this.dependencyDown();
              if (down) {
                // Not the message's fault: wait for the dependency, then run it again as the same attempt.
                if (!(await this.rideOutOutage(down))) return 'retried';
                continue;
              }
            }
            if (error instanceof PermanentMessageError || attempt >= this.maxAttempts) {
              return await this.park(channel, msg, meta, reason);
            }
            return await this.retry(channel, msg, meta, reason);
          }
        }
        channel.ack(msg);
        messagingMetrics.consumed.inc({ routing_key: routingKey });
        return 'acked';
      } catch (error) {
        // Republishing failed: leave the message unacknowledged (the broker redelivers it when
        // the channel closes). A copy returned for want of its queue: declare the queues again
        // and hand the original back after a pause, with its delivery count as the only cost.
        this.logger.error(`Could not settle ${meta.messageId}: ${describeError(error)}`);
        messagingMetrics.settleFailed.inc({ routing_key: routingKey });
        if (error instanceof ReturnedCopy) this.handBack(channel, msg);
        return 'retried';
      }
    });
  }

  private findHandler(routingKey: string) {
    // Handlers are registered under plain routing keys: looked up as they are. (Nest's
    // getHandlerByPattern first tries JSON.parse on the key, which throws, and builds a
    // SyntaxError with its stack, for every message.)
    const exact = this.messageHandlers.get(routingKey);
    if (exact) return exact;
    for (const [pattern, handler] of this.getHandlers()) {
      if (topicMatches(pattern, routingKey)) return handler;
    }
    return null;
  }

  /** Checks a payload against its contract class and hands the handler an instance of it. */
  private async checkPayload(routingKey: string, body: unknown): Promise<{ payload: unknown } | { problem: string }> {
    const schema = payloadClassOf(routingKey);
    if (!schema) return { payload: body };
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { problem: 'payload must be a JSON object' };
    const payload = plainToInstance(schema, body);
    const errors = await validate(payload, { forbidUnknownValues: true });
    if (errors.length === 0) return { payload };
    return {
      problem: errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? { nested: 'invalid nested value' }).join(', ')}`).join('; '),
    };
  }

  private async dependencyDown(): Promise<string | null> {
    if (!this.config.dependencies) return null;
    try {
      return await this.config.dependencies();
    } catch (error) {
      return describeError(error);
    }
  }

  /**
   * Pauses consuming until the dependencies answer again (one wait shared by every message in
   * hand), then resumes. False when the server is closing meanwhile: the message stays
   * unacknowledged and the broker hands it out again after the restart.
   */
  private async rideOutOutage(down: string): Promise<boolean> {
    this.outage ??= (async () => {
      this.logger.warn(`${down}: consuming ${this.topology.queue} is paused until it is back; messages wait in the queue`);
      const consumer = this.consumer;
      this.consumer = undefined;
      if (consumer) await consumer.channel.cancel(consumer.tag).catch(() => undefined);
      while (!this.closing) {
        await new Promise((r) => setTimeout(r, this.config.outagePollMs ?? 1000).unref());
        this.outageChecks += 1;
        if ((await this.dependencyDown()) === null) break;
      }
      if (this.closing) return;
      this.logger.log(`Dependencies are back: consuming ${this.topology.queue} again`);
      if (this.currentChannel && !this.consumer) await this.attach(this.currentChannel).catch((error: Error) => this.logger.error(`Resuming the consumer failed: ${error.message}`));
    })().finally(() => {
      this.outage = undefined;
    });
    await this.outage;
    return !this.closing;
  }

  private handBack(channel: ConfirmChannel, msg: ConsumeMessage): void {
    setTimeout(() => {
      assertServiceQueues(channel, this.topology, [...this.getHandlers().keys()], this.config.retryDelaysMs)
        .catch((error: Error) => this.logger.error(`Declaring ${this.topology.queue}'s queues again failed: ${error.message}`))
        .finally(() => {
          try {
            channel.nack(msg, false, true);
          } catch {
            // The channel is gone: the broker redelivers the message anyway.
          }
        });
    }, 1000).unref();
  }

  private async sendCopy(channel: ConfirmChannel, queue: string, msg: ConsumeMessage, extraHeaders: Record<string, unknown>): Promise<void> {
    const settleId = randomUUID();
    await sendConfirmed(channel, queue, msg, { ...extraHeaders, [SETTLE_ID]: settleId });
    // basic.return arrives before the confirm: a returned copy is known by now.
    if (this.returned.delete(settleId)) throw new ReturnedCopy(queue);
  }

  private async retry(channel: ConfirmChannel, msg: ConsumeMessage, meta: EventMeta, reason: string): Promise<Outcome> {
    const delay = this.config.retryDelaysMs[Math.min(meta.attempt - 1, this.config.retryDelaysMs.length - 1)];
    this.logger.warn(`Handler for ${meta.routingKey} failed (attempt ${meta.attempt}/${this.maxAttempts}), retrying in ${delay} ms: ${reason}`);
    await this.sendCopy(channel, this.topology.retryQueue(delay), msg, {
      [Header.Attempt]: meta.attempt + 1,
      [Header.LastError]: truncate(reason),
      [Header.FirstFailedAt]: msg.properties.headers?.[Header.FirstFailedAt] ?? new Date().toISOString(),
    });
    channel.ack(msg);
    messagingMetrics.retried.inc({ routing_key: meta.routingKey });
    return 'retried';
  }

  private async park(channel: ConfirmChannel, msg: ConsumeMessage, meta: EventMeta, reason: string): Promise<Outcome> {
    this.logger.error(`Parking ${meta.routingKey} ${meta.messageId} in ${this.topology.deadLetterQueue}: ${reason}`);
    await this.sendCopy(channel, this.topology.deadLetterQueue, msg, {
      [Header.ParkedReason]: truncate(reason),
      [Header.ParkedAt]: new Date().toISOString(),
      [Header.FirstFailedAt]: msg.properties.headers?.[Header.FirstFailedAt] ?? new Date().toISOString(),
      [Header.Attempt]: meta.attempt,
    });
    channel.ack(msg);
    const kind = reason.startsWith('invalid payload') || reason.startsWith('malformed') ? 'invalid' : reason.startsWith('no handler') ? 'no_handler' : 'failed';
    messagingMetrics.deadLettered.inc({ routing_key: meta.routingKey, reason: kind });
    return 'parked';
  }

  /**
   * Stops consuming first (no delivery starts during the drain, so none is cut off and counted
   * against the queue's delivery limit), lets in-flight handlers finish (they ack, retry or
   * park), then closes.
   */
  override async close(): Promise<void> {
    this.closing = true;
    consumers.delete(this);
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.channel.cancel(consumer.tag).catch((error: Error) => this.logger.warn(`Cancelling the consumer on ${this.topology.queue} failed: ${error.message}`));
    else if (this.outage === undefined) this.logger.warn(`Closing with no consumer attached on ${this.topology.queue}`);
    // Every delivery the broker sent before it took the cancel arrives ahead of the cancel-ok and is
    // in hand by now (amqplib dispatches it before the cancel resolves). One the queue had sent
    // that reached the broker's channel only after the cancel is returned to the queue by the broker
    // itself (rabbitmq-server#3729): it never reaches us, and its next delivery reads as redelivered.
    // Wait for everything in hand, at most 10 s.
    const deadline = Date.now() + 10_000;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    }
    const drained = this.inFlight.size === 0;
    if (!drained) this.logger.warn(`${this.inFlight.size} message(s) still in hand after 10 s on ${this.topology.queue}: the broker hands them out again`);
    await super.close();
  }
}

/** Marks a retry or park copy, to recognise it if the broker returns it. */
const SETTLE_ID = 'x-statex-settle-id';

class ReturnedCopy extends Error {
  constructor(queue: string) {
    super(`the broker returned the copy: queue ${queue} does not exist`);
  }
}

function sendConfirmed(channel: ConfirmChannel, queue: string, msg: ConsumeMessage, extraHeaders: Record<string, unknown>): Promise<void> {
  const options: Options.Publish = {
    ...msg.properties,
    persistent: true,
    mandatory: true,
    headers: { ...(msg.properties.headers ?? {}), ...extraHeaders },
  };
  return new Promise((resolve, reject) => {
    channel.sendToQueue(queue, msg.content, options, (error) => (error ? reject(error) : resolve()));
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

function truncate(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

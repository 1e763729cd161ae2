import amqp, { Channel, ChannelModel, ConsumeMessage, GetMessage } from 'amqplib';
import { deleteNamespace, publishOptions, topologyFor } from '@statex/messaging';
import { logShippingTopologyOf } from '@statex/observability';
import { waitFor } from './wait-for';

export interface SeenMessage {
  routingKey: string;
  payload: any;
  message: ConsumeMessage;
}

/**
 * A test's own AMQP client: sees every event on a namespace's exchange, publishes as a
 * producer would, reads dead-letter queues, and deletes the namespace afterwards.
 */
export class BrokerProbe {
  readonly seen: SeenMessage[] = [];
  private connection?: ChannelModel;
  private channel?: Channel;

  constructor(
    readonly namespace: string,
    private readonly url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  ) {}

  get exchange(): string {
    return `${this.namespace}.events`;
  }

  async start(): Promise<this> {
    this.connection = await amqp.connect(this.url);
    this.channel = await this.connection.createChannel();
    const topology = topologyFor(this.namespace, 'probe');
    await this.channel.assertExchange(topology.alternateExchange, 'fanout', { durable: true });
    await this.channel.assertExchange(topology.exchange, 'topic', { durable: true, alternateExchange: topology.alternateExchange });
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, topology.exchange, '#');
    await this.channel.consume(queue, (msg) => {
      if (!msg) return;
      let payload: unknown;
      try {
        payload = JSON.parse(msg.content.toString());
      } catch {
        payload = msg.content.toString();
      }
      this.seen.push({ routingKey: msg.fields.routingKey, payload, message: msg });
    }, { noAck: true });
    return this;
  }

  messages(routingKey: string, predicate: (m: SeenMessage) => boolean = () => true): SeenMessage[] {
    return this.seen.filter((m) => m.routingKey === routingKey && predicate(m));
  }

  waitForEvent(routingKey: string, predicate: (m: SeenMessage) => boolean = () => true, timeoutMs = 15_000): Promise<SeenMessage> {
    return waitFor(() => this.messages(routingKey, predicate)[0], { timeoutMs, what: `a ${routingKey} event` });
  }

  /** Publishes as a StateX producer does (persistent, with message id and correlation id). */
  async publish(routingKey: string, payload: unknown, options: { messageId?: string; correlationId?: string; raw?: Buffer } = {}): Promise<string> {
    const props = publishOptions({ routingKey, payload, messageId: options.messageId, correlationId: options.correlationId }, 'test-probe');
    const body = options.raw ?? Buffer.from(JSON.stringify(payload));
    this.channel!.publish(this.exchange, routingKey, body, props);
    return props.messageId;
  }

  /** Drains a queue without consuming from it for good (for reading a `.dlq`). */
  async drain(queue: string): Promise<GetMessage[]> {
    const out: GetMessage[] = [];
    for (;;) {
      const msg = await this.channel!.get(queue, { noAck: true });
      if (!msg) return out;
      out.push(msg);
    }
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.checkQueue(queue)).messageCount;
  }

  /** Consumers the broker has on `queue`: 0 once a cancel has taken effect there. */
  async consumerCount(queue: string): Promise<number> {
    return (await this.checkQueue(queue)).consumerCount;
  }

  private async checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    const ch = await this.connection!.createChannel();
    ch.on('error', () => undefined);
    try {
      return await ch.checkQueue(queue);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async deleteQueue(queue: string): Promise<void> {
    const ch = await this.connection!.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteQueue(queue).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }

  /**
   * Deletes every queue and exchange of the namespace's services (all the registry's: every service
   * declares them) and of log shipping: a quorum queue left behind keeps its files open on the
   * shared broker for good.
   */
  async cleanup(services: string[], retryDelaysMs: number[] = [200, 400, 800]): Promise<void> {
    await deleteNamespace(this.url, this.namespace, retryDelaysMs, services, logShippingTopologyOf(this.namespace));
  }

  async stop(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
  }
}

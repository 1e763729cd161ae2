import { Logger } from '@nestjs/common';
import amqp, { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AMQP_CONNECTION_OPTIONS } from './connection-options';
import { UnroutableMessageError } from './errors';
import { OutgoingMessage, publishOptions } from './message-headers';
import { messagingMetrics } from './metrics';
import { publishSpan } from './trace-context';
import { assertReplayExchange, parseReplayRequest, replayExchangeOf, ReplayRequest } from './replay';
import { assertEventExchange, Topology, topologyFor } from './topology';

export interface EventPublisherOptions {
  url: string;
  namespace: string;
  /** The publishing app, carried in `appId`. */
  source: string;
  /** How long a publish waits for the broker's confirm (including while reconnecting). */
  confirmTimeoutMs?: number;
  /** Declares the platform's queues and bindings on every connection, before anything is published. */
  declare?: (channel: ConfirmChannel) => Promise<void>;
}

/**
 * Publishes domain events to the topic exchange on a confirm channel: a publish
 * resolves only once the broker has taken responsibility for the message, and is
 * mandatory, so a message no queue (nor the alternate exchange) takes is an error.
 */
export class EventPublisher {
  private readonly logger = new Logger(EventPublisher.name);
  private readonly topology: Topology;
  private connection?: AmqpConnectionManager;
  private channel?: ChannelWrapper;
  private readonly returned = new Set<string>();
  private replayHandlers: Array<(request: ReplayRequest) => void> = [];

  constructor(private readonly options: EventPublisherOptions) {
    this.topology = topologyFor(options.namespace, options.source);
  }

  get exchange(): string {
    return this.topology.exchange;
  }

  connect(): void {
    if (this.connection) return;
    this.connection = amqp.connect([this.options.url], AMQP_CONNECTION_OPTIONS);
    this.connection.on('disconnect', ({ err }) => this.logger.warn(`RabbitMQ publisher disconnected: ${err?.message ?? 'closed'}`));
    this.channel = this.connection.createChannel({
      json: false,
      confirm: true,
      publishTimeout: this.options.confirmTimeoutMs ?? 5000,
      setup: async (channel: ConfirmChannel) => {
        channel.on('return', (msg: ConsumeMessage) => {
          if (msg.properties.messageId) this.returned.add(msg.properties.messageId);
        });
        await assertEventExchange(channel, this.topology);
        await this.options.declare?.(channel);
      },
    });
    // A setup interrupted by a closing connection is retried on the next connect; never crash on it.
    this.channel.on('error', (error: Error) => this.logger.warn(`RabbitMQ publisher channel: ${error.message}`));
  }

  isConnected(): boolean {
    return Boolean(this.connection?.isConnected());
  }

  async publish(message: OutgoingMessage): Promise<string> {
    if (!this.channel) this.connect();
    const options = publishOptions(message, this.options.source);
    const body = Buffer.from(JSON.stringify(message.payload));
    await publishSpan(this.topology.exchange, message.routingKey, options.messageId, options.headers!, async () => {
      await this.channel!.publish(this.topology.exchange, message.routingKey, body, options);
      // basic.return arrives before the confirm, so a returned message is known by now.
      if (this.returned.delete(options.messageId)) throw new UnroutableMessageError(message.routingKey);
    });
    messagingMetrics.published.inc({ routing_key: message.routingKey });
    return options.messageId;
  }

  /**
   * Calls `handler` for every replay request on the namespace (see replay.ts), on this
   * publisher's connection: an exclusive queue bound to the fanout exchange, again after each reconnect.
   */
  onReplayRequest(handler: (request: ReplayRequest) => void): void {
    this.replayHandlers.push(handler);
    if (this.replayHandlers.length > 1) return;
    if (!this.channel) this.connect();
    // A setup of the channel wrapper: run now and after every reconnect.
    void this.channel!.addSetup((channel: ConfirmChannel) => this.consumeReplayRequests(channel)).catch((error: Error) => this.logger.warn(`Listening for replay requests failed: ${error.message}`));
  }

  private async consumeReplayRequests(channel: ConfirmChannel): Promise<void> {
    await assertReplayExchange(channel, this.options.namespace);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, replayExchangeOf(this.options.namespace), '');
    await channel.consume(
      queue,
      (msg) => {
        const request = msg && parseReplayRequest(msg.content);
        if (request) for (const handler of this.replayHandlers) handler(request);
      },
      { noAck: true },
    );
  }

  /**
   * Sends one already-published event straight to `queue` (the default exchange), confirmed and
   * mandatory, with its original message id: a replay to one consumer.
   */
  async sendToQueue(queue: string, message: OutgoingMessage): Promise<void> {
    if (!this.channel) this.connect();
    const options = publishOptions(message, this.options.source);
    await publishSpan(queue, message.routingKey, options.messageId, options.headers!, async () => {
      await this.channel!.sendToQueue(queue, Buffer.from(JSON.stringify(message.payload)), { ...options, mandatory: true });
      if (this.returned.delete(options.messageId)) throw new UnroutableMessageError(message.routingKey);
    });
  }

  async close(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.channel = undefined;
    this.connection = undefined;
  }
}

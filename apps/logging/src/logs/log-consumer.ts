import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import amqp, { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AMQP_CONNECTION_OPTIONS, quorumQueue } from '@statex/messaging';
import { logExchangeOf, logQueueOf } from '@statex/observability';
import { LoggingEnv } from '../logging.env';
import { parseNdjson } from './log-line';
import { LogIngestService } from './log-ingest.service';

/**
 * Consumes the batches every service's log transport publishes (NDJSON, one message per
 * batch) and stores them. A batch the database refuses is returned to the queue after a
 * pause; a body that is not NDJSON is stored as far as it parses and acked.
 */
@Injectable()
export class LogConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogConsumer');
  private connection?: AmqpConnectionManager;
  private channel?: ChannelWrapper;

  constructor(
    private readonly ingest: LogIngestService,
    private readonly env: LoggingEnv,
  ) {}

  get queue(): string {
    return logQueueOf(this.env.RABBITMQ_NAMESPACE);
  }

  onApplicationBootstrap(): void {
    const exchange = logExchangeOf(this.env.RABBITMQ_NAMESPACE);
    this.connection = amqp.connect([this.env.RABBITMQ_URL], AMQP_CONNECTION_OPTIONS);
    this.connection.on('disconnect', ({ err }) => this.logger.warn(`Log consumer disconnected: ${err?.message ?? 'closed'}`));
    this.channel = this.connection.createChannel({
      json: false,
      setup: async (channel: ConfirmChannel) => {
        await channel.assertExchange(exchange, 'topic', { durable: true });
        // Bounded: if logging is down for long, the oldest lines go first rather than the broker's memory;
        // a batch the database keeps refusing is dropped after 10 deliveries rather than retried forever.
        await channel.assertQueue(this.queue, quorumQueue({ 'x-max-length': 1_000_000, 'x-overflow': 'drop-head', 'x-delivery-limit': 10 }));
        await channel.bindQueue(this.queue, exchange, '#');
        await channel.prefetch(this.env.RABBITMQ_PREFETCH);
        await channel.consume(this.queue, (msg) => msg && void this.handle(channel, msg));
      },
    });
    this.channel.on('error', (error: Error) => this.logger.warn(`Log consumer channel: ${error.message}`));
  }

  private async handle(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const { lines } = parseNdjson(msg.content.toString('utf8'), true);
    try {
      await this.ingest.ingest(lines, 'broker', msg.properties.appId ?? msg.fields.routingKey);
      channel.ack(msg);
    } catch (error) {
      this.logger.warn(`Storing ${lines.length} shipped lines failed; returned to the queue: ${(error as Error).message}`);
      setTimeout(() => {
        try {
          channel.nack(msg, false, true);
        } catch {
          // The channel closed: the broker redelivers the batch anyway.
        }
      }, 1000).unref();
    }
  }

  isConnected(): boolean {
    return Boolean(this.connection?.isConnected());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }
}

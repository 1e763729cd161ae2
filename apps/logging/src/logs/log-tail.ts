import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import amqp, { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { Observable, Subject } from 'rxjs';
import { AMQP_CONNECTION_OPTIONS } from '@statex/messaging';
import { logTailExchangeOf } from '@statex/observability';
import { LoggingEnv } from '../logging.env';
import { LogItem } from './log-line';

/**
 * The live tail across replicas: every replica publishes the lines it stores (scrubbed, as
 * stored) to the fanout exchange `<ns>.logs.tail`; a replica with tail clients binds an
 * exclusive queue to it while it has any, so each client sees every replica's lines.
 * Best effort: a line stored while the broker is unreachable is stored, not tailed.
 */
@Injectable()
export class LogTail implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogTail');
  private readonly local = new Subject<LogItem>();
  private connection?: AmqpConnectionManager;
  private channel?: ChannelWrapper;
  private subscribers = 0;
  private consumerTag?: string;
  private bound?: Promise<void>;

  constructor(private readonly env: LoggingEnv) {}

  get exchange(): string {
    return logTailExchangeOf(this.env.RABBITMQ_NAMESPACE);
  }

  onApplicationBootstrap(): void {
    this.connection = amqp.connect([this.env.RABBITMQ_URL], AMQP_CONNECTION_OPTIONS);
    this.channel = this.connection.createChannel({
      json: false,
      setup: (channel: ConfirmChannel) => channel.assertExchange(this.exchange, 'fanout', { durable: false }),
    });
    this.channel.on('error', (error: Error) => this.logger.warn(`Tail channel: ${error.message}`));
  }

  /** Hands stored lines to every replica's tail clients; never waits and never throws. */
  publish(items: LogItem[]): void {
    // While (re)connecting the channel holds what is published, up to a bound.
    if (items.length === 0 || !this.channel || this.channel.queueLength() > 1000) return;
    this.channel.publish(this.exchange, '', Buffer.from(JSON.stringify(items)), { persistent: false }).catch(() => undefined);
  }

  private readonly bind = async (channel: ConfirmChannel): Promise<void> => {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, this.exchange, '');
    const { consumerTag } = await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        try {
          for (const item of JSON.parse(msg.content.toString('utf8')) as LogItem[]) this.local.next(item);
        } catch {
          // Not ours: ignore.
        }
      },
      { noAck: true },
    );
    this.consumerTag = consumerTag;
  };

  private readonly unbind = async (channel: ConfirmChannel): Promise<void> => {
    if (this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.consumerTag = undefined;
  };

  /** Every stored line from now on; the first value (`'ready'`) says the tail is bound. */
  follow(): Observable<LogItem | 'ready'> {
    return new Observable<LogItem | 'ready'>((subscriber) => {
      if (this.subscribers++ === 0) this.bound = this.channel?.addSetup(this.bind).catch((error: Error) => this.logger.warn(`Binding the tail failed: ${error.message}`));
      const subscription = this.local.subscribe(subscriber);
      void (this.bound ?? Promise.resolve()).then(() => subscriber.next('ready'));
      return () => {
        subscription.unsubscribe();
        if (--this.subscribers === 0) {
          this.bound = undefined;
          void this.channel?.removeSetup(this.bind, this.unbind).catch(() => undefined);
        }
      };
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.local.complete();
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }
}

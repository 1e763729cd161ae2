import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown, Optional, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { BaseEnv, parseDelays } from '@statex/config';
import { EVENT_CONSUMERS } from '@statex/contracts';
import { assertPlatformTopology, describeTopologyDrift } from './topology';
import { stopOnTopologyDrift } from './transport/rmq-event.server';
import { EventPublisher } from './event-publisher';
import { PARKED_SERVICE, ParkedMessagesController } from './parked/parked-messages.controller';
import { ParkedMessages } from './parked/parked-messages';
import { InboxService } from './inbox/inbox.service';
import { OutboxRelay } from './outbox/outbox.relay';
import { OutboxService } from './outbox/outbox.service';
import { ConsumerRegistry, RabbitMqReadinessCheck } from './rabbitmq.readiness';

export interface MessagingModuleOptions {
  /** The service name: the source of its messages and the name of its queue. */
  service: string;
  /** Whether the service has a database for the outbox and inbox. */
  database: boolean;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly publisher: EventPublisher,
    @Optional() @Inject(OutboxRelay) private readonly relay?: OutboxRelay,
  ) {}

  onApplicationBootstrap(): void {
    this.publisher.connect();
    this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.publisher.close();
  }
}

@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: MESSAGING_OPTIONS, useValue: options },
      {
        provide: EventPublisher,
        inject: [BaseEnv],
        useFactory: (env: BaseEnv) =>
          new EventPublisher({
            url: env.RABBITMQ_URL,
            namespace: env.RABBITMQ_NAMESPACE,
            source: options.service,
            declare: (channel) =>
              assertPlatformTopology(channel, env.RABBITMQ_NAMESPACE, EVENT_CONSUMERS, parseDelays(env.RABBITMQ_RETRY_DELAYS_MS)).catch((error: unknown) => {
                const drift = describeTopologyDrift(error);
                if (drift) stopOnTopologyDrift(drift);
                throw error;
              }),
          }),
      },
      ConsumerRegistry,
      RabbitMqReadinessCheck,
      MessagingLifecycle,
      { provide: ParkedMessages, inject: [BaseEnv], useFactory: (env: BaseEnv) => new ParkedMessages(env.RABBITMQ_URL, env.RABBITMQ_NAMESPACE) },
      { provide: PARKED_SERVICE, useValue: options.service },
    ];
    const exported: Provider[] = [EventPublisher, ConsumerRegistry, RabbitMqReadinessCheck];
    if (options.database) {
      providers.push(OutboxService, InboxService, {
        provide: OutboxRelay,
        inject: [DataSource, EventPublisher, BaseEnv],
        useFactory: (dataSource: DataSource, publisher: EventPublisher, env: BaseEnv) =>
          new OutboxRelay(dataSource, publisher, {
            pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
            maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
            outboxRetentionMs: env.OUTBOX_RETENTION_HOURS * 3_600_000,
            inboxRetentionMs: env.INBOX_RETENTION_DAYS * 86_400_000,
          }),
      });
      exported.push(OutboxService, InboxService, OutboxRelay);
    }
    return { module: MessagingModule, global: true, imports: [TerminusModule], controllers: [ParkedMessagesController], providers, exports: [...exported, ParkedMessages, MESSAGING_OPTIONS] };
  }
}

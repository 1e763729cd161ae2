import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { EventPublisher } from './event-publisher';

/** Where the runtime registers the process's consumer, so readiness can see it. */
@Injectable()
export class ConsumerRegistry {
  consumer?: { isConnected(): boolean; isAttached(): boolean; isPaused(): boolean; queueName: string };
}

@Injectable()
export class RabbitMqReadinessCheck {
  readonly name = 'rabbitmq';

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly publisher: EventPublisher,
    private readonly consumers: ConsumerRegistry,
  ) {}

  async isHealthy(): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(this.name);
    const publisher = this.publisher.isConnected();
    const registered = this.consumers.consumer;
    const consumer = registered ? consumerState(registered) : 'none';
    const details = { publisher: publisher ? 'connected' : 'disconnected', consumer, queue: registered?.queueName };
    if (!publisher) return indicator.down({ ...details, message: 'RabbitMQ connection is down (publisher)' });
    if (consumer === 'disconnected') return indicator.down({ ...details, message: 'RabbitMQ connection is down (consumer)' });
    if (consumer === 'detached') return indicator.down({ ...details, message: `Not consuming ${registered!.queueName}: the consumer is detached` });
    return indicator.up(details);
  }
}

/** Paused for a dependency outage is not a broker problem: that dependency's own check is down. */
function consumerState(consumer: NonNullable<ConsumerRegistry['consumer']>): 'consuming' | 'disconnected' | 'paused' | 'detached' {
  if (consumer.isAttached()) return 'consuming';
  if (!consumer.isConnected()) return 'disconnected';
  return consumer.isPaused() ? 'paused' : 'detached';
}

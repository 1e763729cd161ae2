import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { EventPublisher } from './event-publisher';

/** Where the runtime registers the process's consumer, so readiness can see it. */
@Injectable()
export class ConsumerRegistry {
  consumer?: { isConnected(): boolean; queueName: string };
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
    const consumer = this.consumers.consumer ? this.consumers.consumer.isConnected() : true;
    const details = { publisher: publisher ? 'connected' : 'disconnected', consumer: consumer ? 'connected' : 'disconnected', queue: this.consumers.consumer?.queueName };
    return publisher && consumer ? indicator.up(details) : indicator.down({ ...details, message: 'RabbitMQ connection is down' });
  }
}

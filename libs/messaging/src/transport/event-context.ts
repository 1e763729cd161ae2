import { BaseRpcContext } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';

export interface EventMeta {
  messageId: string;
  routingKey: string;
  correlationId?: string;
  source?: string;
  /** 1 for the first delivery, 2 for the first retry… */
  attempt: number;
  maxAttempts: number;
}

/** What a handler gets with `@Ctx()`: the message's identity and its place in the retry sequence. */
export class EventContext extends BaseRpcContext<[EventMeta, ConsumeMessage]> {
  constructor(meta: EventMeta, message: ConsumeMessage) {
    super([meta, message]);
  }
  get meta(): EventMeta {
    return this.args[0];
  }
  get messageId(): string {
    return this.meta.messageId;
  }
  get routingKey(): string {
    return this.meta.routingKey;
  }
  get correlationId(): string | undefined {
    return this.meta.correlationId;
  }
  get attempt(): number {
    return this.meta.attempt;
  }
  /** True when a throw from this attempt parks the message instead of retrying it. */
  get isFinalAttempt(): boolean {
    return this.meta.attempt >= this.meta.maxAttempts;
  }
  getMessage(): ConsumeMessage {
    return this.args[1];
  }
}

export * from './topology';
export * from './message-headers';
export * from './metrics';
export * from './errors';
export * from './event-publisher';
export * from './transport/event-context';
export * from './transport/rmq-event.server';
export * from './outbox/outbox-message.entity';
export * from './outbox/outbox.service';
export * from './outbox/outbox.relay';
export * from './inbox/inbox-message.entity';
export * from './inbox/inbox.service';
export * from './messaging.migration';
export * from './rabbitmq.readiness';
export * from './messaging.module';

import { InboxMessage } from './inbox/inbox-message.entity';
import { CreateMessagingTables1764115200000, OutboxClaims1765900000000, OutboxSetAside1764300000000, OutboxTraceContext1765000000000 } from './messaging.migration';
import { OutboxMessage } from './outbox/outbox-message.entity';

/** Entities and migrations a service with a database adds to its own. */
export const MESSAGING_ENTITIES = [OutboxMessage, InboxMessage];
export const MESSAGING_MIGRATIONS = [CreateMessagingTables1764115200000, OutboxSetAside1764300000000, OutboxTraceContext1765000000000, OutboxClaims1765900000000];
export * from './parked/parked-messages';
export * from './parked/parked-messages.controller';
export * from './replay';
export * from './trace-context';
export * from './namespace-cleanup';
export * from './connection-options';

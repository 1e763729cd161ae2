import { RoutingKey } from './routing-keys';

/**
 * Who consumes what: each service's queue and the routing-key patterns it is bound by. Every
 * service declares every queue and binding in this registry when it connects (and `npm run
 * migrate` does too), so an event reaches a service that has not started yet. A test checks
 * that it matches the services' `@EventPattern` handlers.
 */
export const EVENT_CONSUMERS: Record<string, readonly string[]> = {
  submission: [RoutingKey.NotificationSent, RoutingKey.NotificationFailed, RoutingKey.AiAnalysisStarted, RoutingKey.AiAnalysisCompleted, RoutingKey.AiAnalysisFailed],
  'ai-orchestrator': [RoutingKey.RequestCreated],
  'ai-worker': [],
  // user.deleted: the account's messages are erased (recipient, data with its links).
  notification: [RoutingKey.RequestCreated, RoutingKey.NotificationRequested, RoutingKey.AiAnalysisCompleted, RoutingKey.UserDeleted],
  'user-portal': [],
  // The platform's event log keeps every domain event with a contract. Bound by name, not by `#`:
  // an event outside the contracts still matches no queue and is kept in `unrouted`, where
  // operators see it (and the StatexUnroutedEvents alert fires). user.deleted also erases the
  // stored events of that account and address.
  logging: Object.values(RoutingKey),
  content: [],
};

import { AiAnalysisCompletedEvent, AiAnalysisFailedEvent, AiAnalysisStartedEvent } from './events/ai.events';
import { ContentPublishedEvent, ContentUnpublishedEvent } from './events/content.events';
import { NotificationFailedEvent, NotificationManualPendingEvent, NotificationRequestedEvent, NotificationSentEvent } from './events/notification.events';
import { RequestCreatedEvent } from './events/request-created.event';
import { UserDeletedEvent, UserPasswordChangedEvent, UserRegisteredEvent, UserVerifiedEvent } from './events/user.events';
import { RoutingKey } from './routing-keys';

/** Every routing key with the class its payload must validate against. */
export const EVENT_PAYLOADS = {
  [RoutingKey.RequestCreated]: RequestCreatedEvent,
  [RoutingKey.NotificationRequested]: NotificationRequestedEvent,
  [RoutingKey.NotificationSent]: NotificationSentEvent,
  [RoutingKey.NotificationFailed]: NotificationFailedEvent,
  [RoutingKey.NotificationManualPending]: NotificationManualPendingEvent,
  [RoutingKey.AiAnalysisStarted]: AiAnalysisStartedEvent,
  [RoutingKey.AiAnalysisCompleted]: AiAnalysisCompletedEvent,
  [RoutingKey.AiAnalysisFailed]: AiAnalysisFailedEvent,
  [RoutingKey.UserRegistered]: UserRegisteredEvent,
  [RoutingKey.UserVerified]: UserVerifiedEvent,
  [RoutingKey.UserPasswordChanged]: UserPasswordChangedEvent,
  [RoutingKey.UserDeleted]: UserDeletedEvent,
  [RoutingKey.ContentPublished]: ContentPublishedEvent,
  [RoutingKey.ContentUnpublished]: ContentUnpublishedEvent,
} as const satisfies Record<RoutingKey, new () => object>;

export type EventPayload<K extends RoutingKey> = InstanceType<(typeof EVENT_PAYLOADS)[K]>;

export function payloadClassOf(routingKey: string): (new () => object) | undefined {
  return (EVENT_PAYLOADS as Record<string, new () => object>)[routingKey];
}

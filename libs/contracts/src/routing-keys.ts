/** Routing keys of the domain events on the topic exchange `statex.events`. */
export const RoutingKey = {
  RequestCreated: 'request.created',
  NotificationRequested: 'notification.requested',
  NotificationSent: 'notification.sent',
  NotificationFailed: 'notification.failed',
  NotificationManualPending: 'notification.manual_pending',
  AiAnalysisStarted: 'ai.analysis.started',
  AiAnalysisCompleted: 'ai.analysis.completed',
  AiAnalysisFailed: 'ai.analysis.failed',
  UserRegistered: 'user.registered',
  UserVerified: 'user.verified',
  UserPasswordChanged: 'user.password_changed',
  UserDeleted: 'user.deleted',
  ContentPublished: 'content.published',
  ContentUnpublished: 'content.unpublished',
} as const;

export type RoutingKey = (typeof RoutingKey)[keyof typeof RoutingKey];

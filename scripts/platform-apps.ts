/** The seven apps, their default ports and the variable that overrides each port. */
export const PLATFORM_APPS = [
  { app: 'submission', portVar: 'SUBMISSION_PORT', port: 8002 },
  { app: 'ai-orchestrator', portVar: 'AI_ORCHESTRATOR_PORT', port: 8003 },
  { app: 'ai-worker', portVar: 'AI_WORKER_PORT', port: 8004 },
  { app: 'notification', portVar: 'NOTIFICATION_PORT', port: 8005 },
  { app: 'user-portal', portVar: 'USER_PORTAL_PORT', port: 8006 },
  { app: 'logging', portVar: 'LOGGING_PORT', port: 8007 },
  { app: 'content', portVar: 'CONTENT_PORT', port: 8009 },
] as const;

import { ServiceProcess, testProcessEnv } from '@statex/testing';

/** The seven apps with the port variable each reads; tests use ports 1xxxx to leave `npm start`'s free. */
export const APPS = [
  { app: 'submission', portVar: 'SUBMISSION_PORT', port: 18002 },
  { app: 'ai-orchestrator', portVar: 'AI_ORCHESTRATOR_PORT', port: 18003 },
  { app: 'ai-worker', portVar: 'AI_WORKER_PORT', port: 18004 },
  { app: 'notification', portVar: 'NOTIFICATION_PORT', port: 18005 },
  { app: 'user-portal', portVar: 'USER_PORTAL_PORT', port: 18006 },
  { app: 'logging', portVar: 'LOGGING_PORT', port: 18007 },
  { app: 'content', portVar: 'CONTENT_PORT', port: 18009 },
] as const;

export type AppName = (typeof APPS)[number]['app'];

/** Built apps as separate processes, all on one test namespace. */
export function platformProcesses(namespace: string, names: AppName[], overrides: Record<string, string | number>): Record<AppName, ServiceProcess> {
  const ports = Object.fromEntries(APPS.map((a) => [a.portVar, a.port]));
  const env = testProcessEnv(namespace, { ...ports, SUBMISSION_PUBLIC_URL: 'http://127.0.0.1:18002', ...overrides });
  const processes = {} as Record<AppName, ServiceProcess>;
  for (const { app, port } of APPS) if (names.includes(app)) processes[app] = new ServiceProcess(app, port, env);
  return processes;
}

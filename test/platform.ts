import { ServiceProcess, testProcessEnv } from '@statex/testing';
import { PLATFORM_APPS } from '../scripts/platform-apps';

/** The seven apps with the port variable each reads; tests use ports 1xxxx to leave `npm start`'s free. */
export const APPS = PLATFORM_APPS.map((a) => ({ ...a, port: a.port + 10_000 }));

export type AppName = (typeof PLATFORM_APPS)[number]['app'];

/**
 * Built apps as separate processes, all on one test namespace. They verify access tokens against the
 * test platform's user-portal (its JWKS on port 18006) unless the overrides point them elsewhere,
 * e.g. at an AuthStandIn with `...auth.env`.
 */
export function platformProcesses(namespace: string, names: AppName[], overrides: Record<string, string | number>): Record<AppName, ServiceProcess> {
  const ports = Object.fromEntries(APPS.map((a) => [a.portVar, a.port]));
  const env = testProcessEnv(namespace, { ...ports, SUBMISSION_PUBLIC_URL: 'http://127.0.0.1:18002', USER_PORTAL_URL: 'http://127.0.0.1:18006', ...overrides });
  const processes = {} as Record<AppName, ServiceProcess>;
  for (const { app, port } of APPS) if (names.includes(app)) processes[app] = new ServiceProcess(app, port, env);
  return processes;
}

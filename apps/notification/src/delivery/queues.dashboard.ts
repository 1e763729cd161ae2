import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { browserLogin, protectPaths, TokenVerifier } from '@statex/auth';
import { STAFF_ROLES } from '@statex/contracts';
import { NotificationEnv } from '../notification.env';
import { DeliveryQueues } from './delivery.queues';

const PREFIX = '/queues';

/**
 * Bull Board at /queues: each channel's jobs, with retry and clean actions. Operators and admins
 * only: a bearer token, or the sign-in page at /queues/login for a browser.
 */
export async function mountQueuesDashboard(app: NestFastifyApplication, env: NotificationEnv): Promise<void> {
  const verifier = app.get(TokenVerifier);
  protectPaths(app.getHttpAdapter().getInstance(), verifier, [{ prefix: PREFIX, roles: STAFF_ROLES, browser: true }]);
  await app.register(
    browserLogin({ prefix: PREFIX, title: 'StateX delivery queues', roles: STAFF_ROLES, userPortalUrl: env.USER_PORTAL_URL, secure: env.NODE_ENV === 'production', verifier }) as never,
  );
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(PREFIX);
  createBullBoard({ queues: [...app.get(DeliveryQueues).queues.values()].map((q) => new BullMQAdapter(q)), serverAdapter });
  await app.register(serverAdapter.registerPlugin() as never, { prefix: PREFIX });
}

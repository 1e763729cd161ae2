import request from 'supertest';
import type { BaseEnv } from '@statex/config';
import { createService, RunningService, ServiceDefinition } from '@statex/runtime';

export interface ServiceUnderTest extends RunningService {
  http: ReturnType<typeof request>;
}

/** An app built exactly as `main.ts` builds it, consuming its queue, with supertest on its HTTP side. */
export async function startServiceForTest<E extends BaseEnv>(definition: ServiceDefinition<E>, env: E, options: { consume?: boolean } = {}): Promise<ServiceUnderTest> {
  const running = await createService(definition, env);
  if (options.consume ?? true) await running.app.startAllMicroservices();
  await running.app.init();
  await running.app.getHttpAdapter().getInstance().ready();
  return { ...running, http: request(running.app.getHttpServer()) };
}

import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { loadEnv } from '@statex/config';
import { EVENT_CONSUMERS } from '@statex/contracts';
import type { ServiceDefinition } from '@statex/runtime';
import { PLATFORM_APPS } from '../scripts/platform-apps';

/** The registry every service declares the platform's queues from must say what the handlers really consume. */
describe('EVENT_CONSUMERS, the registry of who consumes what', () => {
  it.each(PLATFORM_APPS.map((a) => a.app))('lists exactly the routing keys %s has handlers for', async (app) => {
    const definitionModule = await import(`../apps/${app}/src/${app}.app`);
    const definition = Object.values(definitionModule)[0] as ServiceDefinition<never>;
    const module = definition.module(loadEnv(definition.env, {}) as never) as object;
    const controllers: (new () => object)[] = Reflect.getMetadata('controllers', module) ?? [];
    const patterns = controllers.flatMap((controller) =>
      Object.getOwnPropertyNames(controller.prototype).flatMap((name) => {
        const method = (controller.prototype as Record<string, unknown>)[name];
        return typeof method === 'function' ? ((Reflect.getMetadata(PATTERN_METADATA, method) as string[] | undefined) ?? []) : [];
      }),
    );
    expect([...new Set(patterns)].sort()).toEqual([...EVENT_CONSUMERS[app]].sort());
  });
});

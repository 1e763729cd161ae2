import { DynamicModule, Module, Type } from '@nestjs/common';
import { AuthModule, AuthModuleOptions } from '@statex/auth';
import { BaseEnv, EnvModule } from '@statex/config';
import { MessagingModule, RabbitMqReadinessCheck } from '@statex/messaging';
import { HealthModule, loggerModule, LogShippingShutdown, metricsModule, ReadinessCheck } from '@statex/observability';
import { DatabaseReadinessCheck, PersistenceModule, ServiceSchema } from '@statex/persistence';
import { RedisModule, RedisReadinessCheck } from '@statex/redis';

export interface ServiceInfrastructure {
  service: string;
  env: BaseEnv;
  /** The service's database: entities and migrations. Omit for a service without one. */
  database?: Omit<ServiceSchema, 'service'>;
  /** Whether the service uses Redis (queues, caches, throttling). */
  redis?: boolean;
  /** More readiness checks, provided by a global module of the app. */
  checks?: Type<ReadinessCheck>[];
  /** How this service gets token keys; by default user-portal's JWKS (user-portal gives its own store). */
  auth?: AuthModuleOptions;
}

/**
 * Everything a StateX service has besides its domain: validated config, JSON logs,
 * metrics, health checks of what it uses, its database and messaging, and the deny-by-default
 * guard that checks every HTTP route's access token.
 */
@Module({})
export class ServiceInfrastructureModule {
  static forRoot(infra: ServiceInfrastructure): DynamicModule {
    const checks: Type<ReadinessCheck>[] = [];
    const imports: DynamicModule[] = [
      EnvModule.forRoot(infra.env),
      loggerModule(infra.service, infra.env.LOG_LEVEL),
      metricsModule(infra.service),
    ];
    if (infra.database) {
      imports.push(PersistenceModule.forService({ service: infra.service, ...infra.database }));
      checks.push(DatabaseReadinessCheck);
    }
    imports.push(MessagingModule.forRoot({ service: infra.service, database: Boolean(infra.database) }));
    checks.push(RabbitMqReadinessCheck);
    if (infra.redis) {
      imports.push(RedisModule.forRoot());
      checks.push(RedisReadinessCheck);
    }
    imports.push(HealthModule.forRoot([...checks, ...(infra.checks ?? [])]));
    imports.push(AuthModule.forRoot(infra.auth));
    return { module: ServiceInfrastructureModule, imports, exports: imports, providers: [LogShippingShutdown] };
  }
}

import { BullMQOtel } from 'bullmq-otel';
import { tracingEnabled } from '@statex/observability/tracing';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { BaseEnv } from '@statex/config';
import { RateLimits } from './rate-limits';
import { REDIS } from './redis.token';


@Injectable()
export class RedisReadinessCheck {
  readonly name = 'redis';
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async isHealthy(): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(this.name);
    try {
      const started = Date.now();
      await Promise.race([this.redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out after 2000 ms')), 2000).unref())]);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return indicator.down({ message: `Redis is unreachable: ${(error as Error).message}` });
    }
  }
}

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * BullMQ's shared configuration for @nestjs/bullmq: the Redis URL and key prefix from the validated
 * env. Queues, flow producers and workers each open their own connections from it (a worker needs
 * a blocking one), and @nestjs/bullmq closes them on shutdown.
 */
export const bullMqRoot = () =>
  BullModule.forRootAsync({
    inject: [BaseEnv],
    useFactory: (env: BaseEnv) => ({
      connection: { url: env.REDIS_URL, maxRetriesPerRequest: null },
      prefix: env.BULLMQ_PREFIX,
      // A job continues the trace that queued it (bullmq-otel: the context travels in the job's options).
      ...(tracingEnabled() ? { telemetry: new BullMQOtel('statex') } : {}),
    }),
  });

/** One shared ioredis client (caches, throttling) with its readiness check, and BullMQ's connection settings. */
@Module({})
export class RedisModule {
  static forRoot(): DynamicModule {
    const bullMq = bullMqRoot();
    return {
      module: RedisModule,
      global: true,
      imports: [TerminusModule, bullMq],
      providers: [
        {
          provide: REDIS,
          inject: [BaseEnv],
          useFactory: (env: BaseEnv) => new Redis(env.REDIS_URL, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: false }),
        },
        RedisReadinessCheck,
        RedisLifecycle,
        RateLimits,
      ],
      exports: [REDIS, RedisReadinessCheck, RateLimits, bullMq],
    };
  }
}

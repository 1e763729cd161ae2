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

/** One shared ioredis client (caches, throttling) with its readiness check (BullMQ's settings: @statex/jobs). */
@Module({})
export class RedisModule {
  static forRoot(): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      imports: [TerminusModule],
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
      exports: [REDIS, RedisReadinessCheck, RateLimits],
    };
  }
}

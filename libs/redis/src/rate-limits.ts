import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { BaseEnv } from '@statex/config';
import { REDIS } from './redis.token';

/** 429 with the seconds to wait; the shared error filter turns `retryAfterSeconds` into a Retry-After header. */
export class RateLimitedException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message, retryAfterSeconds }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** A fixed window of `points` per `durationSeconds`, per key, counted in Redis and so shared by every replica. */
export class RateLimit {
  constructor(
    private readonly limiter: RateLimiterRedis,
    private readonly describe: string,
  ) {}

  /** Counts one hit for each key; throws 429 when any of them is over its limit. */
  async consume(...keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.limiter.consume(key);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          throw new RateLimitedException(`Too many requests: ${this.describe}. Try again in ${seconds} s.`, seconds);
        }
        throw rejection;
      }
    }
  }

  /** Forgets a key's count (a successful login clears its account's failures). */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key).catch(() => undefined);
  }
}

/**
 * Rate limits kept in Redis (rate-limiter-flexible). While Redis is unreachable each process
 * counts in memory instead (the library's insurance limiter), so a limit never falls open
 * and a request is never refused only because Redis is down.
 */
@Injectable()
export class RateLimits {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly env: BaseEnv,
  ) {}

  /** `name` keys the counters in Redis; `describe` says in the 429 what was limited. */
  create(name: string, points: number, durationSeconds: number, describe: string): RateLimit {
    const limiter = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.env.BULLMQ_PREFIX}:rate:${name}`,
      points,
      duration: durationSeconds,
      insuranceLimiter: new RateLimiterMemory({ points, duration: durationSeconds }),
    });
    return new RateLimit(limiter, describe);
  }
}

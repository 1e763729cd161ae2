import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '@statex/redis';

/** A public answer as it is sent: its JSON and the ETag of exactly those bytes. */
export interface CachedAnswer {
  etag: string;
  json: string;
}

export function answerOf(value: unknown): CachedAnswer {
  const json = JSON.stringify(value);
  return { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
}

/**
 * The public answers in Redis, under a generation number: publishing, unpublishing, archiving or
 * deleting bumps it, so every cached answer is stale at once (and expires with its TTL). Redis
 * being down only costs speed: reads fall through to PostgreSQL.
 */
@Injectable()
export class ContentCache {
  private readonly logger = new Logger(ContentCache.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly options: { prefix: string; ttlSeconds: number },
  ) {}

  private get generationKey(): string {
    return `${this.options.prefix}:content:generation`;
  }

  /** The cached answer for `path`, or a miss with the generation to store the fresh answer under. */
  async lookup(path: string): Promise<{ hit?: CachedAnswer; generation: string | null }> {
    try {
      const generation = (await this.redis.get(this.generationKey)) ?? '0';
      const raw = await this.redis.get(`${this.options.prefix}:content:${generation}:${path}`);
      return { hit: raw ? (JSON.parse(raw) as CachedAnswer) : undefined, generation };
    } catch (error) {
      this.logger.debug(`Content cache unavailable: ${(error as Error).message}`);
      return { generation: null };
    }
  }

  async store(path: string, generation: string | null, answer: CachedAnswer): Promise<void> {
    if (generation === null) return;
    await this.redis.set(`${this.options.prefix}:content:${generation}:${path}`, JSON.stringify(answer), 'EX', this.options.ttlSeconds).catch(() => undefined);
  }

  /** Every cached answer stops being served. */
  async invalidate(): Promise<void> {
    try {
      await this.redis.incr(this.generationKey);
    } catch (error) {
      this.logger.warn(`Could not clear the content cache (answers may be stale for up to ${this.options.ttlSeconds} s): ${(error as Error).message}`);
    }
  }
}

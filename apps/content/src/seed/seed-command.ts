import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { OutboxService } from '@statex/messaging';
import { dataSourceOptions, ensureDatabase } from '@statex/persistence';
import type { ContentEnv } from '../content.env';
import { CONTENT_SCHEMA } from '../content.schema';
import { EditorialService } from '../entries/editorial.service';
import { EntryRepository } from '../entries/entry.repository';
import { ContentCache } from '../public/content-cache';
import { MediaRepository } from '../media/media.repository';
import { MarkdownRenderer } from '../rendering/markdown';
import { seedStartingContent, SeedOutcome } from './seeder';

/**
 * `npm run seed` without the service running: creates and migrates the content database, loads
 * the starting content that is missing, and clears the public cache. The content.published
 * events wait in the outbox until the service's relay sends them.
 */
export async function seedContentDatabase(env: ContentEnv): Promise<SeedOutcome & { database: string }> {
  const options = dataSourceOptions(env, { service: 'content', ...CONTENT_SCHEMA });
  await ensureDatabase(env, options.database!);
  const dataSource = await new DataSource(options).initialize();
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    await redis.connect().catch(() => undefined);
    const cache = new ContentCache(redis, { prefix: env.BULLMQ_PREFIX, ttlSeconds: env.CONTENT_CACHE_TTL_S });
    const entries = new EntryRepository(dataSource);
    const outcome = await seedStartingContent(entries, new EditorialService(entries, new OutboxService(), new MarkdownRenderer(), cache, new MediaRepository(dataSource)));
    return { ...outcome, database: options.database! };
  } finally {
    redis.disconnect();
    await dataSource.destroy();
  }
}

import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { OutboxService } from '@statex/messaging';
import { REDIS } from '@statex/redis';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { StorageModule, storageOptionsFrom } from '@statex/storage';
import { ContentEnv } from './content.env';
import { CONTENT_SCHEMA } from './content.schema';
import { AdminContentController } from './entries/admin-content.controller';
import { EditorialService } from './entries/editorial.service';
import { EntryRepository } from './entries/entry.repository';
import { MediaController } from './media/media.controller';
import { MediaRepository } from './media/media.repository';
import { MediaService } from './media/media.service';
import { ContentCache } from './public/content-cache';
import { PublicContentController } from './public/public-content.controller';
import { PublicContentService } from './public/public-content.service';
import { MarkdownRenderer } from './rendering/markdown';
import { SchedulePoller } from './scheduling/schedule.poller';
import { StartingContentLoader } from './seed/seeder';

export const contentService: ServiceDefinition<ContentEnv> = {
  name: 'content',
  description:
    'Website content: pages, posts, services and FAQ in English and Czech, with drafts, versions, scheduled publishing and Markdown served as sanitised HTML, media in attachment storage; public reads cached in Redis with ETags, full-text search, content.published/unpublished events.',
  env: ContentEnv,
  port: (env) => env.CONTENT_PORT,
  multipart: (env) => ({ fileSize: env.CONTENT_MEDIA_MAX_BYTES, files: 1 }),
  module: (env) => {
    @Module({
      imports: [ServiceInfrastructureModule.forRoot({ service: 'content', env, database: CONTENT_SCHEMA, redis: true }), StorageModule.forRoot(storageOptionsFrom(env))],
      controllers: [MediaController, PublicContentController, AdminContentController],
      providers: [
        EntryRepository,
        MarkdownRenderer,
        {
          provide: ContentCache,
          inject: [REDIS, ContentEnv],
          useFactory: (redis: Redis, env: ContentEnv) => new ContentCache(redis, { prefix: env.BULLMQ_PREFIX, ttlSeconds: env.CONTENT_CACHE_TTL_S }),
        },
        {
          provide: EditorialService,
          inject: [EntryRepository, OutboxService, MarkdownRenderer, ContentCache, MediaRepository],
          useFactory: (entries: EntryRepository, outbox: OutboxService, renderer: MarkdownRenderer, cache: ContentCache, media: MediaRepository) =>
            new EditorialService(entries, outbox, renderer, cache, media),
        },
        PublicContentService,
        MediaRepository,
        MediaService,
        SchedulePoller,
        StartingContentLoader,
      ],
    })
    class ContentModule {}
    return ContentModule;
  },
};

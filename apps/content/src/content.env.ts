import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { BooleanFromEnv, DatabaseEnv, NumberFromEnv } from '@statex/config';
import { WithStorageEnv } from '@statex/storage';

/** Media go to attachment storage (STORAGE_DRIVER and the S3_ variables, shared with submission). */
export class ContentEnv extends WithStorageEnv(DatabaseEnv) {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  CONTENT_PORT: number = 8009;

  /** How long a public answer (entry, list, search) stays in the Redis cache; publishing clears it sooner. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(86_400)
  CONTENT_CACHE_TTL_S: number = 300;

  /** `Cache-Control: public, max-age=…` on public answers (browsers and CDNs revalidate with the ETag after it). */
  @NumberFromEnv()
  @IsInt()
  @Min(0)
  @Max(86_400)
  CONTENT_HTTP_MAX_AGE_S: number = 60;

  /** How often scheduled publications that came due are looked for (they are kept in the database). */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  @Max(300_000)
  CONTENT_SCHEDULE_POLL_MS: number = 5000;

  /** Entries per page of the public lists, unless the caller asks for another pageSize (at most 100). */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  CONTENT_PAGE_SIZE: number = 20;

  /** Load the starting content (services, home page, in en and cs) at start when the database has no entries. */
  @BooleanFromEnv()
  @IsBoolean()
  CONTENT_SEED_ON_START: boolean = true;

  /** Largest media upload (a picture or document for an entry), in bytes. */
  @NumberFromEnv()
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  CONTENT_MEDIA_MAX_BYTES: number = 10 * 1024 * 1024;

  /** Hard time limit for typing one upload by its content (@statex/uploads); past it: 415. */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  @Max(60_000)
  CONTENT_MEDIA_TYPING_TIMEOUT_MS: number = 5000;
}

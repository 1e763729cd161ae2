import { IsIn, IsInt, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';
import { WithStorageEnv } from '@statex/storage';

/** The storage variables let the worker read the text of a submission's attachments. */
export class AiWorkerEnv extends WithStorageEnv(BaseEnv) {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_WORKER_PORT: number = 8004;

  /** `local` works offline; `openai` calls any OpenAI-compatible chat-completions endpoint and falls back to local. */
  @IsIn(['local', 'openai'])
  AI_PROVIDER: 'local' | 'openai' = 'local';

  @IsUrl({ require_tld: false, require_protocol: true })
  AI_BASE_URL = 'https://api.openai.com/v1';

  @IsString()
  AI_API_KEY = '';

  @IsString()
  AI_MODEL = 'gpt-4o-mini';

  /** Per request to the provider. */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  AI_TIMEOUT_MS: number = 20_000;

  /** Retries of a 429 or 5xx answer before falling back to local. */
  @NumberFromEnv()
  @IsInt()
  @Min(0)
  @Max(10)
  AI_MAX_RETRIES: number = 2;

  /** A step running longer fails (and is retried by the queue). */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  AI_STEP_TIMEOUT_MS: number = 60_000;

  /** Step jobs one worker process runs at once. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(64)
  AI_WORKER_CONCURRENCY: number = 2;

  /** The agency's service list; `other` is always added. */
  @Matches(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, { message: 'AI_CATEGORIES must be a comma-separated list of lowercase names' })
  AI_CATEGORIES = 'website,e-commerce,mobile-app,ai-automation,data-analytics,integration,consulting';

  /**
   * Keywords that point the local provider at a category, for services beyond the default list (or
   * more words for one in it): `category:word|phrase|word;category:…`. A keyword also matches the
   * words it begins (`vulnerab` matches vulnerability), without diacritics.
   */
  @Matches(/^$|^[a-z0-9-]+:\s*[^;:|\s][^;:|]*(\|\s*[^;:|\s][^;:|]*)*(;[a-z0-9-]+:\s*[^;:|\s][^;:|]*(\|\s*[^;:|\s][^;:|]*)*)*$/, {
    message: 'AI_CATEGORY_KEYWORDS must look like "cybersecurity:security audit|pentest;hosting:hosting|server"',
  })
  AI_CATEGORY_KEYWORDS = '';
}

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

  /**
   * The most text one step analyses: the message first, then the attachments' text, cut here.
   * Bounds every provider's input (and its cost); the local provider's time on the worst text of
   * this size is a few hundred ms.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  @Max(200_000)
  AI_ANALYSIS_MAX_CHARS: number = 50_000;

  /** Text kept from one attachment; PDF extraction stops once it has this much. */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  AI_ATTACHMENT_MAX_CHARS: number = 20_000;

  /** One attachment's parse (pdf, docx) is killed after this long, and the attachment recorded as unreadable. */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  AI_PARSE_TIMEOUT_MS: number = 5_000;

  /** V8 heap of the thread that parses one attachment. */
  @NumberFromEnv()
  @IsInt()
  @Min(32)
  AI_PARSE_MAX_HEAP_MB: number = 256;

  /** How much one parse may grow the process's resident memory (outside the heap limit: pdf.js buffers); past it the parse is killed. */
  @NumberFromEnv()
  @IsInt()
  @Min(128)
  AI_PARSE_MAX_RSS_MB: number = 1024;

  /** Pages of a PDF read at most. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AI_PDF_MAX_PAGES: number = 50;

  /** The most a docx's text parts may declare they expand to (their sum); a single part's compression ratio is capped at 100. */
  @NumberFromEnv()
  @IsInt()
  @Min(1024 * 1024)
  AI_DOCX_MAX_EXPANDED_BYTES: number = 50 * 1024 * 1024;
}

import { IsInt, IsUrl, Max, Min } from 'class-validator';
import { DatabaseEnv, NumberFromEnv } from '@statex/config';
import { WithStorageEnv } from '@statex/storage';

export class SubmissionEnv extends WithStorageEnv(DatabaseEnv) {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  SUBMISSION_PORT: number = 8002;

  /** Base of the `statusUrl` returned to the client, as the client reaches this service. */
  @IsUrl({ require_tld: false, require_protocol: true })
  SUBMISSION_PUBLIC_URL = 'http://localhost:8002';

  @NumberFromEnv()
  @IsInt()
  @Min(1)
  ATTACHMENT_MAX_BYTES: number = 10 * 1024 * 1024;

  @NumberFromEnv()
  @IsInt()
  @Min(0)
  @Max(20)
  ATTACHMENT_MAX_FILES: number = 5;

  /** Hard time limit for typing one attachment by its content; past it the file is refused with 415. */
  @NumberFromEnv()
  @IsInt()
  @Min(100)
  ATTACHMENT_TYPING_TIMEOUT_MS: number = 5000;

  /**
   * Contact forms accepted per minute from one client address, and again per submitted email
   * address (counted in Redis, shared by every replica); 0 switches the limit off.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(0)
  SUBMISSION_RATE_LIMIT_PER_MINUTE: number = 10;
}

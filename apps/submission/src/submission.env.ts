import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, ValidateIf } from 'class-validator';
import { BooleanFromEnv, DatabaseEnv, NumberFromEnv } from '@statex/config';

export class SubmissionEnv extends DatabaseEnv {
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

  @IsIn(['local', 's3'])
  STORAGE_DRIVER: 'local' | 's3' = 'local';

  @IsString()
  STORAGE_LOCAL_DIR = './var/attachments';

  @ValidateIf((env: SubmissionEnv) => env.STORAGE_DRIVER === 's3' && env.S3_ENDPOINT !== '')
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT = '';

  @IsString()
  S3_REGION = 'us-east-1';

  @ValidateIf((env: SubmissionEnv) => env.STORAGE_DRIVER === 's3')
  @IsString()
  S3_BUCKET = 'statex-attachments';

  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID = '';

  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY = '';

  @BooleanFromEnv()
  S3_FORCE_PATH_STYLE: boolean = true;
}

import { IsIn, IsOptional, IsString, IsUrl, ValidateIf } from 'class-validator';
import { BaseEnv, BooleanFromEnv } from '@statex/config';
import type { StorageOptions } from './storage.module';

type EnvClass = new (...args: any[]) => BaseEnv;

/**
 * Adds the storage variables to a service's env class, for every service that reads or writes
 * attachments: `class SubmissionEnv extends WithStorageEnv(DatabaseEnv) {}`.
 */
export function WithStorageEnv<T extends EnvClass>(Base: T) {
  class StorageEnv extends Base {
    @IsIn(['local', 's3'])
    STORAGE_DRIVER: 'local' | 's3' = 'local';

    @IsString()
    STORAGE_LOCAL_DIR = './var/attachments';

    @ValidateIf((env: StorageEnv) => env.STORAGE_DRIVER === 's3' && env.S3_ENDPOINT !== '')
    @IsUrl({ require_tld: false, require_protocol: true })
    S3_ENDPOINT = '';

    @IsString()
    S3_REGION = 'us-east-1';

    @ValidateIf((env: StorageEnv) => env.STORAGE_DRIVER === 's3')
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
  return StorageEnv;
}

export type StorageEnvFields = InstanceType<ReturnType<typeof WithStorageEnv>>;

export function storageOptionsFrom(env: StorageEnvFields): StorageOptions {
  return env.STORAGE_DRIVER === 's3'
    ? {
        driver: 's3',
        endpoint: env.S3_ENDPOINT,
        region: env.S3_REGION,
        bucket: env.S3_BUCKET,
        accessKeyId: env.S3_ACCESS_KEY_ID,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY,
        forcePathStyle: env.S3_FORCE_PATH_STYLE,
      }
    : { driver: 'local', localDir: env.STORAGE_LOCAL_DIR };
}

/** Where a submission's attachment is stored: generated ids only, never the uploaded name. */
export function attachmentStorageKey(submissionId: string, attachmentId: string): string {
  return `submissions/${submissionId}/${attachmentId}`;
}

export * from './storage.driver';
export * from './local.storage';
export type { S3StorageOptions } from './s3.storage';
export * from './storage.module';
export * from './storage.env';

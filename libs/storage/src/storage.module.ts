import { DynamicModule, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { LocalStorageDriver } from './local.storage';
import type { S3StorageOptions } from './s3.storage';
import { StorageDriver } from './storage.driver';

export type StorageOptions = { driver: 'local'; localDir: string } | ({ driver: 's3' } & S3StorageOptions);

/** The AWS SDK (about 20 MB resident) is loaded only by a service that stores in S3. */
export function createStorageDriver(options: StorageOptions): StorageDriver {
  if (options.driver === 'local') return new LocalStorageDriver(options.localDir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3StorageDriver } = require('./s3.storage') as typeof import('./s3.storage');
  return new S3StorageDriver(options);
}

@Injectable()
class StorageInitializer implements OnApplicationBootstrap {
  constructor(private readonly storage: StorageDriver) {}
  async onApplicationBootstrap(): Promise<void> {
    await this.storage.init();
  }
}

/** Provides `StorageDriver`: the local filesystem by default, S3-compatible when configured. */
@Module({})
export class StorageModule {
  static forRoot(options: StorageOptions): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: StorageDriver, useFactory: () => createStorageDriver(options) }, StorageInitializer],
      exports: [StorageDriver],
    };
  }
}

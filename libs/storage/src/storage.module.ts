import { DynamicModule, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { LocalStorageDriver } from './local.storage';
import { S3StorageDriver, S3StorageOptions } from './s3.storage';
import { StorageDriver } from './storage.driver';

export type StorageOptions = { driver: 'local'; localDir: string } | ({ driver: 's3' } & S3StorageOptions);

export function createStorageDriver(options: StorageOptions): StorageDriver {
  return options.driver === 's3' ? new S3StorageDriver(options) : new LocalStorageDriver(options.localDir);
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

import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseEnv } from '@statex/config';
import { dataSourceOptions, ServiceSchema } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { DatabaseOutage } from './database-outage';
import { DatabaseReadinessCheck } from './database.readiness';

/**
 * The service's own PostgreSQL database: created if missing, migrated at start.
 */
@Module({})
export class PersistenceModule {
  static forService(schema: ServiceSchema): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TerminusModule,
        TypeOrmModule.forRootAsync({
          inject: [DatabaseEnv],
          useFactory: async (env: DatabaseEnv) => {
            const options = dataSourceOptions(env, schema);
            await ensureDatabase(env, options.database!);
            return { ...options, migrationsRun: true, retryAttempts: 5, retryDelay: 1000 };
          },
        }),
      ],
      providers: [TypeOrmHealthIndicator, DatabaseReadinessCheck, DatabaseOutage],
      exports: [DatabaseReadinessCheck, DatabaseOutage],
    };
  }
}

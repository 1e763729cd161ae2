import type { DatabaseEnv } from '@statex/config';
import type { MixedList, EntitySchema } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { databaseNameFor } from './ensure-database';

export interface ServiceSchema {
  /** The service name; its database is `<POSTGRES_DB_PREFIX><service>`. */
  service: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/** Migrations, never `synchronize`: the schema only changes through reviewed migration classes. */
export function dataSourceOptions(env: DatabaseEnv, schema: ServiceSchema): PostgresConnectionOptions {
  return {
    type: 'postgres',
    host: env.POSTGRES_HOST,
    port: env.POSTGRES_PORT,
    username: env.POSTGRES_USER,
    password: env.POSTGRES_PASSWORD,
    database: databaseNameFor(env, schema.service),
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    applicationName: `statex-${schema.service}`,
    extra: { max: 10, connectionTimeoutMillis: 5000 },
  };
}

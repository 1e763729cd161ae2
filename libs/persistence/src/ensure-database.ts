import { Client } from 'pg';
import type { DatabaseEnv } from '@statex/config';

export function databaseNameFor(env: Pick<DatabaseEnv, 'POSTGRES_DB_PREFIX'>, service: string): string {
  return `${env.POSTGRES_DB_PREFIX}${service.replace(/-/g, '_')}`;
}

/** Creates the service's database if it does not exist yet (a database per service). */
export async function ensureDatabase(env: DatabaseEnv, database: string): Promise<void> {
  const client = new Client({ host: env.POSTGRES_HOST, port: env.POSTGRES_PORT, user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE "${database}"`).catch((error: { code?: string }) => {
        // Two processes may race to create it; the loser sees duplicate_database.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

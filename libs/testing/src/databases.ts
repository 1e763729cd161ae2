import { Client } from 'pg';
import { deleteRedisNamespace } from '@statex/redis';

function admin(): Client {
  return new Client({
    host: process.env.POSTGRES_HOST ?? '127.0.0.1',
    port: Number(process.env.POSTGRES_PORT ?? 5432),
    user: process.env.POSTGRES_USER ?? 'postgres',
    password: process.env.POSTGRES_PASSWORD ?? '',
    database: 'postgres',
  });
}

/** Drops every database whose name starts with the test's prefix. */
export async function dropDatabases(prefix: string): Promise<void> {
  const client = admin();
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Runs one query on a service's database (for assertions on rows). */
export async function queryDatabase<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({
    host: process.env.POSTGRES_HOST ?? '127.0.0.1',
    port: Number(process.env.POSTGRES_PORT ?? 5432),
    user: process.env.POSTGRES_USER ?? 'postgres',
    password: process.env.POSTGRES_PASSWORD ?? '',
    database,
  });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Removes what a test namespace left in PostgreSQL (its databases) and in Redis (its BullMQ queues,
 * jobs and rate-limit counters, which BullMQ would otherwise keep for days). The broker's part goes
 * with the BrokerProbe's cleanup.
 */
export async function removeTestNamespace(namespace: string): Promise<void> {
  await dropDatabases(`${namespace}_`);
  await deleteRedisNamespace(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', namespace);
}

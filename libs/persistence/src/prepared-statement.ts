import type { DataSource } from 'typeorm';

interface PgPool {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * Runs one statement straight on the driver's pool (a single statement needs no query runner nor
 * transaction: it is atomic on its own) as a named prepared statement: each connection parses and
 * plans it once, then only its values travel. For the hot paths that write a state change and its
 * event in one round trip (data-modifying CTEs with outboxInsertCtes).
 */
export async function runPrepared<R = Record<string, unknown>>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<R[]> {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  return (await pool.query<R>({ name, text, values })).rows;
}

/** Collects a statement's values as it is written: `p(value)` adds one and returns its placeholder. */
export function parameters(): { values: unknown[]; p: (value: unknown) => string } {
  const values: unknown[] = [];
  return {
    values,
    p: (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

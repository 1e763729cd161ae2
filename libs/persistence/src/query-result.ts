/**
 * The rows of `DataSource.query` / `EntityManager.query` on PostgreSQL, whatever the statement:
 * TypeORM gives `[rows, count]` for UPDATE and DELETE (with RETURNING or not) and the rows for the rest.
 */
export function returnedRows<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

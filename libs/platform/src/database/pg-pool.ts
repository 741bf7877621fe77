import { Pool, PoolClient, QueryArrayConfig, QueryArrayResult, QueryResult, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';

/** Nest injection token for the shared node-postgres pool used by hand-written SQL. */
export const PG_POOL = Symbol('PG_POOL');

/** Anything that can run a query: the pool, or a client inside the caller's transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Rows as arrays (`rowMode: 'array'`): much cheaper to receive when a report has many rows. */
  query<R extends unknown[] = unknown[]>(config: QueryArrayConfig): Promise<QueryArrayResult<R>>;
}

/** The pool TypeORM already owns, so hot paths and entities share one set of connections. */
export function poolOf(ds: DataSource): Pool {
  const driver = ds.driver as unknown as { master?: Pool };
  if (!driver.master) throw new Error('TypeORM data source has no PostgreSQL pool (not initialised?)');
  return driver.master;
}

/** Runs `fn` in a transaction on one pooled client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

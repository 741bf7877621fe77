import {
  Pool,
  PoolClient,
  Query,
  QueryArrayConfig,
  QueryConfig,
  QueryArrayResult,
  QueryResult,
  QueryResultRow,
} from 'pg';
import { DataSource } from 'typeorm';

/** Nest injection token for the shared node-postgres pool used by hand-written SQL. */
export const PG_POOL = Symbol('PG_POOL');

/**
 * SQL giving a timestamptz column as epoch milliseconds (float8, floored: the millisecond that
 * parsing the timestamp's text would give). For reads of many rows: a number costs the driver far
 * less than a timestamp's text; `new Date(ms)` rebuilds the value.
 */
export const epochMsSql = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

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

/**
 * Runs a query and hands each row (as an array) to `onRow` as it arrives, without keeping the
 * rows: for reports of many rows, so the driver's row arrays die young and the caller's own
 * representation is all that survives (far less garbage-collection work than collecting the
 * result first). On a pool the query runs on a client of its own. Resolves when the last row has
 * been handed over; rejects with the query's error (or the first error `onRow` throws).
 */
export async function forEachRow(
  db: Queryable,
  config: QueryArrayConfig,
  onRow: (row: unknown[]) => void,
): Promise<void> {
  if (db instanceof Pool) {
    const client = await db.connect();
    try {
      return await forEachRow(client, config, onRow);
    } finally {
      client.release();
    }
  }
  // The typings' Query config lacks rowMode, which the driver honours.
  const query = new Query<unknown[]>({ ...config, rowMode: 'array' } as QueryConfig);
  await new Promise<void>((resolve, reject) => {
    let failed: Error | null = null;
    query.on('row', (row: unknown[]) => {
      if (failed !== null) return;
      try {
        onRow(row);
      } catch (error) {
        failed = error instanceof Error ? error : new Error(String(error));
      }
    });
    query.on('error', reject);
    query.on('end', () => (failed === null ? resolve() : reject(failed)));
    (db as unknown as { query(q: Query<unknown[]>): unknown }).query(query);
  });
}

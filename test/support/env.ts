import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, PoolConfig } from 'pg';

/** The server the tests use (CONTRACT.md defaults); each run gets a fresh `cdr_test_<pid>` database. */
export const SERVER_URL = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(
  /\/[^/?]*(\?.*)?$/,
  '',
);
/** Set by the global setup to a database of this run only (`cdr_test_<pid>`), so runs never collide. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? `${SERVER_URL}/cdr_test`;
/** Queue names of this run, so two test runs on one Redis never consume each other's jobs. */
export const TEST_QUEUE_PREFIX = `cdrtest${process.env.TEST_RUN_ID ?? process.pid}`;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Export files of this run (removed by the global teardown). */
export const TEST_EXPORT_DIR = join(tmpdir(), `cdr-test-exports-${process.env.TEST_RUN_ID ?? process.pid}`);

/** A fresh tenant/source pair so tests never see each other's rows. */
export function freshIds(): { tenantId: string; sourceId: string } {
  return { tenantId: randomUUID(), sourceId: randomUUID() };
}

/** Polls `probe` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  timeoutMs = 15000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A pool for tests. An idle connection that the server ends (a database dropped, a server
 * stopped by a fault test) must not crash the test process: the error is ignored here and any
 * later query reports its own error.
 */
export function testPool(connectionString: string = TEST_DATABASE_URL, options: PoolConfig = {}): Pool {
  const pool = new Pool({ connectionString, ...options });
  pool.on('error', () => undefined);
  return pool;
}

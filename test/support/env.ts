import { randomUUID } from 'node:crypto';

/** The server the tests use (CONTRACT.md defaults); each run gets a fresh `cdr_test` database. */
export const SERVER_URL = (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(
  /\/[^/?]*(\?.*)?$/,
  '',
);
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? `${SERVER_URL}/cdr_test`;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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

import { Client } from 'pg';
import { runMigrations } from '@app/platform/database/migrate';

/** The bench database (`BENCH_DATABASE`, default cdr_bench), so two checkouts can bench at once. */
export const BENCH_DATABASE = benchDatabaseName(process.env.BENCH_DATABASE);
/** Databases a benchmark may create for itself beside the bench database; dropped with it. */
export const SCRATCH_SUFFIXES = ['projections', 'reporting', 'exports'] as const;
const scratchName = (suffix: (typeof SCRATCH_SUFFIXES)[number]) => `${BENCH_DATABASE}_${suffix}`;

function benchDatabaseName(value: string | undefined): string {
  if (!value) return 'cdr_bench';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(value))
    throw new Error(`BENCH_DATABASE: expected a lower-case SQL identifier (a-z, 0-9, _), got "${value}"`);
  return value;
}
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/';

/** The same server as `serverUrl`, with the database path replaced by `name`. */
export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(serverUrl, 'postgres'), application_name: 'cdr-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty, migrated bench database. A leftover from an interrupted run is dropped
 * first, so every run starts from the same empty tables.
 */
export async function createBenchDatabase(serverUrl: string): Promise<string> {
  await dropBenchDatabase(serverUrl);
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${BENCH_DATABASE}`));
  const url = withDatabase(serverUrl, BENCH_DATABASE);
  await runMigrations(url);
  return url;
}

export async function dropBenchDatabase(serverUrl: string): Promise<void> {
  // FORCE: a benchmark that failed half-way may have left pooled connections behind.
  await admin(serverUrl, async (c) => {
    for (const name of [BENCH_DATABASE, ...SCRATCH_SUFFIXES.map(scratchName)])
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * A migrated database of its own for a benchmark that must know exactly what the store holds
 * (named by a SCRATCH_SUFFIXES entry, so an interrupted run's copy is dropped with the bench database).
 */
export async function createScratchDatabase(
  benchUrl: string,
  suffix: (typeof SCRATCH_SUFFIXES)[number],
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = scratchName(suffix);
  const drop = () =>
    admin(benchUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined);
  await drop();
  await admin(benchUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(benchUrl, name);
  await runMigrations(url);
  return { url, drop };
}

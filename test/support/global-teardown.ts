import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { SERVER_URL } from './env';

/** Drops this run's database (see global-setup.ts) and removes its export files. */
export default async function globalTeardown(): Promise<void> {
  await rm(join(tmpdir(), `cdr-test-exports-${process.pid}`), { recursive: true, force: true });
  const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "cdr_test_${process.pid}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

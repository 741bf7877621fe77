import { Client } from 'pg';
import { SERVER_URL } from './env';

/** Drops this run's database (see global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "cdr_test_${process.pid}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

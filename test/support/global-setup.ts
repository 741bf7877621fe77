import { Client } from 'pg';
import { runMigrations } from '../../libs/platform/src/database/migrate';
import { SERVER_URL, TEST_DATABASE_URL } from './env';

/** Creates a fresh test database and migrates it once for every e2e test file. */
export default async function globalSetup(): Promise<void> {
  const name = new URL(TEST_DATABASE_URL).pathname.slice(1);
  const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  await runMigrations(TEST_DATABASE_URL);
  process.env.TEST_DATABASE_URL = TEST_DATABASE_URL;
}

import { Client } from 'pg';
import { runMigrations } from '../../libs/platform/src/database/migrate';
import { SERVER_URL } from './env';

/** Databases the e2e tests create carry the pid of the run that made them. */
const TEST_DATABASE = /^cdr_test_(?:[a-z]+_)?(\d+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates and migrates a database for this run only (`cdr_test_<pid>`), shared by every e2e test
 * file; drops databases left behind by runs whose process is gone. Runs started at once (a CI
 * job and a developer's) never touch each other's data.
 */
export default async function globalSetup(): Promise<void> {
  const name = `cdr_test_${process.pid}`;
  const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'cdr_test%'`,
    );
    for (const { datname } of rows) {
      const pid = TEST_DATABASE.exec(datname)?.[1];
      if (datname === name || (pid && !alive(Number(pid))))
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = `${SERVER_URL}/${name}`;
  await runMigrations(url);
  process.env.TEST_DATABASE_URL = url;
  process.env.TEST_RUN_ID = String(process.pid);
}

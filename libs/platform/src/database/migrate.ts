import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

/** Arbitrary but fixed: every process that migrates this database takes the same lock. */
const MIGRATION_LOCK_KEY = 0x43445201;

export interface MigrateResult {
  applied: string[];
}

/**
 * Runs pending migrations under a session advisory lock, so several processes starting at
 * once apply each migration exactly once (the others wait, then find nothing to do).
 */
export async function runMigrations(url: string, opts: { appRolePassword?: string } = {}): Promise<MigrateResult> {
  const lock = new Client({ connectionString: url, application_name: 'cdr-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ds = new DataSource(dataSourceOptions(url, 2));
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      if (opts.appRolePassword) {
        // The role is created NOLOGIN by a migration; deployments that use it give it a password.
        // One session for both statements: the password travels as a parameter, never as SQL text.
        await lock.query(`SELECT set_config('cdr.app_password', $1, false)`, [opts.appRolePassword]);
        await lock.query(`DO $$ BEGIN
          EXECUTE format('ALTER ROLE cdr_app LOGIN PASSWORD %L', current_setting('cdr.app_password'));
        END $$`);
        await lock.query(`SELECT set_config('cdr.app_password', '', false)`);
      }
      return { applied: applied.map((m) => m.name) };
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** Creates the database named in `url` if it does not exist (used by the embedded start and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error('the database URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created concurrently by another process
      });
    }
  } finally {
    await client.end();
  }
}

import { Client } from 'pg';
import { MIGRATIONS } from '@app/migrations';
import { ensureDatabase, runMigrations } from '@app/platform';
import { SERVER_URL } from '../support/env';

describe('migrations', () => {
  const url = `${SERVER_URL}/cdr_test_migrate_${process.pid}`;
  const name = new URL(url).pathname.slice(1);

  afterAll(async () => {
    const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('apply each migration exactly once when several processes start at once', async () => {
    await ensureDatabase(url);
    await ensureDatabase(url); // idempotent
    const results = await Promise.all(Array.from({ length: 5 }, () => runMigrations(url)));
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual(MIGRATIONS.map((m) => new m().name));

    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query('SELECT name FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name));
      const tables = await client.query(
        `SELECT relname FROM pg_class WHERE relname IN ('raw_events', 'event_dedup', 'projection_checkpoints', 'rejected_deliveries') ORDER BY 1`,
      );
      expect(tables.rows.map((r) => r.relname)).toEqual([
        'event_dedup',
        'projection_checkpoints',
        'raw_events',
        'rejected_deliveries',
      ]);
    } finally {
      await client.end();
    }
    expect((await runMigrations(url)).applied).toEqual([]);
  });
});

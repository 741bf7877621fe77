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

  it('compresses the large raw_events columns with lz4 in every partition, also those made later', async () => {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const compression = async () =>
        (
          await client.query<{ rel: string; raw: string; payload: string }>(
            `SELECT c.relname AS rel,
                    max(a.attcompression) FILTER (WHERE a.attname = 'raw') AS raw,
                    max(a.attcompression) FILTER (WHERE a.attname = 'payload') AS payload
             FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE c.oid = 'raw_events'::regclass
                OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'raw_events'::regclass)
             GROUP BY c.relname ORDER BY c.relname`,
          )
        ).rows;
      const before = await compression();
      expect(before.map((r) => r.rel)).toContain('raw_events_default');
      expect(before.length).toBeGreaterThanOrEqual(4);
      for (const r of before) expect(r).toEqual({ rel: r.rel, raw: 'l', payload: 'l' });

      await client.query(`SELECT ensure_raw_events_partitions(30)`);
      const after = await compression();
      expect(after.length).toBeGreaterThan(before.length);
      for (const r of after) expect(r).toEqual({ rel: r.rel, raw: 'l', payload: 'l' });

      // An event past the 2 KB TOAST threshold is stored compressed with lz4.
      const body = JSON.stringify({
        event_type: 'call_cdr',
        legs: Array.from({ length: 80 }, (_, i) => ({ leg: i, status: 'answered' })),
      });
      await client.query(
        `INSERT INTO raw_events (tenant_id, source_id, vendor, type, recognized, dedup_key, raw, payload)
         VALUES (gen_random_uuid(), gen_random_uuid(), 'portsip', 'call_cdr', true, 'h:lz4', convert_to($1, 'UTF8'), $1::jsonb)`,
        [body],
      );
      const { rows } = await client.query(
        `SELECT pg_column_compression(raw) AS raw, pg_column_compression(payload) AS payload,
                convert_from(raw, 'UTF8') = $1 AS same, payload = $1::jsonb AS same_json
         FROM raw_events WHERE dedup_key = 'h:lz4'`,
        [body],
      );
      expect(Buffer.byteLength(body)).toBeGreaterThan(2048);
      expect(rows).toEqual([{ raw: 'lz4', payload: 'lz4', same: true, same_json: true }]);
    } finally {
      await client.end();
    }
  });
});

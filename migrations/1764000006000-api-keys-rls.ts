import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables the reporting API reads, each with a `tenant_id` column (tenants: its `id`). */
export const TENANT_READ_TABLES = [
  'raw_events',
  'call_sessions',
  'call_legs',
  'queue_attempts',
  'queue_interval_stats',
  'queue_sla_breaches',
  'agent_segments',
  'agent_interval_stats',
  'extensions',
] as const;

/**
 * API keys, and tenant isolation by row-level security for the reporting API.
 *
 * The API runs every read as role `cdr_api` (`SET LOCAL ROLE` inside its transaction) with the
 * key's tenant in the transaction-local setting `cdr.tenant_id`. `cdr_api` may only SELECT the
 * read models, and each of them has a policy that shows it the rows of that tenant only — so a
 * bug in a query, a crafted filter or cursor cannot reach another tenant's rows. Without the
 * setting it sees nothing. The writers (the table owner, and `cdr_app` through a permissive
 * policy) are unaffected.
 */
export class ApiKeysRls1764000006000 implements MigrationInterface {
  name = 'ApiKeysRls1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id    uuid        NOT NULL REFERENCES tenants (id),
        name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        key_hash     bytea       NOT NULL UNIQUE,
        key_prefix   text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      )
    `);
    await q.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)`);
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cdr_api') THEN
        CREATE ROLE cdr_api NOLOGIN;
      END IF;
    END $$`);
    // The application role switches to cdr_api for reads (a superuser may anyway).
    await q.query(`GRANT cdr_api TO cdr_app`);
    await q.query(`GRANT USAGE ON SCHEMA public TO cdr_api`);
    await q.query(`GRANT SELECT ON tenants TO cdr_api`);
    await q.query(`ALTER TABLE tenants ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY tenant_isolation ON tenants FOR SELECT TO cdr_api
                   USING (id = nullif(current_setting('cdr.tenant_id', true), '')::uuid)`);
    await q.query(`CREATE POLICY app_all ON tenants TO cdr_app USING (true) WITH CHECK (true)`);
    for (const table of TENANT_READ_TABLES) {
      await q.query(`GRANT SELECT ON ${table} TO cdr_api`);
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} FOR SELECT TO cdr_api
                     USING (tenant_id = nullif(current_setting('cdr.tenant_id', true), '')::uuid)`);
      await q.query(`CREATE POLICY app_all ON ${table} TO cdr_app USING (true) WITH CHECK (true)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [...TENANT_READ_TABLES, 'tenants']) {
      await q.query(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`);
      await q.query(`DROP POLICY IF EXISTS app_all ON ${table}`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
      await q.query(`REVOKE SELECT ON ${table} FROM cdr_api`);
    }
    await q.query(`DROP TABLE api_keys`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `nullif(current_setting('cdr.tenant_id', true), '')::uuid`;

/**
 * Scheduled CSV exports: `export_schedules` (a cron expression in a time zone, and the export
 * request to run at each of its times) and `export_runs` (one export: its period, status, and the
 * file's row count, size and SHA-256). The files themselves live under EXPORT_DIR.
 *
 * The GraphQL API writes both tables as `cdr_api` (runExport, createExportSchedule,
 * deleteExportSchedule), so besides the read policy of migration ApiKeysRls1764000006000 each
 * has INSERT (and, for schedules, DELETE) policies whose checks pin `tenant_id` to the caller's
 * tenant. Workers update runs as the application role.
 */
export class Exports1764000008000 implements MigrationInterface {
  name = 'Exports1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE export_schedules (
        id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id  uuid        NOT NULL REFERENCES tenants (id),
        name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        cron       text        NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
        timezone   text        NOT NULL,
        report     text        NOT NULL,
        request    jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    await q.query(`CREATE INDEX export_schedules_tenant_idx ON export_schedules (tenant_id, created_at, id)`);
    await q.query(`
      CREATE TABLE export_runs (
        id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id   uuid        NOT NULL REFERENCES tenants (id),
        schedule_id uuid        REFERENCES export_schedules (id) ON DELETE SET NULL,
        -- The scheduled time a run of a schedule belongs to (one run per time).
        slot_at     timestamptz,
        report      text        NOT NULL
                    CHECK (report IN ('CALLS', 'QUEUE_STATS', 'AGENT_STATS', 'AGENT_TIMELINE', 'RECONCILIATION')),
        -- The request with its period resolved: what the worker runs, whenever it runs.
        request     jsonb       NOT NULL,
        range_from  timestamptz,
        range_to    timestamptz,
        timezone    text        NOT NULL,
        gzip        boolean     NOT NULL DEFAULT false,
        status      text        NOT NULL DEFAULT 'QUEUED'
                    CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        attempts    int         NOT NULL DEFAULT 0,
        row_count   bigint,
        bytes       bigint,
        sha256      text,
        file_name   text,
        -- Relative to EXPORT_DIR, so the directory can move.
        file_path   text,
        error       text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        started_at  timestamptz,
        finished_at timestamptz
      )
    `);
    await q.query(`CREATE INDEX export_runs_tenant_created_idx ON export_runs (tenant_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE UNIQUE INDEX export_runs_slot_idx ON export_runs (tenant_id, schedule_id, slot_at) WHERE schedule_id IS NOT NULL`,
    );

    await q.query(`GRANT SELECT, INSERT, DELETE ON export_schedules TO cdr_api`);
    await q.query(`GRANT SELECT, INSERT ON export_runs TO cdr_api`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON export_schedules, export_runs TO cdr_app`);
    for (const table of ['export_schedules', 'export_runs']) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} FOR SELECT TO cdr_api USING (tenant_id = ${TENANT})`);
      await q.query(`CREATE POLICY tenant_insert ON ${table} FOR INSERT TO cdr_api WITH CHECK (tenant_id = ${TENANT})`);
      await q.query(`CREATE POLICY app_all ON ${table} TO cdr_app USING (true) WITH CHECK (true)`);
    }
    await q.query(
      `CREATE POLICY tenant_delete ON export_schedules FOR DELETE TO cdr_api USING (tenant_id = ${TENANT})`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE export_runs, export_schedules`);
  }
}

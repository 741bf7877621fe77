import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `nullif(current_setting('cdr.tenant_id', true), '')::uuid`;

/** Billing tables the reporting API reads (all with `tenant_id`). */
export const BILLING_READ_TABLES = [
  'rate_imports',
  'rates',
  'call_costs',
  'carrier_imports',
  'carrier_records',
  'carrier_rejects',
  'reconciliation_runs',
  'reconciliation_items',
] as const;

/**
 * What `cdr_api` may write, inside its tenant only: reconciliation runs (the
 * `startReconciliation` mutation) and carrier files (`POST /billing/carrier-files`).
 */
const API_WRITES: ReadonlyArray<[table: string, privileges: string[]]> = [
  ['reconciliation_runs', ['INSERT', 'UPDATE']],
  ['carrier_imports', ['INSERT', 'UPDATE']],
  ['carrier_records', ['INSERT']],
  ['carrier_rejects', ['INSERT']],
];

/**
 * Billing: rate plans (effective-dated, longest prefix), the rating read model `call_costs`,
 * carrier CDR imports and reconciliation runs with their items. Money is `numeric`, never float.
 */
export class Billing1764000007000 implements MigrationInterface {
  name = 'Billing1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_imports (
        tenant_id   uuid        NOT NULL REFERENCES tenants (id),
        id          uuid        NOT NULL DEFAULT gen_random_uuid(),
        carrier     text        NOT NULL,
        file_name   text,
        imported    int         NOT NULL DEFAULT 0,
        rejected    int         NOT NULL DEFAULT 0,
        rerated     int         NOT NULL DEFAULT 0,
        rejects     jsonb       NOT NULL DEFAULT '[]',
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )
    `);
    // One row per (prefix, effective_from): a later effective_from supersedes an earlier one for
    // calls from then on; '-infinity' is "always". The primary key is the longest-prefix index:
    // a lookup probes it once per prefix of the number (prefix = ANY(...)).
    await q.query(`
      CREATE TABLE rates (
        tenant_id        uuid        NOT NULL,
        carrier          text        NOT NULL,
        prefix           text        NOT NULL CHECK (prefix ~ '^[0-9]{1,15}$'),
        effective_from   timestamptz NOT NULL,
        description      text,
        rate_per_minute  numeric     NOT NULL CHECK (rate_per_minute >= 0),
        connect_fee      numeric     NOT NULL DEFAULT 0 CHECK (connect_fee >= 0),
        first_increment  int         NOT NULL CHECK (first_increment BETWEEN 1 AND 3600),
        next_increment   int         NOT NULL CHECK (next_increment BETWEEN 1 AND 3600),
        currency         text        CHECK (currency ~ '^[A-Z]{3}$'),
        import_id        uuid        NOT NULL,
        PRIMARY KEY (tenant_id, carrier, prefix, effective_from)
      )
    `);

    // The prefix lengths of a plan, found by a loose index scan (rating joins only those lengths).
    await q.query(`CREATE INDEX rates_length_idx ON rates (tenant_id, carrier, length(prefix))`);

    // Every prefix of a digit string (what a longest-prefix lookup probes).
    await q.query(`
      CREATE FUNCTION billing_prefixes(number text) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT coalesce(array(SELECT left(number, i) FROM generate_series(1, length(number)) AS i), '{}') $$
    `);
    // METRICS.md "Billing": t <= 0 ? 0 : max(first, first + ceil((t - first) / next) * next).
    await q.query(`
      CREATE FUNCTION billing_billable_seconds(talk int, first_increment int, next_increment int) RETURNS int
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT CASE WHEN talk IS NULL OR talk <= 0 THEN 0
                     ELSE greatest(first_increment,
                                   first_increment + ceil((talk - first_increment)::numeric / next_increment)::int * next_increment)
                END $$
    `);
    // connect fee + billable minutes x rate, exact, rounded half up to 4 places. The product gets
    // 20 decimal places before the division so the quotient keeps them (rates have at most 8).
    await q.query(`
      CREATE FUNCTION billing_cost(billable int, rate_per_minute numeric, connect_fee numeric) RETURNS numeric
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
      $$ SELECT round(connect_fee + round(billable * rate_per_minute, 20) / 60, 4) $$
    `);
    // The rate of a number at a moment: longest prefix among the rates in effect, then the
    // latest effective_from of that prefix. Inlined by the planner into a lateral join.
    await q.query(`
      CREATE FUNCTION billing_best_rate(p_tenant uuid, p_carrier text, p_number text, p_at timestamptz)
      RETURNS SETOF rates LANGUAGE sql STABLE AS
      $$ SELECT * FROM rates
         WHERE tenant_id = p_tenant AND carrier = p_carrier AND prefix = ANY (billing_prefixes(p_number))
           AND effective_from <= p_at
         ORDER BY length(prefix) DESC, effective_from DESC
         LIMIT 1 $$
    `);

    // The rating read model: one row per billable candidate (completed OUTBOUND/TRANSIT call with
    // talk > 0), written by the call-costs projection and replaced by re-rating. cost is null
    // (and problem says why) when the call cannot be rated.
    await q.query(`
      CREATE TABLE call_costs (
        tenant_id           uuid        NOT NULL,
        call_id             uuid        NOT NULL,
        source_id           uuid        NOT NULL,
        carrier             text,
        started_at          timestamptz NOT NULL,
        answered_at         timestamptz,
        vendor_call_id      text        NOT NULL,
        session_id          text,
        from_number         text,
        to_number           text,
        talk_seconds        int         NOT NULL CHECK (talk_seconds > 0),
        billable_seconds    int,
        rate_prefix         text,
        rate_effective_from timestamptz,
        cost                numeric(20, 4),
        currency            text,
        problem             text,
        PRIMARY KEY (tenant_id, call_id)
      )
    `);
    await q.query(`CREATE INDEX call_costs_carrier_idx ON call_costs (tenant_id, carrier, started_at)`);

    await q.query(`
      CREATE TABLE carrier_imports (
        tenant_id   uuid        NOT NULL REFERENCES tenants (id),
        id          uuid        NOT NULL DEFAULT gen_random_uuid(),
        carrier     text        NOT NULL,
        file_name   text,
        sha256      text,
        bytes       bigint,
        mapping     jsonb       NOT NULL,
        imported    int         NOT NULL DEFAULT 0,
        rejected    int         NOT NULL DEFAULT 0,
        first_start timestamptz,
        last_start  timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )
    `);
    // The same file (same bytes, same carrier) is imported once; a second import finds this row.
    await q.query(`CREATE UNIQUE INDEX carrier_imports_file_idx ON carrier_imports (tenant_id, carrier, sha256)`);
    await q.query(`
      CREATE TABLE carrier_records (
        tenant_id        uuid        NOT NULL,
        import_id        uuid        NOT NULL,
        line             int         NOT NULL,
        carrier          text        NOT NULL,
        carrier_call_id  text,
        started_at       timestamptz NOT NULL,
        from_raw         text,
        to_raw           text        NOT NULL,
        from_number      text,
        to_number        text,
        duration_seconds int         NOT NULL CHECK (duration_seconds >= 0),
        cost             numeric,
        PRIMARY KEY (tenant_id, import_id, line)
      )
    `);
    await q.query(`CREATE INDEX carrier_records_period_idx ON carrier_records (tenant_id, carrier, started_at)`);
    await q.query(`
      CREATE TABLE carrier_rejects (
        tenant_id uuid NOT NULL,
        import_id uuid NOT NULL,
        line      int  NOT NULL,
        reason    text NOT NULL,
        raw       text NOT NULL,
        PRIMARY KEY (tenant_id, import_id, line)
      )
    `);

    await q.query(`
      CREATE TABLE reconciliation_runs (
        tenant_id                  uuid        NOT NULL REFERENCES tenants (id),
        id                         uuid        NOT NULL DEFAULT gen_random_uuid(),
        carrier                    text        NOT NULL CHECK (length(carrier) BETWEEN 1 AND 100),
        period_from                timestamptz NOT NULL,
        period_to                  timestamptz NOT NULL,
        match_tolerance_seconds    int         NOT NULL DEFAULT 5 CHECK (match_tolerance_seconds BETWEEN 0 AND 3600),
        duration_tolerance_seconds int         NOT NULL DEFAULT 1 CHECK (duration_tolerance_seconds BETWEEN 0 AND 3600),
        cost_tolerance             numeric     NOT NULL DEFAULT 0.001 CHECK (cost_tolerance >= 0),
        status                     text        NOT NULL DEFAULT 'QUEUED'
                                   CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        matched                    int         NOT NULL DEFAULT 0,
        duration_mismatch          int         NOT NULL DEFAULT 0,
        cost_mismatch              int         NOT NULL DEFAULT 0,
        missing_in_carrier         int         NOT NULL DEFAULT 0,
        missing_in_ours            int         NOT NULL DEFAULT 0,
        expected_total             numeric     NOT NULL DEFAULT 0,
        billed_total               numeric     NOT NULL DEFAULT 0,
        currency                   text,
        error                      text,
        attempts                   int         NOT NULL DEFAULT 0,
        created_at                 timestamptz NOT NULL DEFAULT now(),
        started_at                 timestamptz,
        finished_at                timestamptz,
        PRIMARY KEY (tenant_id, id),
        CHECK (period_from < period_to)
      )
    `);
    // Asking again for a run that is still queued or running returns that run.
    await q.query(`
      CREATE UNIQUE INDEX reconciliation_runs_active_idx ON reconciliation_runs
        (tenant_id, carrier, period_from, period_to, match_tolerance_seconds, duration_tolerance_seconds, cost_tolerance)
        WHERE status IN ('QUEUED', 'RUNNING')
    `);
    await q.query(
      `CREATE INDEX reconciliation_runs_created_idx ON reconciliation_runs (tenant_id, created_at DESC, id)`,
    );
    // The worker's catch-up loop finds unfinished runs here (a small partial index).
    await q.query(`
      CREATE INDEX reconciliation_runs_pending_idx ON reconciliation_runs (tenant_id, created_at)
        WHERE status IN ('QUEUED', 'RUNNING')
    `);
    await q.query(`
      CREATE TABLE reconciliation_items (
        tenant_id          uuid        NOT NULL,
        run_id             uuid        NOT NULL,
        item_no            int         NOT NULL,
        status             text        NOT NULL CHECK (status IN
                             ('MATCHED', 'DURATION_MISMATCH', 'COST_MISMATCH', 'MISSING_IN_CARRIER', 'MISSING_IN_OURS')),
        matched_by         text        CHECK (matched_by IN ('CALL_ID', 'NUMBERS_AND_TIME')),
        call_id            uuid,
        carrier_import_id  uuid,
        carrier_line       int,
        carrier_call_id    text,
        from_number        text,
        to_number          text,
        started_at         timestamptz,
        carrier_started_at timestamptz,
        our_seconds        int,
        carrier_seconds    int,
        expected_cost      numeric,
        carrier_cost       numeric,
        PRIMARY KEY (tenant_id, run_id, item_no)
      )
    `);
    // Filtering by status pages through this index for the rare statuses (a run is mostly MATCHED,
    // so indexing only the others keeps writing a million items cheap); MATCHED pages read the
    // primary key and skip the few others.
    await q.query(
      `CREATE INDEX reconciliation_items_status_idx ON reconciliation_items (tenant_id, run_id, status, item_no)
       WHERE status <> 'MATCHED'`,
    );

    // Row-level security as in ApiKeysRls1764000006000: cdr_api sees its tenant's rows only;
    // cdr_app (the applications' login) everything.
    for (const table of BILLING_READ_TABLES) {
      await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO cdr_app`);
      await q.query(`GRANT SELECT ON ${table} TO cdr_api`);
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`CREATE POLICY tenant_isolation ON ${table} FOR SELECT TO cdr_api USING (tenant_id = ${TENANT})`);
      await q.query(`CREATE POLICY app_all ON ${table} TO cdr_app USING (true) WITH CHECK (true)`);
    }
    for (const [table, privileges] of API_WRITES) {
      await q.query(`GRANT ${privileges.join(', ')} ON ${table} TO cdr_api`);
      if (privileges.includes('INSERT'))
        await q.query(
          `CREATE POLICY tenant_insert ON ${table} FOR INSERT TO cdr_api WITH CHECK (tenant_id = ${TENANT})`,
        );
      if (privileges.includes('UPDATE'))
        await q.query(`CREATE POLICY tenant_update ON ${table} FOR UPDATE TO cdr_api
                       USING (tenant_id = ${TENANT}) WITH CHECK (tenant_id = ${TENANT})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION billing_best_rate(uuid, text, text, timestamptz)`);
    await q.query(`DROP TABLE ${[...BILLING_READ_TABLES].reverse().join(', ')}`);
    await q.query(`DROP FUNCTION billing_cost(int, numeric, numeric)`);
    await q.query(`DROP FUNCTION billing_billable_seconds(int, int, int)`);
    await q.query(`DROP FUNCTION billing_prefixes(text)`);
  }
}

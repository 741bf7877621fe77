import { Pool, PoolClient } from 'pg';
import { Queryable, withTransaction } from '@app/platform';
import { BillingInputError } from './billing.errors';
import { carrierName } from './carrier-name';
import { ReconciliationTotals, StepTimes, reconcile } from './reconciliation.engine';

/** Defaults of METRICS.md "Billing". */
export const DEFAULT_MATCH_TOLERANCE_SECONDS = 5;
export const DEFAULT_DURATION_TOLERANCE_SECONDS = 1;
export const DEFAULT_COST_TOLERANCE = '0.001';
/** Longest period of one run. */
export const MAX_PERIOD_DAYS = 366;
/** Attempts before a run that keeps failing (its worker died, the database went away) is FAILED. */
export const MAX_ATTEMPTS = 3;

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What `reconcile` / `startReconciliation` ask for. */
export interface RunRequest {
  tenantId: string;
  carrier: unknown;
  from: unknown;
  to: unknown;
  matchToleranceSeconds?: unknown;
  durationToleranceSeconds?: unknown;
  costTolerance?: unknown;
}

/** A validated RunRequest. */
export interface ValidRunRequest {
  tenantId: string;
  carrier: string;
  from: Date;
  to: Date;
  matchToleranceSeconds: number;
  durationToleranceSeconds: number;
  costTolerance: string;
}

function moment(field: string, value: unknown): Date {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string' && ISO_WITH_OFFSET.test(value.trim())
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime()))
    throw new BillingInputError(field, `${field} must be an ISO 8601 time with offset, like 2026-03-01T00:00:00Z`);
  return date;
}

function seconds(field: string, value: unknown, fallback: number): number {
  if (value == null || value === '') return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 3600)
    throw new BillingInputError(field, `${field} must be a whole number of seconds from 0 to 3600`);
  return n;
}

/** Validates a run request (BillingInputError naming the field otherwise). */
export function validRunRequest(r: RunRequest): ValidRunRequest {
  if (!UUID.test(r.tenantId)) throw new BillingInputError('tenant', 'tenant must be a tenant id (UUID)');
  const carrier = carrierName(r.carrier);
  const from = moment('from', r.from);
  const to = moment('to', r.to);
  if (from >= to) throw new BillingInputError('to', 'from must be before to');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000)
    throw new BillingInputError('to', `a reconciliation period spans at most ${MAX_PERIOD_DAYS} days`);
  let costTolerance = DEFAULT_COST_TOLERANCE;
  if (r.costTolerance != null && r.costTolerance !== '') {
    const text =
      typeof r.costTolerance === 'string' || typeof r.costTolerance === 'number' ? `${r.costTolerance}`.trim() : '';
    if (!/^\d{1,6}(\.\d{1,10})?$/.test(text))
      throw new BillingInputError('costTolerance', 'costTolerance must be a decimal amount >= 0, like 0.001');
    costTolerance = text;
  }
  return {
    tenantId: r.tenantId.toLowerCase(),
    carrier,
    from,
    to,
    matchToleranceSeconds: seconds('matchToleranceSeconds', r.matchToleranceSeconds, DEFAULT_MATCH_TOLERANCE_SECONDS),
    durationToleranceSeconds: seconds(
      'durationToleranceSeconds',
      r.durationToleranceSeconds,
      DEFAULT_DURATION_TOLERANCE_SECONDS,
    ),
    costTolerance,
  };
}

/**
 * A transaction on a session whose temporary tables may use 1 GB of local buffers (the default
 * 8 MB makes a run's million-row temporary tables go through the kernel page by page: about twice
 * as slow). The setting can only change before a session's first temporary table, so it is set
 * outside the transaction and ignored when the session already has its buffers.
 */
async function withLargeTempBuffers<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`SET temp_buffers = '1GB'`).catch(() => undefined);
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A run as the worker sees it. */
export interface RunRecord extends ValidRunRequest {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  attempts: number;
}

interface RawRun {
  id: string;
  tenant_id: string;
  carrier: string;
  period_from: Date;
  period_to: Date;
  match_tolerance_seconds: number;
  duration_tolerance_seconds: number;
  cost_tolerance: string;
  status: RunRecord['status'];
  attempts: number;
}

const toRun = (r: RawRun): RunRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  carrier: r.carrier,
  from: r.period_from,
  to: r.period_to,
  matchToleranceSeconds: r.match_tolerance_seconds,
  durationToleranceSeconds: r.duration_tolerance_seconds,
  costTolerance: r.cost_tolerance,
  status: r.status,
  attempts: r.attempts,
});

const RUN_COLUMNS = `id, tenant_id, carrier, period_from, period_to, match_tolerance_seconds, duration_tolerance_seconds,
  cost_tolerance::text AS cost_tolerance, status, attempts`;

/**
 * Queues a run (status QUEUED) in the caller's transaction, or returns the identical run that is
 * still queued or running — asking twice does not reconcile twice. Works as `cdr_api` under
 * row-level security (the GraphQL mutation) and as the application role (the CLI).
 */
export async function requestRun(
  client: Queryable,
  request: ValidRunRequest,
): Promise<{ id: string; created: boolean }> {
  const r = request;
  const params = [
    r.tenantId,
    r.carrier,
    r.from,
    r.to,
    r.matchToleranceSeconds,
    r.durationToleranceSeconds,
    r.costTolerance,
  ];
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO reconciliation_runs (tenant_id, carrier, period_from, period_to, match_tolerance_seconds,
                                        duration_tolerance_seconds, cost_tolerance)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, carrier, period_from, period_to, match_tolerance_seconds, duration_tolerance_seconds,
                    cost_tolerance) WHERE status IN ('QUEUED', 'RUNNING') DO NOTHING
       RETURNING id`,
      params,
    );
    if (inserted.rows.length) return { id: inserted.rows[0].id, created: true };
    const active = await client.query<{ id: string }>(
      `SELECT id FROM reconciliation_runs
       WHERE tenant_id = $1 AND carrier = $2 AND period_from = $3 AND period_to = $4 AND match_tolerance_seconds = $5
         AND duration_tolerance_seconds = $6 AND cost_tolerance = $7 AND status IN ('QUEUED', 'RUNNING')`,
      params,
    );
    if (active.rows.length) return { id: active.rows[0].id, created: false };
    // It finished between the two statements: queue a new one.
  }
  throw new Error('could not queue the reconciliation run (it kept finishing concurrently)');
}

/** What processing a run did: ran it, found it finished or being run elsewhere, or it failed. */
export type ProcessOutcome = 'succeeded' | 'failed' | 'skipped' | 'busy';

/** Hooks for logs and metrics. */
export interface ProcessHooks {
  onFinished?(run: RunRecord, totals: ReconciliationTotals, times: StepTimes): void;
  onFailed?(run: RunRecord, error: unknown): void;
}

/**
 * Runs a queued run to the end: marks it RUNNING (visible at once), then reconciles and writes
 * items, counts and SUCCEEDED in one transaction that holds the run's row lock, so two workers
 * (a duplicated job, the catch-up loop) never reconcile it twice and a crash leaves it RUNNING
 * with no items, to be retried. An error marks it FAILED with the message.
 */
export async function processRun(
  pool: Pool,
  key: { tenantId: string; runId: string },
  hooks: ProcessHooks = {},
): Promise<ProcessOutcome> {
  const claimed = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<RawRun>(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
       WHERE tenant_id = $1 AND id = $2 AND status IN ('QUEUED', 'RUNNING') FOR UPDATE SKIP LOCKED`,
      [key.tenantId, key.runId],
    );
    if (!rows.length) return null;
    const run = toRun(rows[0]);
    if (run.attempts >= MAX_ATTEMPTS) {
      await client.query(
        `UPDATE reconciliation_runs SET status = 'FAILED', finished_at = now(),
           error = coalesce(error, 'gave up after ' || attempts || ' attempts')
         WHERE tenant_id = $1 AND id = $2`,
        [key.tenantId, key.runId],
      );
      return null;
    }
    await client.query(
      `UPDATE reconciliation_runs SET status = 'RUNNING', started_at = now(), attempts = attempts + 1
       WHERE tenant_id = $1 AND id = $2`,
      [key.tenantId, key.runId],
    );
    return run;
  });
  if (!claimed) return 'skipped';

  try {
    const times: StepTimes = {};
    const totals = await withLargeTempBuffers(pool, async (client) => {
      const { rows } = await client.query(
        `SELECT 1 FROM reconciliation_runs WHERE tenant_id = $1 AND id = $2 AND status = 'RUNNING' FOR UPDATE SKIP LOCKED`,
        [key.tenantId, key.runId],
      );
      if (!rows.length) return null;
      await client.query(`DELETE FROM reconciliation_items WHERE tenant_id = $1 AND run_id = $2`, [
        key.tenantId,
        key.runId,
      ]);
      const t = await reconcile(client, { ...claimed, runId: claimed.id }, times);
      await client.query(
        `UPDATE reconciliation_runs SET status = 'SUCCEEDED', finished_at = now(), error = NULL,
           matched = $3, duration_mismatch = $4, cost_mismatch = $5, missing_in_carrier = $6, missing_in_ours = $7,
           expected_total = $8, billed_total = $9, currency = $10
         WHERE tenant_id = $1 AND id = $2`,
        [
          key.tenantId,
          key.runId,
          t.matched,
          t.durationMismatch,
          t.costMismatch,
          t.missingInCarrier,
          t.missingInOurs,
          t.expectedTotal,
          t.billedTotal,
          t.currency,
        ],
      );
      return t;
    });
    if (!totals) return 'busy';
    hooks.onFinished?.(claimed, totals, times);
    return 'succeeded';
  } catch (error) {
    hooks.onFailed?.(claimed, error);
    const message = error instanceof Error ? error.message : String(error);
    await pool.query(
      `UPDATE reconciliation_runs SET status = 'FAILED', finished_at = now(), error = $3
       WHERE tenant_id = $1 AND id = $2 AND status = 'RUNNING'`,
      [key.tenantId, key.runId, `reconciliation failed: ${message.slice(0, 500)}`],
    );
    return 'failed';
  }
}

/**
 * Runs that should be running but are not: queued for longer than `graceSeconds` (their job was
 * lost, or the queue is down) or RUNNING without a live worker (it crashed). Oldest first.
 */
export async function stalledRuns(
  client: Queryable,
  graceSeconds: number,
  limit = 10,
): Promise<Array<{ tenantId: string; runId: string }>> {
  const { rows } = await client.query<{ tenant_id: string; id: string }>(
    `SELECT tenant_id, id FROM reconciliation_runs
     WHERE status IN ('QUEUED', 'RUNNING') AND coalesce(started_at, created_at) < now() - make_interval(secs => $1)
     ORDER BY created_at LIMIT $2`,
    [graceSeconds, limit],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, runId: r.id }));
}

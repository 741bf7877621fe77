import { Queryable, forEachRow } from '@app/platform';
import {
  Granularity,
  ReportInputError,
  hourRollupUsable,
  intervalStartMsSql,
  validRange,
  validZone,
} from './intervals';
import { QUEUE_STATS_NUMBERS, QueueStatsRow, QueueStatsRowReader } from './queue-stats.rows';

/** A `queueStats` request (CONTRACT.md). */
export interface QueueStatsRequest {
  from: Date;
  to: Date;
  granularity: Granularity;
  /** IANA zone of the intervals; the tenant's zone when absent. */
  timezone?: string | null;
  /** Queue labels (numbers, or names for VoIPcloud); all queues when absent. */
  queues?: readonly string[] | null;
}

/**
 * Queue stats of a tenant: the 15-minute buckets whose start lies in [from, to), summed into the
 * intervals of `granularity` in `timezone` (exact: see intervalStartSql and intervalStartMsSql), with METRICS.md's ratios
 * computed from the sums — never averaged averages. Intervals without any attempt are absent.
 * Ordered by interval, then queue. Rows are read-only views (QueueStatsRow: getters, toJSON());
 * rows of one interval share one `intervalStart` Date.
 */
export async function queueStats(
  db: Queryable,
  tenantId: string,
  req: QueueStatsRequest,
  options: { hourRollups?: boolean } = {},
): Promise<QueueStatsRow[]> {
  validRange(req.from, req.to, req.granularity);
  const ownZone = await tenantZone(db, tenantId);
  const zone = validZone(req.timezone ?? ownZone);
  if (req.queues && req.queues.length > 1000) throw new ReportInputError('queues', 'at most 1000 queues per request');
  // The tenant's hour rollups where they give the same answer (a quarter of the rows), else the
  // 15-minute buckets. `hourRollups: false` forces the buckets (tests compare the two).
  const table =
    options.hourRollups !== false && hourRollupUsable(zone, ownZone, req.granularity, req.from, req.to)
      ? 'queue_hour_stats'
      : 'queue_interval_stats';
  const params: unknown[] = [tenantId, req.from, req.to, req.queues?.length ? req.queues : null];
  const where = `s.tenant_id = $1 AND s.bucket_start >= $2 AND s.bucket_start < $3
       AND ($4::text[] IS NULL OR s.queue = ANY($4::text[]))`;
  // Every row is its queue and one text of its numbers (QUEUE_STATS_NUMBERS, in that order):
  // moving many rows into Node costs per value, so one string per row instead of seventeen.
  // concat_ws skips NULLs, so the one nullable number (max_wait) is printed as an empty item.
  const numbers = `concat_ws(',', ${QUEUE_STATS_NUMBERS.map((c) =>
    c === 'interval_ms' ? `s.interval_ms::int8` : c === 'max_wait' ? `coalesce(s.max_wait::text, '')` : `s.${c}`,
  ).join(', ')})`;
  // Hours in the rollups' own zone: each rollup row is an answer row, already in answer order in
  // the primary key (tenant, hour, queue) — read in that order rather than sorted again.
  const byRollupRows = table === 'queue_hour_stats' && req.granularity === 'HOUR';
  // Their numbers are stored as that text already (queue_hour_stats.numbers, migration
  // QueueHourNumbers1764000010000): printing them per query was most of PostgreSQL's time.
  const sql = byRollupRows
    ? `SELECT s.queue, s.numbers
       FROM queue_hour_stats s
       WHERE ${where}
       ORDER BY s.bucket_start, s.queue`
    : // Sums of seconds in float8: exact far beyond any real total, and much cheaper than numeric.
      `SELECT s.queue, ${numbers}
       FROM (SELECT s.queue, ${intervalStartMsSql('s.bucket_start', req.granularity, zone, req, params)} AS interval_ms,
                    sum(offered) AS offered, sum(answered) AS answered, sum(answered_within_sla) AS answered_within_sla,
                    sum(abandoned) AS abandoned, sum(short_abandoned) AS short_abandoned, sum(timed_out) AS timed_out,
                    sum(callbacks) AS callbacks, sum(sum_answer_wait::float8) AS sum_answer_wait,
                    sum(answered_with_wait) AS answered_with_wait, max(max_wait) AS max_wait,
                    sum(sum_abandon_wait::float8) AS sum_abandon_wait, sum(abandoned_with_wait) AS abandoned_with_wait,
                    sum(sum_talk::float8) AS sum_talk, sum(answered_with_talk) AS answered_with_talk,
                    sum(sum_handle::float8) AS sum_handle, sum(answered_with_handle) AS answered_with_handle
             FROM ${table} s
             WHERE ${where}
             GROUP BY 1, 2) s
       ORDER BY s.interval_ms, s.queue`;
  const reader = new QueueStatsRowReader();
  const onRow = (row: unknown[]) => reader.add(row[0] as string, row[1] as string);
  const query = { text: sql, values: params, rowMode: 'array' as const };
  if (byRollupRows) await withoutSort(db, () => forEachRow(db, query, onRow));
  else await forEachRow(db, query, onRow);
  return reader.rows;
}

/**
 * Runs `fn` with sorting priced out of the plans of this transaction: for a query whose ORDER BY
 * is an index's order, so the planner reads in index order instead of collecting rows by bitmap
 * and sorting them, which for many rows costs more than the read (text keys compare by
 * collation). The setting is put back when `fn` succeeds; when it fails the transaction is aborted
 * anyway, and a query to put it back would only hide `fn`'s error. Outside a transaction the
 * setting does nothing.
 */
async function withoutSort<T>(db: Queryable, fn: () => Promise<T>): Promise<T> {
  const { rows } = await db.query<{ previous: string }>(
    `SELECT current_setting('enable_sort') AS previous, set_config('enable_sort', 'off', true)`,
  );
  const result = await fn();
  await db.query(`SELECT set_config('enable_sort', $1, true)`, [rows[0].previous]);
  return result;
}

/** The tenant's own zone (reports default to it). */
export async function tenantZone(db: Queryable, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.timezone ?? 'UTC';
}

import { Queryable } from '@app/platform';
import {
  Granularity,
  ReportInputError,
  hourRollupUsable,
  intervalStartMsSql,
  validRange,
  validZone,
} from './intervals';

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

/** One row of `QueueIntervalStats`. */
export interface QueueIntervalStatsRow {
  queue: string;
  intervalStart: Date;
  offered: number;
  answered: number;
  answeredWithinSla: number;
  abandoned: number;
  shortAbandoned: number;
  timedOut: number;
  callbacks: number;
  serviceLevel: number | null;
  abandonRate: number | null;
  averageWaitSeconds: number | null;
  maxWaitSeconds: number | null;
  averageAbandonWaitSeconds: number | null;
  averageTalkSeconds: number | null;
  averageHandleSeconds: number | null;
}

/** A result row, in the SELECT's column order (read as arrays: far cheaper for many rows). */
type Raw = [
  queue: string,
  intervalMs: number,
  offered: number,
  answered: number,
  answeredWithinSla: number,
  abandoned: number,
  shortAbandoned: number,
  timedOut: number,
  callbacks: number,
  sumAnswerWait: number,
  answeredWithWait: number,
  maxWait: number | null,
  sumAbandonWait: number,
  abandonedWithWait: number,
  sumTalk: number,
  answeredWithTalk: number,
  sumHandle: number,
  answeredWithHandle: number,
];

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

/**
 * Queue stats of a tenant: the 15-minute buckets whose start lies in [from, to), summed into the
 * intervals of `granularity` in `timezone` (exact: see intervalStartSql and intervalStartMsSql), with METRICS.md's ratios
 * computed from the sums — never averaged averages. Intervals without any attempt are absent.
 * Ordered by interval, then queue.
 */
export async function queueStats(
  db: Queryable,
  tenantId: string,
  req: QueueStatsRequest,
  options: { hourRollups?: boolean } = {},
): Promise<QueueIntervalStatsRow[]> {
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
  // Hours in the rollups' own zone: each rollup row is an answer row, read in primary-key order.
  const sql =
    table === 'queue_hour_stats' && req.granularity === 'HOUR'
      ? `SELECT s.queue, (date_part('epoch', s.bucket_start) * 1000) AS interval_ms,
            offered, answered, answered_within_sla, abandoned, short_abandoned, timed_out, callbacks,
            sum_answer_wait::float8 AS sum_answer_wait, answered_with_wait, max_wait,
            sum_abandon_wait::float8 AS sum_abandon_wait, abandoned_with_wait, sum_talk::float8 AS sum_talk,
            answered_with_talk, sum_handle::float8 AS sum_handle, answered_with_handle
     FROM queue_hour_stats s
     WHERE ${where}
     ORDER BY s.bucket_start, s.queue`
      : // Second sums as float8: exact far beyond any real total, and much cheaper than numeric.
        `SELECT s.queue, ${intervalStartMsSql('s.bucket_start', req.granularity, zone, req, params)} AS interval_ms,
            sum(offered)::int AS offered, sum(answered)::int AS answered, sum(answered_within_sla)::int AS answered_within_sla,
            sum(abandoned)::int AS abandoned, sum(short_abandoned)::int AS short_abandoned, sum(timed_out)::int AS timed_out,
            sum(callbacks)::int AS callbacks, sum(sum_answer_wait::float8) AS sum_answer_wait,
            sum(answered_with_wait)::int AS answered_with_wait, max(max_wait) AS max_wait,
            sum(sum_abandon_wait::float8) AS sum_abandon_wait, sum(abandoned_with_wait)::int AS abandoned_with_wait,
            sum(sum_talk::float8) AS sum_talk, sum(answered_with_talk)::int AS answered_with_talk,
            sum(sum_handle::float8) AS sum_handle, sum(answered_with_handle)::int AS answered_with_handle
     FROM ${table} s
     WHERE ${where}
     GROUP BY 1, 2
     ORDER BY 2, 1`;
  const { rows } = await db.query<Raw>({ text: sql, values: params, rowMode: 'array' });
  return rows.map(
    ([
      queue,
      intervalMs,
      offered,
      answered,
      answeredWithinSla,
      abandoned,
      shortAbandoned,
      timedOut,
      callbacks,
      sumAnswerWait,
      answeredWithWait,
      maxWait,
      sumAbandonWait,
      abandonedWithWait,
      sumTalk,
      answeredWithTalk,
      sumHandle,
      answeredWithHandle,
    ]) => ({
      queue,
      intervalStart: new Date(intervalMs),
      offered,
      answered,
      answeredWithinSla,
      abandoned,
      shortAbandoned,
      timedOut,
      callbacks,
      serviceLevel: ratio(answeredWithinSla, answered + abandoned + timedOut),
      abandonRate: ratio(abandoned, offered - shortAbandoned),
      averageWaitSeconds: ratio(sumAnswerWait, answeredWithWait),
      maxWaitSeconds: maxWait,
      averageAbandonWaitSeconds: ratio(sumAbandonWait, abandonedWithWait),
      averageTalkSeconds: ratio(sumTalk, answeredWithTalk),
      averageHandleSeconds: ratio(sumHandle, answeredWithHandle),
    }),
  );
}

/** The tenant's own zone (reports default to it). */
export async function tenantZone(db: Queryable, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.timezone ?? 'UTC';
}

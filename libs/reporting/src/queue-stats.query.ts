import { Queryable } from '@app/platform';
import { Granularity, ReportInputError, intervalStartMsSql, validRange, validZone } from './intervals';

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

interface Raw {
  queue: string;
  interval_ms: number;
  offered: number;
  answered: number;
  answered_within_sla: number;
  abandoned: number;
  short_abandoned: number;
  timed_out: number;
  callbacks: number;
  sum_answer_wait: number;
  answered_with_wait: number;
  max_wait: number | null;
  sum_abandon_wait: number;
  abandoned_with_wait: number;
  sum_talk: number;
  answered_with_talk: number;
  sum_handle: number;
  answered_with_handle: number;
}

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
): Promise<QueueIntervalStatsRow[]> {
  validRange(req.from, req.to, req.granularity);
  const zone = validZone(req.timezone ?? (await tenantZone(db, tenantId)));
  if (req.queues && req.queues.length > 1000) throw new ReportInputError('queues', 'at most 1000 queues per request');
  const params: unknown[] = [tenantId, req.from, req.to, req.queues?.length ? req.queues : null];
  const start = intervalStartMsSql('s.bucket_start', req.granularity, zone, req, params);
  // Second sums as float8: exact far beyond any real total, and much cheaper than numeric.
  const { rows } = await db.query<Raw>(
    `SELECT s.queue, ${start} AS interval_ms,
            sum(offered)::int AS offered, sum(answered)::int AS answered, sum(answered_within_sla)::int AS answered_within_sla,
            sum(abandoned)::int AS abandoned, sum(short_abandoned)::int AS short_abandoned, sum(timed_out)::int AS timed_out,
            sum(callbacks)::int AS callbacks, sum(sum_answer_wait::float8) AS sum_answer_wait,
            sum(answered_with_wait)::int AS answered_with_wait, max(max_wait) AS max_wait,
            sum(sum_abandon_wait::float8) AS sum_abandon_wait, sum(abandoned_with_wait)::int AS abandoned_with_wait,
            sum(sum_talk::float8) AS sum_talk, sum(answered_with_talk)::int AS answered_with_talk,
            sum(sum_handle::float8) AS sum_handle, sum(answered_with_handle)::int AS answered_with_handle
     FROM queue_interval_stats s
     WHERE s.tenant_id = $1 AND s.bucket_start >= $2 AND s.bucket_start < $3
       AND ($4::text[] IS NULL OR s.queue = ANY($4::text[]))
     GROUP BY 1, 2
     ORDER BY 2, 1`,
    params,
  );
  return rows.map((r) => ({
    queue: r.queue,
    intervalStart: new Date(r.interval_ms),
    offered: r.offered,
    answered: r.answered,
    answeredWithinSla: r.answered_within_sla,
    abandoned: r.abandoned,
    shortAbandoned: r.short_abandoned,
    timedOut: r.timed_out,
    callbacks: r.callbacks,
    serviceLevel: ratio(r.answered_within_sla, r.answered + r.abandoned + r.timed_out),
    abandonRate: ratio(r.abandoned, r.offered - r.short_abandoned),
    averageWaitSeconds: ratio(r.sum_answer_wait, r.answered_with_wait),
    maxWaitSeconds: r.max_wait,
    averageAbandonWaitSeconds: ratio(r.sum_abandon_wait, r.abandoned_with_wait),
    averageTalkSeconds: ratio(r.sum_talk, r.answered_with_talk),
    averageHandleSeconds: ratio(r.sum_handle, r.answered_with_handle),
  }));
}

/** The tenant's own zone (reports default to it). */
export async function tenantZone(db: Queryable, tenantId: string): Promise<string> {
  const { rows } = await db.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.timezone ?? 'UTC';
}

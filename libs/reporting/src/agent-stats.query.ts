import { Queryable } from '@app/platform';
import { Granularity, ReportInputError, intervalStartMsSql, validRange, validZone } from './intervals';
import { tenantZone } from './queue-stats.query';

/** An `agentStats` request (CONTRACT.md). */
export interface AgentStatsRequest {
  from: Date;
  to: Date;
  granularity: Granularity;
  /** IANA zone of the intervals; the tenant's zone when absent. */
  timezone?: string | null;
  /** Agent (extension) numbers; all agents when absent. */
  agents?: readonly string[] | null;
}

/** One row of `AgentIntervalStats`. */
export interface AgentIntervalStatsRow {
  agent: string;
  intervalStart: Date;
  loggedInSeconds: number;
  readySeconds: number;
  notReadySeconds: number;
  wrapUpSeconds: number;
  ringSeconds: number;
  talkSeconds: number;
  holdSeconds: number;
  callsAnswered: number;
  callsMissed: number;
  /** (talk + hold + wrap-up) / (talk + hold + wrap-up + idle ready); null when that is 0. */
  occupancy: number | null;
}

interface Raw {
  agent: string;
  interval_ms: number;
  logged_in: number;
  ready: number;
  not_ready: number;
  wrap_up: number;
  ring: number;
  talk: number;
  hold: number;
  idle_ready: number;
  calls_answered: number;
  calls_missed: number;
}

/**
 * Agent stats of a tenant: the 15-minute buckets whose start lies in [from, to), summed into the
 * intervals of `granularity` in `timezone` (exact: see intervalStartSql and intervalStartMsSql). Occupancy is computed
 * from the summed seconds, never averaged. Intervals in which the agent did nothing are absent.
 * Ordered by interval, then agent.
 */
export async function agentStats(
  db: Queryable,
  tenantId: string,
  req: AgentStatsRequest,
): Promise<AgentIntervalStatsRow[]> {
  validRange(req.from, req.to, req.granularity);
  const zone = validZone(req.timezone ?? (await tenantZone(db, tenantId)));
  if (req.agents && req.agents.length > 1000) throw new ReportInputError('agents', 'at most 1000 agents per request');
  const params: unknown[] = [tenantId, req.from, req.to, req.agents?.length ? req.agents : null];
  const start = intervalStartMsSql('s.bucket_start', req.granularity, zone, req, params);
  const { rows } = await db.query<Raw>(
    `SELECT s.agent, ${start} AS interval_ms,
            sum(logged_in)::int AS logged_in, sum(ready)::int AS ready, sum(not_ready)::int AS not_ready,
            sum(wrap_up)::int AS wrap_up, sum(ring)::int AS ring, sum(talk)::int AS talk, sum(hold)::int AS hold,
            sum(idle_ready)::int AS idle_ready, sum(calls_answered)::int AS calls_answered,
            sum(calls_missed)::int AS calls_missed
     FROM agent_interval_stats s
     WHERE s.tenant_id = $1 AND s.bucket_start >= $2 AND s.bucket_start < $3
       AND ($4::text[] IS NULL OR s.agent = ANY($4::text[]))
     GROUP BY 1, 2
     ORDER BY 2, 1`,
    params,
  );
  return rows.map((r) => {
    const busy = r.talk + r.hold + r.wrap_up;
    return {
      agent: r.agent,
      intervalStart: new Date(r.interval_ms),
      loggedInSeconds: r.logged_in,
      readySeconds: r.ready,
      notReadySeconds: r.not_ready,
      wrapUpSeconds: r.wrap_up,
      ringSeconds: r.ring,
      talkSeconds: r.talk,
      holdSeconds: r.hold,
      callsAnswered: r.calls_answered,
      callsMissed: r.calls_missed,
      occupancy: busy + r.idle_ready > 0 ? busy / (busy + r.idle_ready) : null,
    };
  });
}

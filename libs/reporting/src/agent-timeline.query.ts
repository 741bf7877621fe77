import { Queryable } from '@app/platform';
import { ReportInputError, validRange } from './intervals';

/** The four layers of an agent's timeline (CONTRACT.md `SegmentLayer`). */
export type SegmentLayerName = 'REGISTRATION' | 'PRESENCE' | 'AGENT_STATE' | 'CALL';

/** One row of `AgentSegment`. */
export interface AgentSegmentRow {
  agent: string;
  layer: SegmentLayerName;
  state: string;
  /** AGENT_STATE only. */
  queue: string | null;
  callId: string | null;
  startedAt: Date;
  /** null: the segment is still open (no later state of its layer is known). */
  endedAt: Date | null;
}

/** The longest range one agentTimeline request may cover (days). */
export const MAX_TIMELINE_DAYS = 31;

/**
 * The segments of one agent that overlap [from, to): started before `to` and not ended by
 * `from` (a zero-length segment counts when it lies in the range), with their own bounds (not
 * clipped). Ordered by start, then layer (REGISTRATION, PRESENCE, AGENT_STATE, CALL), queue.
 */
export async function agentTimeline(
  db: Queryable,
  tenantId: string,
  agent: string,
  from: Date,
  to: Date,
): Promise<AgentSegmentRow[]> {
  validRange(from, to);
  if (to.getTime() - from.getTime() > MAX_TIMELINE_DAYS * 86_400_000)
    throw new ReportInputError('to', `the range may span at most ${MAX_TIMELINE_DAYS} days`);
  if (typeof agent !== 'string' || agent.length === 0 || agent.length > 200)
    throw new ReportInputError('agent', 'agent must be an extension number');
  // agent_segments_reaching (migration 1764000012000) walks the primary key: per timeline the
  // one segment open at `from` and those starting in the window (closed bounds, so zero-length
  // segments are found); the second condition is the exact overlap test.
  const { rows } = await db.query<{
    agent: string;
    layer: SegmentLayerName;
    state: string;
    queue: string | null;
    call_id: string | null;
    started_at: Date;
    ended_at: Date | null;
  }>(
    `SELECT s.agent, s.layer, s.state, nullif(s.queue, '') AS queue, s.call_id, s.started_at, s.ended_at
     FROM agent_segments_reaching($1, $2, $3, $4) s
     WHERE s.started_at < $4 AND (s.ended_at IS NULL OR s.ended_at > $3 OR s.started_at >= $3)
     ORDER BY s.started_at, array_position(ARRAY['REGISTRATION', 'PRESENCE', 'AGENT_STATE', 'CALL'], s.layer),
              s.queue, s.ordinal`,
    [tenantId, agent, from, to],
  );
  return rows.map((r) => ({
    agent: r.agent,
    layer: r.layer,
    state: r.state,
    queue: r.queue,
    callId: r.call_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  }));
}

/**
 * SQL of the agent-timeline projection. Every statement takes whole batches as parallel arrays
 * (unnest), is filtered by tenant, and runs inside the runner's transaction.
 *
 * Timelines are keyed by (tenant, agent, layer, queue) with queue '' outside AGENT_STATE (see the
 * migration); the reducers' null queue is mapped to '' here and nowhere else.
 */
import { PoolClient } from 'pg';
import { epochMsSql } from '@app/platform/database/pg-pool';
import type { AgentSegment, SegmentLayer, StateChange } from './agent-segments.reducer';
import type { AgentBucketRow } from './agent-rows';
import type { KeyedSegment } from './agent-memory';

/** One agent_changes row to insert. */
export interface ChangeRow {
  tenantId: string;
  sourceId: string;
  position: string;
  ordinal: number;
  agent: string;
  layer: SegmentLayer;
  /** '' outside AGENT_STATE; for an unmapped PortSIP queue, the queue id. */
  queue: string;
  /** The PortSIP queue id the change named its queue by (the queue is relabelled from it). */
  queueId: string | null;
  state: string;
  callId: string | null;
  at: Date;
}

/** One timeline of one agent. */
export interface TimelineKey {
  tenantId: string;
  agent: string;
  layer: SegmentLayer;
  /** '' outside AGENT_STATE. */
  queue: string;
}

/** A timeline and an instant (the earliest changed one, or the start of its re-fold window). */
export type TimelineAt = TimelineKey & { at: Date };

/** One agent of one tenant. */
export interface AgentKey {
  tenantId: string;
  agent: string;
}

export const timelineKey = (k: TimelineKey): string => `${k.tenantId}\u0000${k.agent}\u0000${k.layer}\u0000${k.queue}`;
export const agentKey = (k: AgentKey): string => `${k.tenantId}\u0000${k.agent}`;

/** A PortSIP queue id → number statement of one queue_status event. */
export interface QueueLabelRow {
  tenantId: string;
  sourceId: string;
  queueId: string;
  queueNumber: string;
  learntAt: Date;
  position: string;
}

/**
 * Records queue id → number mappings (the latest statement, by (learnt_at, position), wins
 * whatever the arrival order) and relabels the stored changes that named a queue by an id whose
 * number is now known or different. Returns the timelines the moved changes left and entered,
 * each with its earliest moved change.
 */
export async function learnQueueLabels(client: PoolClient, labels: readonly QueueLabelRow[]): Promise<TimelineAt[]> {
  if (labels.length === 0) return [];
  const { rows: learnt } = await client.query<{ tenant_id: string; source_id: string; queue_id: string }>(
    `INSERT INTO agent_queue_labels AS l (tenant_id, source_id, queue_id, queue_number, learnt_at, position)
     SELECT DISTINCT ON (tenant_id, source_id, queue_id) tenant_id, source_id, queue_id, queue_number, learnt_at, position
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[])
       AS m(tenant_id, source_id, queue_id, queue_number, learnt_at, position)
     ORDER BY tenant_id, source_id, queue_id, learnt_at DESC, position DESC
     ON CONFLICT (tenant_id, source_id, queue_id) DO UPDATE
       SET queue_number = excluded.queue_number, learnt_at = excluded.learnt_at, position = excluded.position
       WHERE (excluded.learnt_at, excluded.position) > (l.learnt_at, l.position)
     RETURNING l.tenant_id, l.source_id, l.queue_id`,
    [
      labels.map((l) => l.tenantId),
      labels.map((l) => l.sourceId),
      labels.map((l) => l.queueId),
      labels.map((l) => l.queueNumber),
      labels.map((l) => l.learntAt),
      labels.map((l) => l.position),
    ],
  );
  if (learnt.length === 0) return [];
  const { rows } = await client.query<{
    tenant_id: string;
    agent: string;
    layer: SegmentLayer;
    queue: string;
    at: Date;
  }>(
    `WITH moved AS (
       SELECT c.tenant_id, c.position, c.ordinal, c.queue AS old_queue, l.queue_number AS new_queue
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, queue_id)
       JOIN agent_queue_labels l ON l.tenant_id = k.tenant_id AND l.source_id = k.source_id AND l.queue_id = k.queue_id
       JOIN agent_changes c ON c.tenant_id = k.tenant_id AND c.source_id = k.source_id AND c.queue_id = k.queue_id
       WHERE c.queue <> l.queue_number
     ), updated AS (
       UPDATE agent_changes c SET queue = m.new_queue
       FROM moved m
       WHERE c.tenant_id = m.tenant_id AND c.position = m.position AND c.ordinal = m.ordinal
       RETURNING c.tenant_id, c.agent, c.layer, m.old_queue, m.new_queue, c.at
     )
     SELECT tenant_id, agent, layer, old_queue AS queue, min(at) AS at FROM updated GROUP BY 1, 2, 3, 4
     UNION ALL
     SELECT tenant_id, agent, layer, new_queue AS queue, min(at) AS at FROM updated GROUP BY 1, 2, 3, 4`,
    [learnt.map((l) => l.tenant_id), learnt.map((l) => l.source_id), learnt.map((l) => l.queue_id)],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, agent: r.agent, layer: r.layer, queue: r.queue, at: r.at }));
}

/** A change insertChanges stored (with the queue it was stored under). */
export type InsertedChange = AgentKey & { change: StateChange };

/**
 * Inserts changes (a change already stored — the same event applied again — is skipped), with an
 * unmapped queue id replaced by its number when known. Returns the changes it stored.
 */
export async function insertChanges(client: PoolClient, changes: readonly ChangeRow[]): Promise<InsertedChange[]> {
  if (changes.length === 0) return [];
  const { rows } = await client.query<{
    tenant_id: string;
    agent: string;
    layer: SegmentLayer;
    queue: string;
    state: string;
    call_id: string | null;
    at_ms: number;
  }>(
    `WITH inserted AS (
       INSERT INTO agent_changes (tenant_id, source_id, position, ordinal, agent, layer, queue, queue_id, state, call_id, at)
       SELECT i.tenant_id, i.source_id, i.position, i.ordinal, i.agent, i.layer,
              CASE WHEN i.queue_id IS NULL THEN i.queue ELSE coalesce(l.queue_number, i.queue) END,
              i.queue_id, i.state, i.call_id, i.at
       FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::timestamptz[])
         AS i(tenant_id, source_id, position, ordinal, agent, layer, queue, queue_id, state, call_id, at)
       LEFT JOIN agent_queue_labels l
         ON l.tenant_id = i.tenant_id AND l.source_id = i.source_id AND l.queue_id = i.queue_id
       ON CONFLICT (tenant_id, position, ordinal) DO NOTHING
       RETURNING tenant_id, agent, layer, queue, state, call_id, at
     ), latest AS (
       -- Runs to completion although nothing reads it (a data-modifying WITH always does).
       INSERT INTO agent_latest_changes AS l (tenant_id, agent, at)
       SELECT tenant_id, agent, max(at) FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
       ON CONFLICT (tenant_id, agent) DO UPDATE SET at = excluded.at WHERE excluded.at > l.at
     )
     SELECT tenant_id, agent, layer, queue, state, call_id, ${epochMsSql('at')} AS at_ms FROM inserted`,
    [
      changes.map((c) => c.tenantId),
      changes.map((c) => c.sourceId),
      changes.map((c) => c.position),
      changes.map((c) => c.ordinal),
      changes.map((c) => c.agent),
      changes.map((c) => c.layer),
      changes.map((c) => c.queue),
      changes.map((c) => c.queueId),
      changes.map((c) => c.state),
      changes.map((c) => c.callId),
      changes.map((c) => c.at),
    ],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    agent: r.agent,
    change: {
      layer: r.layer,
      queue: r.layer === 'AGENT_STATE' ? r.queue : null,
      state: r.state,
      callId: r.call_id,
      at: new Date(r.at_ms),
    },
  }));
}

/** The latest change time of each agent (undefined for agents without changes), as insertChanges keeps it. */
export async function latestChanges(client: PoolClient, agents: readonly AgentKey[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (agents.length === 0) return out;
  const { rows } = await client.query<{ tenant_id: string; agent: string; at: Date | null }>(
    `SELECT k.tenant_id, k.agent,
            (SELECT l.at FROM agent_latest_changes l WHERE l.tenant_id = k.tenant_id AND l.agent = k.agent) AS at
     FROM unnest($1::uuid[], $2::text[]) AS k(tenant_id, agent)`,
    [agents.map((a) => a.tenantId), agents.map((a) => a.agent)],
  );
  for (const r of rows) if (r.at !== null) out.set(agentKey({ tenantId: r.tenant_id, agent: r.agent }), r.at);
  return out;
}

/**
 * Where each timeline's re-fold must start so that folding only the changes from there on gives
 * what a fold of the whole history gives (see AgentTimelineProjection):
 * - REGISTRATION, PRESENCE, AGENT_STATE: the start of the segment still open just before the
 *   earliest changed instant T (a segment ending at T is closed by a change at T), else T. The
 *   fold's whole memory there is that one open segment, and re-folding from its first change
 *   rebuilds it exactly (including the call id it adopted).
 * - CALL: the fold also remembers every call in progress, so it walks back over contiguous
 *   segments to the last instant at which the layer was empty (no call in progress), else T.
 * Segments of one timeline never overlap, so "open just before r" is the latest segment that
 * started before r, when it has not ended before r.
 */
export async function refoldWindows(client: PoolClient, timelines: readonly TimelineAt[]): Promise<TimelineAt[]> {
  if (timelines.length === 0) return [];
  const { rows } = await client.query<{ i: string; start: Date }>(
    `SELECT k.i, w.start
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
       WITH ORDINALITY AS k(tenant_id, agent, layer, queue, t, i)
     CROSS JOIN LATERAL (
       WITH RECURSIVE back(start, depth) AS (
         SELECT k.t, 0
         UNION ALL
         SELECT prev.started_at, back.depth + 1
         FROM back
         CROSS JOIN LATERAL (
           SELECT s.started_at, s.ended_at FROM agent_segments s
           WHERE s.tenant_id = k.tenant_id AND s.agent = k.agent AND s.layer = k.layer AND s.queue = k.queue
             AND s.started_at < back.start
           ORDER BY s.started_at DESC, s.ordinal DESC LIMIT 1
         ) prev
         WHERE (prev.ended_at IS NULL OR prev.ended_at >= back.start) AND (k.layer = 'CALL' OR back.depth = 0)
       )
       SELECT min(start) AS start FROM back
     ) w
     ORDER BY k.i`,
    [
      timelines.map((t) => t.tenantId),
      timelines.map((t) => t.agent),
      timelines.map((t) => t.layer),
      timelines.map((t) => t.queue),
      timelines.map((t) => t.at),
    ],
  );
  return rows.map((r) => ({ ...timelines[Number(r.i) - 1], at: r.start }));
}

/** The changes of each timeline from its window start on, per agent, as foldSegments takes them. */
export async function loadChanges(
  client: PoolClient,
  windows: readonly TimelineAt[],
): Promise<Map<string, { key: AgentKey; changes: StateChange[] }>> {
  const { rows } = await client.query<{
    tenant_id: string;
    agent: string;
    layer: SegmentLayer;
    queue: string;
    state: string;
    call_id: string | null;
    at_ms: number;
  }>(
    // LATERAL: an index range per window whatever the statistics say (during a catch-up they lag
    // the table's growth, and a join would then be planned as a scan of all of agent_changes).
    `SELECT w.tenant_id, w.agent, w.layer, w.queue, c.state, c.call_id, ${epochMsSql('c.at')} AS at_ms
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS w(tenant_id, agent, layer, queue, start)
     CROSS JOIN LATERAL (
       SELECT c.state, c.call_id, c.at FROM agent_changes c
       WHERE c.tenant_id = w.tenant_id AND c.agent = w.agent AND c.layer = w.layer AND c.queue = w.queue
         AND c.at >= w.start
     ) c`,
    [
      windows.map((t) => t.tenantId),
      windows.map((t) => t.agent),
      windows.map((t) => t.layer),
      windows.map((t) => t.queue),
      windows.map((t) => t.at),
    ],
  );
  const out = new Map<string, { key: AgentKey; changes: StateChange[] }>();
  for (const r of rows) {
    const key = { tenantId: r.tenant_id, agent: r.agent };
    const k = agentKey(key);
    const entry = out.get(k) ?? out.set(k, { key, changes: [] }).get(k)!;
    entry.changes.push({
      layer: r.layer,
      queue: r.layer === 'AGENT_STATE' ? r.queue : null,
      state: r.state,
      callId: r.call_id,
      at: new Date(r.at_ms),
    });
  }
  return out;
}

/** A folded segment with its tenant and its ordinal (see segmentOrdinals). */
export interface SegmentRow {
  tenantId: string;
  ordinal: number;
  segment: AgentSegment;
}

/**
 * Replaces each timeline's segments from its window start on with `rows` (which must all start at
 * or after their timeline's window start). Returns the call ids of the CALL segments removed or
 * written, per agent: an earlier ring of one of those calls may have a new verdict.
 *
 * `stored[i]`, when given, is every segment window i's timeline has stored from its start on (the
 * projection's memory): only what differs is then written — a re-fold mostly gives back the rows
 * already there, and deleting and re-inserting them cost index entries and dead rows. Without it
 * the window's rows are deleted and the new ones inserted.
 */
export async function replaceSegments(
  client: PoolClient,
  windows: readonly TimelineAt[],
  rows: readonly SegmentRow[],
  stored: ReadonlyArray<readonly KeyedSegment[] | undefined> = [],
): Promise<Map<string, Set<string>>> {
  const calls = new Map<string, Set<string>>();
  const note = (tenantId: string, agent: string, callId: string | null) => {
    if (callId === null) return;
    const k = agentKey({ tenantId, agent });
    (calls.get(k) ?? calls.set(k, new Set()).get(k)!).add(callId);
  };
  for (const { tenantId, segment: s } of rows) if (s.layer === 'CALL') note(tenantId, s.agent, s.callId);

  const byTimeline = new Map<string, SegmentRow[]>();
  for (const r of rows) {
    const k = timelineKey({
      tenantId: r.tenantId,
      agent: r.segment.agent,
      layer: r.segment.layer,
      queue: r.segment.queue ?? '',
    });
    (byTimeline.get(k) ?? byTimeline.set(k, []).get(k)!).push(r);
  }
  const cleared: TimelineAt[] = [];
  const removed: SegmentRow[] = [];
  const written: SegmentRow[] = [];
  windows.forEach((w, i) => {
    const fresh = byTimeline.get(timelineKey(w)) ?? [];
    const before = stored[i];
    if (!before) {
      cleared.push(w);
      written.push(...fresh);
      return;
    }
    const old = new Map(before.map((s) => [`${s.segment.startedAt.getTime()}/${s.ordinal}`, s]));
    for (const s of before) if (s.segment.layer === 'CALL') note(w.tenantId, w.agent, s.segment.callId);
    for (const r of fresh) {
      const k = `${r.segment.startedAt.getTime()}/${r.ordinal}`;
      const was = old.get(k);
      old.delete(k);
      if (!was || !sameSegment(was.segment, r.segment)) written.push(r);
    }
    for (const { segment, ordinal } of old.values()) removed.push({ tenantId: w.tenantId, segment, ordinal });
  });

  if (cleared.length) {
    const { rows: deleted } = await client.query<{ tenant_id: string; agent: string; call_id: string | null }>(
      `DELETE FROM agent_segments s
       USING unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS w(tenant_id, agent, layer, queue, start)
       WHERE s.tenant_id = w.tenant_id AND s.agent = w.agent AND s.layer = w.layer AND s.queue = w.queue
         AND s.started_at >= w.start
       RETURNING s.tenant_id, s.agent, CASE WHEN s.layer = 'CALL' THEN s.call_id END AS call_id`,
      [
        cleared.map((t) => t.tenantId),
        cleared.map((t) => t.agent),
        cleared.map((t) => t.layer),
        cleared.map((t) => t.queue),
        cleared.map((t) => t.at),
      ],
    );
    for (const r of deleted) note(r.tenant_id, r.agent, r.call_id);
  }
  if (removed.length) {
    await client.query(
      `DELETE FROM agent_segments s
       USING unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[])
         AS k(tenant_id, agent, layer, queue, started_at, ordinal)
       WHERE s.tenant_id = k.tenant_id AND s.agent = k.agent AND s.layer = k.layer AND s.queue = k.queue
         AND s.started_at = k.started_at AND s.ordinal = k.ordinal`,
      segmentKeyColumns(removed),
    );
  }
  if (written.length === 0) return calls;
  await client.query(
    `INSERT INTO agent_segments (tenant_id, agent, layer, queue, started_at, ordinal, state, call_id, ended_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::text[],
                          $8::text[], $9::timestamptz[])
     ON CONFLICT (tenant_id, agent, layer, queue, started_at, ordinal) DO UPDATE
       SET state = excluded.state, call_id = excluded.call_id, ended_at = excluded.ended_at`,
    [
      ...segmentKeyColumns(written),
      written.map((r) => r.segment.state),
      written.map((r) => r.segment.callId),
      written.map((r) => r.segment.endedAt),
    ],
  );
  return calls;
}

/** The key columns of agent_segments rows (tenant, agent, layer, queue, start, ordinal), as arrays for unnest. */
const segmentKeyColumns = (rows: readonly SegmentRow[]): unknown[][] => [
  rows.map((r) => r.tenantId),
  rows.map((r) => r.segment.agent),
  rows.map((r) => r.segment.layer),
  rows.map((r) => r.segment.queue ?? ''),
  rows.map((r) => r.segment.startedAt),
  rows.map((r) => r.ordinal),
];

const sameSegment = (a: AgentSegment, b: AgentSegment): boolean =>
  a.state === b.state && a.callId === b.callId && (a.endedAt?.getTime() ?? null) === (b.endedAt?.getTime() ?? null);

/** The start of the earliest ring of each agent before `before` that belongs to one of `calls`. */
export async function earliestRings(
  client: PoolClient,
  agents: ReadonlyArray<AgentKey & { before: Date; calls: readonly string[] }>,
): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  const asked = agents.filter((a) => a.calls.length > 0);
  if (asked.length === 0) return out;
  const { rows } = await client.query<{ tenant_id: string; agent: string; at: Date }>(
    // One index probe per (agent, call) on agent_segments_call_idx (its partial predicate stated,
    // so the planner can use it): a join of the whole key list let it scan the table instead.
    `SELECT k.tenant_id, k.agent, min(r.started_at) AS at
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS k(tenant_id, agent, before, call_id)
     CROSS JOIN LATERAL (
       SELECT s.started_at FROM agent_segments s
       WHERE s.tenant_id = k.tenant_id AND s.agent = k.agent AND s.call_id = k.call_id AND s.call_id IS NOT NULL
         AND s.started_at < k.before AND s.layer = 'CALL' AND s.state = 'RINGING'
       ORDER BY s.started_at LIMIT 1
     ) r
     GROUP BY 1, 2`,
    [
      asked.flatMap((a) => a.calls.map(() => a.tenantId)),
      asked.flatMap((a) => a.calls.map(() => a.agent)),
      asked.flatMap((a) => a.calls.map(() => a.before)),
      asked.flatMap((a) => [...a.calls]),
    ],
  );
  for (const r of rows) out.set(agentKey({ tenantId: r.tenant_id, agent: r.agent }), r.at);
  return out;
}

/**
 * The segments agentBucketRows needs for an agent from `from` on: every segment that reaches
 * `from` or later (open ones included), plus the agent's first AGENT_STATE segment.
 */
export async function loadSegmentsFrom(
  client: PoolClient,
  agents: ReadonlyArray<AgentKey & { from: Date }>,
): Promise<Map<string, KeyedSegment[]>> {
  const out = new Map<string, KeyedSegment[]>();
  if (agents.length === 0) return out;
  const { rows } = await client.query<{
    tenant_id: string;
    agent: string;
    layer: SegmentLayer;
    queue: string;
    ordinal: number;
    state: string;
    call_id: string | null;
    started_ms: number;
    ended_ms: number | null;
  }>(
    `SELECT s.tenant_id, s.agent, s.layer, s.queue, s.ordinal, s.state, s.call_id, ${epochMsSql('s.started_at')} AS started_ms,
            ${epochMsSql('s.ended_at')} AS ended_ms
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(tenant_id, agent, from_at)
     CROSS JOIN LATERAL (
       SELECT * FROM agent_segments_reaching(k.tenant_id, k.agent, k.from_at, NULL)
       UNION
       (SELECT * FROM agent_segments s
        WHERE s.tenant_id = k.tenant_id AND s.agent = k.agent AND s.layer = 'AGENT_STATE'
        ORDER BY s.started_at LIMIT 1)
     ) s`,
    [agents.map((a) => a.tenantId), agents.map((a) => a.agent), agents.map((a) => a.from)],
  );
  for (const r of rows) {
    const k = agentKey({ tenantId: r.tenant_id, agent: r.agent });
    (out.get(k) ?? out.set(k, []).get(k)!).push({
      ordinal: r.ordinal,
      segment: {
        agent: r.agent,
        layer: r.layer,
        queue: r.layer === 'AGENT_STATE' ? r.queue : null,
        state: r.state,
        callId: r.call_id,
        startedAt: new Date(r.started_ms),
        endedAt: r.ended_ms === null ? null : new Date(r.ended_ms),
      },
    });
  }
  return out;
}

/** Replaces each agent's interval rows from its `from` bucket on. */
export async function replaceIntervalStats(
  client: PoolClient,
  agents: ReadonlyArray<AgentKey & { from: Date; rows: readonly AgentBucketRow[] }>,
): Promise<void> {
  if (agents.length === 0) return;
  await client.query(
    `DELETE FROM agent_interval_stats s
     USING unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(tenant_id, agent, from_at)
     WHERE s.tenant_id = k.tenant_id AND s.agent = k.agent AND s.bucket_start >= k.from_at`,
    [agents.map((a) => a.tenantId), agents.map((a) => a.agent), agents.map((a) => a.from)],
  );
  const rows = agents.flatMap((a) => a.rows.map((r) => ({ a, r })));
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO agent_interval_stats (tenant_id, agent, bucket_start, logged_in, ready, not_ready, wrap_up, ring, talk,
                                       hold, idle_ready, calls_answered, calls_missed)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::int[], $6::int[], $7::int[],
                          $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[])`,
    [
      rows.map(({ a }) => a.tenantId),
      rows.map(({ a }) => a.agent),
      rows.map(({ r }) => r.bucketStart),
      rows.map(({ r }) => r.loggedInSeconds),
      rows.map(({ r }) => r.readySeconds),
      rows.map(({ r }) => r.notReadySeconds),
      rows.map(({ r }) => r.wrapUpSeconds),
      rows.map(({ r }) => r.ringSeconds),
      rows.map(({ r }) => r.talkSeconds),
      rows.map(({ r }) => r.holdSeconds),
      rows.map(({ r }) => r.idleReadySeconds),
      rows.map(({ r }) => r.callsAnswered),
      rows.map(({ r }) => r.callsMissed),
    ],
  );
}

import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';
import { BatchInfo, Projection } from '../runner/projection';
import { mayYieldAgentChanges, statedQueueMapping, unmappedQueueId } from './agent-event-types';
import { agentContexts, loadPayloads } from './agent-events.reader';
import { agentBucketRows, segmentOrdinals } from './agent-rows';
import { agentChanges, foldSegments } from './agent-segments.reducer';
import { quarterHourStart } from './agent-stats';
import {
  AgentKey,
  ChangeRow,
  QueueLabelRow,
  SegmentRow,
  TimelineAt,
  agentKey,
  earliestRings,
  insertChanges,
  latestChanges,
  learnQueueLabels,
  loadChanges,
  loadSegmentsFrom,
  refoldWindows,
  replaceIntervalStats,
  replaceSegments,
  timelineKey,
} from './agent-timeline.writer';

/**
 * Agent segments and 15-minute agent stats (METRICS.md "Agents").
 *
 * Per batch:
 * 1. Events that can speak of agents (by vendor and type) are loaded and turned into state
 *    changes with agentChanges; each change is stored once in agent_changes, keyed by (event
 *    position, ordinal), so a replayed or duplicated event adds nothing. PortSIP changes that name
 *    a queue only by its id keep the id and are relabelled when a queue_status maps it.
 * 2. Each timeline (agent, layer, queue) that got a new or relabelled change is re-folded from a
 *    bounded window — not from the start of the agent's history — and its segments from the
 *    window start on are replaced (see refoldWindows: the window starts where the fold's state
 *    is known exactly, so the result equals a fold of all the agent's changes).
 * 3. The agent's 15-minute buckets are recomputed from the earliest of: the earliest window, the
 *    agent's previous latest change (open segments grow up to the new one), and any earlier ring
 *    of a call whose later segments changed (its answered/missed verdict may change).
 *
 * Open segments count up to the agent's latest change (any layer): the stats are a function of
 * the stored events only, never of the clock, so a rebuild gives the same rows. The time since an
 * agent's last event is counted when its next event arrives.
 */
export class AgentTimelineProjection implements Projection {
  readonly name = 'agent-timeline';
  readonly tables = [
    'agent_interval_stats',
    'agent_segments',
    'agent_changes',
    'agent_latest_changes',
    'agent_queue_labels',
  ];
  /** Most events may yield agent changes: reading their payloads with the batch beats one probe each. */
  readonly wantsPayloads = true;

  async apply(client: PoolClient, events: readonly StoredEvent[], _now?: Date, batch?: BatchInfo): Promise<void> {
    const wanted = events.filter((e) => mayYieldAgentChanges(e.vendor, e.type));
    if (wanted.length === 0) return;
    const loaded = await loadPayloads(client, wanted, batch);
    const contexts = await agentContexts(
      client,
      loaded.map((e) => e.sourceId),
    );

    const labels: QueueLabelRow[] = [];
    const changes: ChangeRow[] = [];
    for (const e of loaded) {
      const ctx = contexts.get(e.sourceId);
      if (!ctx) continue;
      const mapping = statedQueueMapping(e.vendor, e.type, e.payload);
      if (mapping) {
        labels.push({
          tenantId: e.tenantId,
          sourceId: e.sourceId,
          ...mapping,
          learntAt: e.occurredAt ?? e.receivedAt,
          position: e.position,
        });
      }
      const queueId = unmappedQueueId(e.vendor, e.type, e.payload);
      agentChanges(e, ctx).forEach((c, ordinal) => {
        changes.push({
          tenantId: e.tenantId,
          sourceId: e.sourceId,
          position: e.position,
          ordinal,
          agent: c.agent,
          layer: c.layer,
          queue: c.queue ?? '',
          queueId: c.layer === 'AGENT_STATE' && queueId !== null && c.queue === queueId ? queueId : null,
          state: c.state,
          callId: c.callId,
          at: c.at,
        });
      });
    }

    // Before anything is written: where each agent's stats stopped (the open tail grows from there).
    const previousUntil = await latestChanges(client, uniqueAgents(changes));
    const touched = earliestPerTimeline([
      ...(await learnQueueLabels(client, labels)),
      ...(await insertChanges(client, changes)),
    ]);
    if (touched.length === 0) return;
    await refoldTimelines(client, touched, previousUntil);
  }
}

/** Re-folds timelines from their earliest changed instants and recomputes the affected buckets. */
async function refoldTimelines(
  client: PoolClient,
  touched: readonly TimelineAt[],
  previousUntil: ReadonlyMap<string, Date>,
): Promise<void> {
  const windows = await refoldWindows(client, touched);
  const segments: SegmentRow[] = [];
  for (const { key, changes } of (await loadChanges(client, windows)).values()) {
    const folded = foldSegments(key.agent, changes);
    const ordinals = segmentOrdinals(folded);
    folded.forEach((segment, i) => segments.push({ tenantId: key.tenantId, ordinal: ordinals[i], segment }));
  }
  const callsByAgent = await replaceSegments(client, windows, segments);

  const firstWindow = new Map<string, AgentKey & { at: Date }>();
  for (const w of windows) {
    const k = agentKey(w);
    const seen = firstWindow.get(k);
    if (!seen || w.at < seen.at) firstWindow.set(k, { tenantId: w.tenantId, agent: w.agent, at: w.at });
  }
  const agents = [...firstWindow.values()];
  const rings = await earliestRings(
    client,
    agents.map((a) => ({ ...a, before: a.at, calls: [...(callsByAgent.get(agentKey(a)) ?? [])] })),
  );
  const from = agents.map((a) => {
    const k = agentKey(a);
    const candidates = [a.at, previousUntil.get(k), rings.get(k)].filter((d): d is Date => d !== undefined);
    return {
      tenantId: a.tenantId,
      agent: a.agent,
      from: quarterHourStart(new Date(Math.min(...candidates.map(Number)))),
    };
  });
  const until = await latestChanges(client, agents);
  const loaded = await loadSegmentsFrom(client, from);
  await replaceIntervalStats(
    client,
    from.map((a) => {
      const k = agentKey(a);
      const end = until.get(k);
      return { ...a, rows: end === undefined ? [] : agentBucketRows(loaded.get(k) ?? [], a.from, end) };
    }),
  );
}

function uniqueAgents(changes: readonly ChangeRow[]): AgentKey[] {
  const out = new Map<string, AgentKey>();
  for (const c of changes) out.set(agentKey(c), { tenantId: c.tenantId, agent: c.agent });
  return [...out.values()];
}

function earliestPerTimeline(items: readonly TimelineAt[]): TimelineAt[] {
  const out = new Map<string, TimelineAt>();
  for (const t of items) {
    const k = timelineKey(t);
    const seen = out.get(k);
    if (!seen || t.at < seen.at) out.set(k, t);
  }
  return [...out.values()];
}

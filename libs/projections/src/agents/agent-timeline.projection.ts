import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';
import { PartitionMemories, PartitionMemory } from '../runner/partition-memory';
import { BatchInfo, Projection } from '../runner/projection';
import {
  AgentMemory,
  KeyedSegment,
  addChanges,
  agentRows,
  changesFrom,
  copyAgent,
  emptyAgent,
  learnChanges,
  learnSegments,
  refoldStart,
  replaceTimeline,
  segmentsReaching,
  storedFrom,
  timelineOf,
  trimAgent,
  unknownAgent,
} from './agent-memory';
import { mayYieldAgentChanges, statedQueueMapping, unmappedQueueId } from './agent-event-types';
import { agentContexts, loadPayloads } from './agent-events.reader';
import { agentBucketRows, segmentOrdinals } from './agent-rows';
import { AgentSegment, SegmentLayer, StateChange, agentChanges, foldSegments } from './agent-segments.reducer';
import { quarterHourStart } from './agent-stats';
import {
  AgentKey,
  ChangeRow,
  InsertedChange,
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

/** Rows (changes and segments) remembered per projection instance, all partitions together. */
const MEMORY_ROWS = 200_000;
/** How far before an agent's latest change its memory reaches (older reads go to the database). */
const MEMORY_SPAN_MS = 2 * 3_600_000;
/** Past this many forgotten agents a partition's memory stops being `complete`. */
const MAX_FORGOTTEN = 100_000;

/** One batch's view of the agents it touches: copies of the remembered ones, changed as the batch writes. */
class BatchMemory {
  readonly agents = new Map<string, AgentMemory>();
  constructor(private readonly memory: PartitionMemory<AgentMemory> | undefined) {}

  get(k: string): AgentMemory {
    let m = this.agents.get(k);
    if (!m) {
      const remembered = this.memory?.entries.get(k);
      if (remembered) m = copyAgent(remembered);
      else if (this.memory?.knownAbsent(k)) m = emptyAgent();
      else m = unknownAgent();
      this.agents.set(k, m);
    }
    return m;
  }

  /** Relabelled changes moved between timelines: nothing remembered of the agent holds any more. */
  forget(k: string): void {
    const latest = this.get(k).latest;
    this.agents.set(k, { ...unknownAgent(), latest });
  }
}

/**
 * Agent segments and 15-minute agent stats (METRICS.md "Agents").
 *
 * Per batch:
 * 1. Events that can speak of agents (by vendor and type) are loaded and turned into state
 *    changes with agentChanges; each change is stored once in agent_changes, keyed by (event
 *    position, ordinal), so a replayed or duplicated event adds nothing, and a change that repeats
 *    one of the batch or one the memory knows is stored is left out (see withoutRepeats). PortSIP
 *    changes that name a queue only by its id keep the id and are relabelled when a queue_status
 *    maps it.
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
 *
 * Under the runner, the reads of steps 2 and 3 (windows, changes, segments, latest change) are
 * answered from a memory of each agent's recent rows (agent-memory.ts) kept per partition, with
 * the rules of call-sessions' memory: valid only for a batch that starts where the remembered one
 * ended, changed only once a batch has committed. What it cannot vouch for (an agent not seen
 * since the memory began mid-store, a late change older than what it keeps, a relabelled queue)
 * is read from the database as without it. Segments and stats are the same either way.
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
  /** Per partition, the recent rows of the agents it touched, by agentKey. */
  private readonly memories: PartitionMemories<AgentMemory>;
  /** Reads of the runner's batches answered from memory, and sent to the database. */
  readonly stats = { fromMemory: 0, fromDatabase: 0 };

  /** `memoryRows`: how many changes and segments to remember across partitions (0: none). */
  constructor(options: { memoryRows?: number } = {}) {
    const n = options.memoryRows ?? MEMORY_ROWS;
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`memoryRows must be a whole number >= 0, not ${n}`);
    this.memories = new PartitionMemories<AgentMemory>(n, agentRows, MAX_FORGOTTEN);
  }

  async apply(client: PoolClient, events: readonly StoredEvent[], _now?: Date, batch?: BatchInfo): Promise<void> {
    // Events applied outside the runner change rows behind every memory's back.
    if (!batch) this.memories.clear();
    const memory = batch && this.memories.for(batch);
    const view = new BatchMemory(memory);
    await this.applyWith(client, events, batch, view);
    if (!batch || !memory) return;
    // Once committed, the batch's agents replace their remembered selves, trimmed to their span.
    this.memories.commit(memory, batch, () => {
      for (const agent of view.agents.values()) {
        if (typeof agent.latest === 'number')
          trimAgent(agent, quarterHourStart(new Date(agent.latest - MEMORY_SPAN_MS)).getTime());
      }
      return view.agents;
    });
  }

  passedQuietly(batch: BatchInfo): void {
    this.memories.passedQuietly(batch);
  }

  private async applyWith(
    client: PoolClient,
    events: readonly StoredEvent[],
    batch: BatchInfo | undefined,
    view: BatchMemory,
  ): Promise<void> {
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
    const previousUntil = await this.latest(client, uniqueAgents(changes), view);
    const moved = await learnQueueLabels(client, labels);
    for (const m of moved) view.forget(agentKey(m));
    const inserted = await insertChanges(client, withoutRepeats(changes, view));
    const touched = earliestPerTimeline([...moved, ...remembered(inserted, view)]);
    if (touched.length === 0) return;
    await this.refoldTimelines(client, touched, previousUntil, view);
  }

  /** The latest change of each agent (as latestChanges), from memory where it knows. */
  private async latest(client: PoolClient, agents: readonly AgentKey[], view: BatchMemory): Promise<Map<string, Date>> {
    const out = new Map<string, Date>();
    const asked: AgentKey[] = [];
    for (const a of agents) {
      const latest = view.get(agentKey(a)).latest;
      if (latest === undefined) asked.push(a);
      else if (latest !== null) out.set(agentKey(a), new Date(latest));
    }
    this.count(agents.length - asked.length, asked.length);
    if (asked.length === 0) return out;
    const read = await latestChanges(client, asked);
    for (const a of asked) {
      const k = agentKey(a);
      const at = read.get(k);
      view.get(k).latest = at === undefined ? null : at.getTime();
      if (at !== undefined) out.set(k, at);
    }
    return out;
  }

  /** Re-folds timelines from their earliest changed instants and recomputes the affected buckets. */
  private async refoldTimelines(
    client: PoolClient,
    touched: readonly TimelineAt[],
    previousUntil: ReadonlyMap<string, Date>,
    view: BatchMemory,
  ): Promise<void> {
    const windows = await this.refoldWindows(client, touched, view);
    const segments: SegmentRow[] = [];
    const written = new Map<string, KeyedSegment[]>();
    for (const { key, changes } of (await this.loadChanges(client, windows, view)).values()) {
      const folded = foldSegments(key.agent, changes);
      const ordinals = segmentOrdinals(folded);
      folded.forEach((segment, i) => {
        segments.push({ tenantId: key.tenantId, ordinal: ordinals[i], segment });
        const k = timelineOfAgent(key, segment.layer, segment.queue);
        (written.get(k) ?? written.set(k, []).get(k)!).push({ ordinal: ordinals[i], segment });
      });
    }
    const callsByAgent = await replaceSegments(
      client,
      windows,
      segments,
      windows.map((w) => storedFrom(view.get(agentKey(w)), w.layer, w.queue, w.at.getTime())),
    );
    for (const w of windows) {
      const segs = written.get(timelineKey(w)) ?? [];
      replaceTimeline(view.get(agentKey(w)), w.layer, w.queue, w.at.getTime(), segs);
    }

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
    const until = await this.latest(client, agents, view);
    const loaded = await this.loadSegmentsFrom(client, from, view);
    await replaceIntervalStats(
      client,
      from.map((a) => {
        const k = agentKey(a);
        const end = until.get(k);
        return { ...a, rows: end === undefined ? [] : agentBucketRows(loaded.get(k) ?? [], a.from, end) };
      }),
    );
  }

  /** refoldWindows, from memory where it reaches back far enough. */
  private async refoldWindows(
    client: PoolClient,
    touched: readonly TimelineAt[],
    view: BatchMemory,
  ): Promise<TimelineAt[]> {
    const out = new Array<TimelineAt>(touched.length);
    const asked: number[] = [];
    touched.forEach((t, i) => {
      const start = refoldStart(view.get(agentKey(t)), t.layer, t.queue, t.at.getTime());
      if (start === undefined) asked.push(i);
      else out[i] = { ...t, at: new Date(start) };
    });
    this.count(touched.length - asked.length, asked.length);
    if (asked.length) {
      const read = await refoldWindows(
        client,
        asked.map((i) => touched[i]),
      );
      asked.forEach((i, j) => (out[i] = read[j]));
    }
    return out;
  }

  /** loadChanges, from memory where it holds the window; what is read is remembered. */
  private async loadChanges(
    client: PoolClient,
    windows: readonly TimelineAt[],
    view: BatchMemory,
  ): Promise<Map<string, { key: AgentKey; changes: StateChange[] }>> {
    const out = new Map<string, { key: AgentKey; changes: StateChange[] }>();
    const add = (key: AgentKey, changes: readonly StateChange[]) => {
      const k = agentKey(key);
      const entry =
        out.get(k) ?? out.set(k, { key: { tenantId: key.tenantId, agent: key.agent }, changes: [] }).get(k)!;
      for (const c of changes) entry.changes.push(c);
    };
    const asked: TimelineAt[] = [];
    for (const w of windows) {
      const remembered = changesFrom(view.get(agentKey(w)), w.layer, w.queue, w.at.getTime());
      if (remembered) add(w, remembered);
      else asked.push(w);
    }
    this.count(windows.length - asked.length, asked.length);
    if (asked.length === 0) return out;
    const read = await loadChanges(client, asked);
    const byTimeline = new Map<string, StateChange[]>();
    for (const { key, changes } of read.values()) {
      for (const c of changes) {
        const k = timelineOfAgent(key, c.layer, c.queue);
        (byTimeline.get(k) ?? byTimeline.set(k, []).get(k)!).push(c);
      }
    }
    for (const w of asked) {
      const changes = byTimeline.get(timelineKey(w)) ?? [];
      learnChanges(view.get(agentKey(w)), w.layer, w.queue, w.at.getTime(), changes);
      add(w, changes);
    }
    return out;
  }

  /** loadSegmentsFrom, from memory where it reaches back far enough; what is read is remembered. */
  private async loadSegmentsFrom(
    client: PoolClient,
    agents: ReadonlyArray<AgentKey & { from: Date }>,
    view: BatchMemory,
  ): Promise<Map<string, AgentSegment[]>> {
    const out = new Map<string, AgentSegment[]>();
    const asked: Array<AgentKey & { from: Date }> = [];
    for (const a of agents) {
      const remembered = segmentsReaching(view.get(agentKey(a)), a.from.getTime());
      if (remembered) out.set(agentKey(a), remembered);
      else asked.push(a);
    }
    this.count(agents.length - asked.length, asked.length);
    if (asked.length === 0) return out;
    const read = await loadSegmentsFrom(client, asked);
    for (const a of asked) {
      const k = agentKey(a);
      const loaded = read.get(k) ?? [];
      learnSegments(view.get(k), a.from.getTime(), loaded);
      out.set(
        k,
        loaded.map((s) => s.segment),
      );
    }
    return out;
  }

  private count(fromMemory: number, fromDatabase: number): void {
    this.stats.fromMemory += fromMemory;
    this.stats.fromDatabase += fromDatabase;
  }
}

/**
 * The changes worth storing: each once (PortSIP restates a target's ring, answer and end in every
 * later event of the call), and none the memory knows is stored already. The fold counts identical
 * changes once, so a repeat could only add a row; which of several identical ones is stored makes
 * no difference. Changes naming a queue by its PortSIP id are compared by id within the batch only
 * (the stored queue is relabelled later).
 */
function withoutRepeats(changes: readonly ChangeRow[], view: BatchMemory): ChangeRow[] {
  const seen = new Set<string>();
  const stored = new Map<string, Set<string> | null>();
  const storedKeys = (c: ChangeRow): Set<string> | null => {
    const k = timelineKey(c);
    let keys = stored.get(k);
    if (keys === undefined) {
      const t = view.get(agentKey(c)).changes.get(timelineOf(c.layer, c.queue));
      keys = t ? new Set(t.changes.map((x) => changeContent(x.state, x.callId, x.at.getTime()))) : null;
      stored.set(k, keys);
    }
    return keys;
  };
  return changes.filter((c) => {
    const content = changeContent(c.state, c.callId, c.at.getTime());
    const k = `${timelineKey(c)}\u0000${c.queueId ?? ''}\u0000${c.queueId === null ? 0 : 1}\u0000${content}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return c.queueId !== null || !storedKeys(c)?.has(content);
  });
}

const changeContent = (state: string, callId: string | null, at: number): string =>
  `${state}\u0000${callId === null ? '\u0001' : callId}\u0000${at}`;

/** The inserted changes join their agents' memories; returns each changed timeline with its earliest new change. */
function remembered(inserted: readonly InsertedChange[], view: BatchMemory): TimelineAt[] {
  const byTimeline = new Map<string, { t: TimelineAt; changes: StateChange[] }>();
  for (const { tenantId, agent, change } of inserted) {
    const queue = change.queue ?? '';
    const k = timelineKey({ tenantId, agent, layer: change.layer, queue });
    const seen = byTimeline.get(k);
    if (!seen)
      byTimeline.set(k, { t: { tenantId, agent, layer: change.layer, queue, at: change.at }, changes: [change] });
    else {
      seen.changes.push(change);
      if (change.at < seen.t.at) seen.t = { ...seen.t, at: change.at };
    }
  }
  for (const { t, changes } of byTimeline.values()) {
    const m = view.get(agentKey(t));
    addChanges(m, t.layer, t.queue, changes);
    const last = Math.max(...changes.map((c) => c.at.getTime()));
    if (m.latest !== undefined && (m.latest === null || last > m.latest)) m.latest = last;
  }
  return [...byTimeline.values()].map((v) => v.t);
}

/** timelineKey of an agent's timeline given by layer and queue (null: none). */
const timelineOfAgent = (a: AgentKey, layer: SegmentLayer, queue: string | null): string =>
  timelineKey({ tenantId: a.tenantId, agent: a.agent, layer, queue: queue ?? '' });

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

/**
 * What the agent-timeline projection remembers of one agent between the runner's batches: a copy
 * of the agent's stored rows recent enough to answer the projection's reads without PostgreSQL
 * (see AgentTimelineProjection, docs/projections.md "Memory between batches").
 *
 * Every part says how far back it is complete, and a read the memory cannot answer exactly (a
 * late event before that horizon, an agent never seen) goes to the database. Pure: no I/O.
 */
import type { AgentSegment, StateChange } from './agent-segments.reducer';

/** A stored segment with the ordinal that keys it among segments sharing its start. */
export interface KeyedSegment {
  ordinal: number;
  segment: AgentSegment;
}

/** The stored changes of one timeline from `from` (epoch ms) on, every one of them. */
export interface TimelineChanges {
  from: number;
  changes: StateChange[];
}

/** The remembered rows of one agent. */
export interface AgentMemory {
  /** agent_latest_changes.at in epoch ms; null: the agent has no change; undefined: unknown. */
  latest: number | null | undefined;
  /** Per timeline (timelineOf), its stored changes from some instant on. */
  changes: Map<string, TimelineChanges>;
  /** A timeline missing from `changes` has no stored change at or after this (Infinity: unknown). */
  changesFloor: number;
  /**
   * Every stored segment of the agent that reaches this instant (see reaches) is in `segments`
   * (others may be too). Infinity: nothing is known.
   */
  segmentsFrom: number;
  /** Per timeline, its segments in the key's order (startedAt, then ordinal). */
  segments: Map<string, KeyedSegment[]>;
  /** The agent's AGENT_STATE segment that starts first; null: none; undefined: unknown. */
  firstAgentState: AgentSegment | null | undefined;
}

/** The timeline key of a change or segment within its agent: layer and queue ('' outside AGENT_STATE). */
export const timelineOf = (layer: string, queue: string | null): string => `${layer}\u0000${queue ?? ''}`;

/** Nothing known: every read of the agent goes to the database. */
export const unknownAgent = (): AgentMemory => ({
  latest: undefined,
  changes: new Map(),
  changesFloor: Infinity,
  segmentsFrom: Infinity,
  segments: new Map(),
  firstAgentState: undefined,
});

/** An agent with no stored rows at all (known so when the memory began at the start of the store). */
export const emptyAgent = (): AgentMemory => ({
  latest: null,
  changes: new Map(),
  changesFloor: -Infinity,
  segmentsFrom: -Infinity,
  segments: new Map(),
  firstAgentState: null,
});

/** A copy a batch may change without touching the remembered one (rows themselves are never mutated). */
export function copyAgent(m: AgentMemory): AgentMemory {
  return {
    ...m,
    changes: new Map([...m.changes].map(([k, t]) => [k, { from: t.from, changes: [...t.changes] }])),
    segments: new Map([...m.segments].map(([k, s]) => [k, [...s]])),
  };
}

/** Whether a segment reaches `t`: it is open, ends at or after `t`, or starts at or after it. */
export const reaches = (s: AgentSegment, t: number): boolean =>
  s.endedAt === null || s.endedAt.getTime() >= t || s.startedAt.getTime() >= t;

const compareKeyed = (a: KeyedSegment, b: KeyedSegment): number =>
  a.segment.startedAt.getTime() - b.segment.startedAt.getTime() || a.ordinal - b.ordinal;

/** The timeline's latest segment starting before `t` (by start, then ordinal), if remembered. */
function latestBefore(segments: readonly KeyedSegment[] | undefined, t: number): KeyedSegment | undefined {
  if (!segments) return undefined;
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i].segment.startedAt.getTime() < t) return segments[i];
  return undefined;
}

/**
 * refoldWindows for one timeline from memory: the instant its re-fold must start from, given its
 * earliest changed instant `at`; undefined when the walk would need a segment older than the
 * memory holds. Each step asks for the latest segment starting before some instant x >= the
 * memory's horizon: one that ends before x stops the walk whether it is remembered or not.
 */
export function refoldStart(m: AgentMemory, layer: string, queue: string, at: number): number | undefined {
  const segments = m.segments.get(timelineOf(layer, queue));
  let start = at;
  for (let depth = 0; ; depth++) {
    if (layer !== 'CALL' && depth > 0) return start; // outside CALL one step back at most
    if (start < m.segmentsFrom) return undefined;
    const prev = latestBefore(segments, start);
    if (!prev) return start;
    const s = prev.segment;
    if (s.endedAt !== null && s.endedAt.getTime() < start) return start;
    start = s.startedAt.getTime();
  }
}

/** Every segment the timeline has stored from `start` on; undefined when the memory does not hold them all. */
export function storedFrom(m: AgentMemory, layer: string, queue: string, start: number): KeyedSegment[] | undefined {
  if (start < m.segmentsFrom) return undefined;
  return (m.segments.get(timelineOf(layer, queue)) ?? []).filter((s) => s.segment.startedAt.getTime() >= start);
}

/** loadChanges for one timeline from memory: its stored changes at or after `from`; undefined when unknown. */
export function changesFrom(m: AgentMemory, layer: string, queue: string, from: number): StateChange[] | undefined {
  const t = m.changes.get(timelineOf(layer, queue));
  if (!t) return m.changesFloor <= from ? [] : undefined;
  if (t.from > from) return undefined;
  return t.changes.filter((c) => c.at.getTime() >= from);
}

/** Stored changes joined the timeline (changes older than what is remembered of it stay out). */
export function addChanges(m: AgentMemory, layer: string, queue: string, added: readonly StateChange[]): void {
  const k = timelineOf(layer, queue);
  let t = m.changes.get(k);
  if (!t) {
    if (m.changesFloor === Infinity) return;
    t = { from: m.changesFloor, changes: [] };
    m.changes.set(k, t);
  }
  for (const c of added) if (c.at.getTime() >= t.from) t.changes.push(c);
}

/** The stored changes of a timeline from `from` on, read from the database: now remembered. */
export function learnChanges(m: AgentMemory, layer: string, queue: string, from: number, changes: StateChange[]): void {
  const k = timelineOf(layer, queue);
  const t = m.changes.get(k);
  if (t && t.from <= from) return; // already knows as much
  m.changes.set(k, { from, changes });
}

/**
 * replaceSegments for one timeline: its segments from `start` on are now `written`. The first
 * AGENT_STATE segment stays known when it provably is: untouched, or replaced by one no later.
 */
export function replaceTimeline(
  m: AgentMemory,
  layer: string,
  queue: string,
  start: number,
  written: readonly KeyedSegment[],
): void {
  const k = timelineOf(layer, queue);
  if (m.segmentsFrom !== Infinity) {
    const kept = (m.segments.get(k) ?? []).filter((s) => s.segment.startedAt.getTime() < start);
    const next = kept.concat(written).sort(compareKeyed);
    if (next.length) m.segments.set(k, next);
    else m.segments.delete(k);
  }
  if (layer !== 'AGENT_STATE' || m.firstAgentState === undefined) return;
  let first: AgentSegment | null = null;
  for (const { segment } of written) if (!first || segment.startedAt < first.startedAt) first = segment;
  const known = m.firstAgentState;
  if (first && (known === null || first.startedAt.getTime() <= known.startedAt.getTime())) {
    m.firstAgentState = first; // no AGENT_STATE segment starts earlier
  } else if (known !== null && timelineOf(known.layer, known.queue) === k && known.startedAt.getTime() >= start) {
    m.firstAgentState = undefined; // the first one is gone: which is first now, only the database knows
  }
}

/**
 * loadSegmentsFrom from memory: the agent's segments reaching `from`, plus its first AGENT_STATE
 * segment; undefined when the memory does not reach back that far.
 */
export function segmentsReaching(m: AgentMemory, from: number): AgentSegment[] | undefined {
  if (from < m.segmentsFrom || m.firstAgentState === undefined) return undefined;
  const out: AgentSegment[] = [];
  for (const list of m.segments.values()) {
    // As the database answers it: every segment starting at or after `from`, and of those
    // starting before it only the latest, when it reaches `from`.
    const before = latestBefore(list, from);
    if (before && reaches(before.segment, from)) out.push(before.segment);
    for (const s of list) if (s.segment.startedAt.getTime() >= from) out.push(s.segment);
  }
  const first = m.firstAgentState;
  if (first && !out.includes(first)) out.push(first);
  return out;
}

/** The agent's segments reaching `from`, read from the database (loadSegmentsFrom): now remembered. */
export function learnSegments(m: AgentMemory, from: number, loaded: readonly KeyedSegment[]): void {
  let first: AgentSegment | null = null;
  const segments = new Map<string, KeyedSegment[]>();
  for (const s of loaded) {
    if (s.segment.layer === 'AGENT_STATE' && (!first || s.segment.startedAt < first.startedAt)) first = s.segment;
    if (!reaches(s.segment, from)) continue; // the first AGENT_STATE segment, long closed
    const k = timelineOf(s.segment.layer, s.segment.queue);
    (segments.get(k) ?? segments.set(k, []).get(k)!).push(s);
  }
  for (const list of segments.values()) list.sort(compareKeyed);
  m.segments = segments;
  m.segmentsFrom = from;
  m.firstAgentState = first;
}

/**
 * Forgets what lies before `horizon` (epoch ms): the memory then answers reads from there on and
 * sends older ones to the database. Returns how many rows the agent still holds.
 */
export function trimAgent(m: AgentMemory, horizon: number): number {
  if (m.segmentsFrom < horizon) {
    m.segmentsFrom = horizon;
    for (const [k, list] of m.segments) {
      const kept = list.filter((s) => reaches(s.segment, horizon));
      if (kept.length) m.segments.set(k, kept);
      else m.segments.delete(k);
    }
  }
  if (m.changesFloor < horizon) m.changesFloor = horizon;
  for (const [k, t] of m.changes) {
    if (t.from < horizon) {
      t.from = horizon;
      t.changes = t.changes.filter((c) => c.at.getTime() >= horizon);
    }
    if (t.changes.length === 0 && t.from <= m.changesFloor) m.changes.delete(k);
  }
  return agentRows(m);
}

/** How many rows (changes and segments) the agent's memory holds. */
export function agentRows(m: AgentMemory): number {
  let rows = 0;
  for (const list of m.segments.values()) rows += list.length;
  for (const t of m.changes.values()) rows += t.changes.length;
  return rows;
}

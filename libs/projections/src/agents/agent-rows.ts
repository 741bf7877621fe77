/**
 * Pure helpers between the agent reducers and the agent tables: which 15-minute buckets a set of
 * segments fills (and with what sums), and the ordinal that keys segments sharing a start.
 */
import type { AgentSegment } from './agent-segments.reducer';
import { AgentIntervalSums, QUARTER_HOUR_MS, agentIntervalSums } from './agent-stats';

/** One stored agent_interval_stats row (without tenant and agent). */
export interface AgentBucketRow extends AgentIntervalSums {
  bucketStart: Date;
}

/**
 * The sums of every 15-minute UTC bucket at or after `from` that holds a piece of a segment,
 * with open segments (and everything else) cut at `until`. Buckets whose sums are all zero are
 * left out: the table stores activity only. `segments` must be ALL of the agent's segments that
 * reach `from` or later, plus its first AGENT_STATE segment (agentIntervalSums's loggedIn rule).
 */
export function agentBucketRows(segments: readonly AgentSegment[], from: Date, until: Date): AgentBucketRow[] {
  const starts = new Set<number>();
  for (const s of segments) addBucketStarts(starts, s, from.getTime(), until.getTime());
  const rows: AgentBucketRow[] = [];
  for (const t of [...starts].sort((a, b) => a - b)) {
    const sums = agentIntervalSums(segments, new Date(t), new Date(t + QUARTER_HOUR_MS), until);
    if (isEmpty(sums)) continue;
    rows.push({ bucketStart: new Date(t), ...sums });
  }
  return rows;
}

/**
 * Adds the starts of the 15-minute buckets at or after `from` that hold a piece of `segment` —
 * the intervalStart of each piece splitAtBorders(segment, QUARTER_HOURS, until) gives — without
 * making the pieces: a segment open for hours would otherwise be cut into dozens of pieces on
 * every batch only to be thrown away.
 */
export function addBucketStarts(starts: Set<number>, segment: AgentSegment, from: number, until: number): void {
  const start = segment.startedAt.getTime();
  const end = Math.min(segment.endedAt?.getTime() ?? until, until);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= until || end < start) return;
  const first = Math.floor(start / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  if (start === end) {
    if (first >= from) starts.add(first); // a zero-length segment: one zero-length piece
    return;
  }
  // Buckets from the one holding `start` while they begin before `end`, skipping those before `from`.
  const skip = from > first ? Math.ceil((from - first) / QUARTER_HOUR_MS) : 0;
  for (let t = first + skip * QUARTER_HOUR_MS; t < end; t += QUARTER_HOUR_MS) starts.add(t);
}

function isEmpty(s: AgentIntervalSums): boolean {
  return (
    s.loggedInSeconds === 0 &&
    s.readySeconds === 0 &&
    s.notReadySeconds === 0 &&
    s.wrapUpSeconds === 0 &&
    s.ringSeconds === 0 &&
    s.talkSeconds === 0 &&
    s.holdSeconds === 0 &&
    s.idleReadySeconds === 0 &&
    s.callsAnswered === 0 &&
    s.callsMissed === 0
  );
}

/**
 * Ordinal of each segment among the segments of its timeline (layer, queue) that start at the
 * same instant, in foldSegments' order (a zero-length segment before the one that follows it).
 * Together with (agent, layer, queue, startedAt) it is the segment's key.
 */
export function segmentOrdinals(segments: readonly AgentSegment[]): number[] {
  const seen = new Map<string, number>();
  return segments.map((s) => {
    const key = `${s.agent}\u0000${s.layer}\u0000${s.queue ?? ''}\u0000${s.startedAt.getTime()}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n;
  });
}

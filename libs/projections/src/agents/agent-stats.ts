/**
 * Per-interval agent accounting from the segments of foldSegments (METRICS.md "Agents").
 *
 * Pure: no clock. `until` is the instant open segments are cut at (the query's end, or now);
 * nothing is counted at or after it.
 *
 * - Segments are split at interval borders: the 15-minute UTC grid (every IANA offset, +05:30
 *   and +05:45 included, is a multiple of 15 minutes, so 15-minute pieces roll up into any
 *   zone's 30 min / hour / day / week / month), or an explicit list of interval starts.
 * - AGENT_STATE has one timeline per queue, but the figures are the agent's: at each instant the
 *   agent's state is its busiest queue state (QUEUE_CALL, OTHER_CALL, WRAP_UP, READY,
 *   NOT_READY, then LOGGED_OUT, OFFLINE), so an agent READY in two queues is ready once and
 *   ready + notReady + wrapUp + (queue/other call time) = loggedIn.
 * - loggedInSeconds: time in any AGENT_STATE other than LOGGED_OUT / OFFLINE. Before the agent's
 *   first AGENT_STATE segment (and for agents that have none) it is REGISTRATION ONLINE time,
 *   so an agent whose PBX starts reporting agent states is not "logged out" before that.
 * - ringSeconds / talkSeconds / holdSeconds: time in CALL RINGING / TALKING / HOLD. Talk here
 *   excludes hold (unlike a call's talkSeconds, which includes it), because occupancy adds both.
 * - occupancy = (talk + hold + wrapUp) / (talk + hold + wrapUp + idle ready), idle ready = READY
 *   time with no CALL segment (ringing is not idle); computed from the whole-second figures so
 *   that it can be re-derived from the row; null when the denominator is 0.
 * - callsAnswered / callsMissed: per RINGING segment (an offer), counted in the interval where it
 *   began. Answered when the next segment of the same call (same call id; for a ring without an
 *   id, the segment that starts where it ends) is TALKING or HOLD; missed when that is another
 *   RINGING (a re-offer) or nothing, once the ring has ended. A ring still open is neither yet.
 * - Seconds are summed in milliseconds and rounded half up once per figure.
 */
import type { AgentSegment } from './agent-segments.reducer';

/** Length of the base reporting interval. */
export const QUARTER_HOUR_MS = 900_000;

/** Interval borders: ascending interval starts (ms since epoch), or a grid step aligned to the epoch (UTC). */
export type IntervalBorders = readonly number[] | { readonly stepMs: number };

/** The 15-minute UTC grid. */
export const QUARTER_HOURS: IntervalBorders = Object.freeze({ stepMs: QUARTER_HOUR_MS });

/** A segment's part inside one interval, cut at `until`. */
export interface SegmentPiece extends AgentSegment {
  intervalStart: Date;
  endedAt: Date;
}

/** Start of the 15-minute UTC interval holding `at`. */
export function quarterHourStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / QUARTER_HOUR_MS) * QUARTER_HOUR_MS);
}

/**
 * Splits a segment at interval borders. An open segment (and any segment reaching past `until`)
 * is cut at `until`. With an explicit list, interval i is [borders[i], borders[i+1]) and the
 * last one runs to `until`; time before the first border belongs to no interval and is dropped.
 * A zero-length segment gives one zero-length piece (it still marks an offer or an answer).
 */
export function splitAtBorders(segment: AgentSegment, borders: IntervalBorders, until: Date): SegmentPiece[] {
  const start = segment.startedAt.getTime();
  const limit = until.getTime();
  const end = Math.min(segment.endedAt?.getTime() ?? limit, limit);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= limit || end < start) return [];
  const pieces: SegmentPiece[] = [];
  const piece = (intervalStart: number, from: number, to: number): void => {
    pieces.push({
      ...segment,
      intervalStart: new Date(intervalStart),
      startedAt: new Date(from),
      endedAt: new Date(to),
    });
  };
  if ('stepMs' in borders) {
    const step = borders.stepMs;
    if (!(step > 0)) return [];
    let from = start;
    let bucket = Math.floor(start / step) * step;
    do {
      const to = Math.min(end, bucket + step);
      piece(bucket, from, to);
      from = to;
      bucket += step;
    } while (from < end);
    return pieces;
  }
  const starts = [...new Set(borders.filter((b) => Number.isFinite(b)))].sort((a, b) => a - b);
  for (let i = 0; i < starts.length; i++) {
    const lo = starts[i];
    const hi = i + 1 < starts.length ? starts[i + 1] : Infinity;
    const from = Math.max(start, lo);
    const to = Math.min(end, hi);
    if (to > from || (start === end && start >= lo && start < hi)) piece(lo, from, to);
  }
  return pieces;
}

/** The agent's figures for one interval (CONTRACT.md AgentIntervalStats, without agent and start). */
export interface AgentIntervalFigures {
  loggedInSeconds: number;
  readySeconds: number;
  notReadySeconds: number;
  wrapUpSeconds: number;
  ringSeconds: number;
  talkSeconds: number;
  holdSeconds: number;
  callsAnswered: number;
  callsMissed: number;
  occupancy: number | null;
}

// The agent's state across its queues: the busiest queue state wins (see the header).
const AGENT_STATE_PRIORITY: Readonly<Record<string, number>> = {
  QUEUE_CALL: 7,
  OTHER_CALL: 6,
  WRAP_UP: 5,
  READY: 4,
  NOT_READY: 3,
  LOGGED_OUT: 1,
  OFFLINE: 0,
};
// An unknown state still means "logged in, doing something": between NOT_READY and LOGGED_OUT.
const UNKNOWN_AGENT_STATE_PRIORITY = 2;
const LOGGED_OUT_STATES: ReadonlySet<string> = new Set(['LOGGED_OUT', 'OFFLINE']);
// Only for overlapping CALL segments a caller might pass; foldSegments never makes them.
const CALL_PRIORITY: Readonly<Record<string, number>> = { TALKING: 3, RINGING: 2, HOLD: 1 };

interface Clipped {
  layer: AgentSegment['layer'];
  state: string;
  from: number;
  to: number;
}

/**
 * Figures of one agent for [intervalStart, intervalEnd), from ALL that agent's segments (the
 * first AGENT_STATE decides the loggedIn rule, and a ring's verdict looks at the segments after
 * it). Open segments are cut at `until` (default: intervalEnd).
 */
export function agentIntervalStats(
  segments: readonly AgentSegment[],
  intervalStart: Date,
  intervalEnd: Date,
  until: Date = intervalEnd,
): AgentIntervalFigures {
  const { idleReadySeconds: _idleReady, ...figures } = agentIntervalSums(segments, intervalStart, intervalEnd, until);
  return figures;
}

/** agentIntervalStats with the idle-ready seconds too: what a stored interval keeps so occupancy rolls up. */
export interface AgentIntervalSums extends AgentIntervalFigures {
  /** READY time with no CALL segment (occupancy's idle part). */
  idleReadySeconds: number;
}

/** agentIntervalStats plus idleReadySeconds (same arguments, same rules). */
export function agentIntervalSums(
  segments: readonly AgentSegment[],
  intervalStart: Date,
  intervalEnd: Date,
  until: Date = intervalEnd,
): AgentIntervalSums {
  const from = intervalStart.getTime();
  const to = Math.min(intervalEnd.getTime(), until.getTime());
  const limit = until.getTime();

  const pieces: Clipped[] = [];
  let firstAgentState = Infinity;
  for (const s of segments) {
    const start = s.startedAt.getTime();
    if (s.layer === 'AGENT_STATE' && start < firstAgentState) firstAgentState = start;
    const a = Math.max(start, from);
    const b = Math.min(s.endedAt?.getTime() ?? limit, to);
    if (b > a) pieces.push({ layer: s.layer, state: s.state, from: a, to: b });
  }

  const cuts = [from, ...pieces.flatMap((p) => [p.from, p.to])];
  if (firstAgentState > from && firstAgentState < to) cuts.push(firstAgentState);
  const points = [...new Set(cuts.filter((t) => t >= from && t <= to))].sort((x, y) => x - y);

  const ms = { loggedIn: 0, ready: 0, notReady: 0, wrapUp: 0, ring: 0, talk: 0, hold: 0, idleReady: 0 };
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const here = pieces.filter((p) => p.from <= a && p.to >= b);
    const agentState = busiest(here, 'AGENT_STATE', (s) => AGENT_STATE_PRIORITY[s] ?? UNKNOWN_AGENT_STATE_PRIORITY);
    const call = busiest(here, 'CALL', (s) => CALL_PRIORITY[s] ?? 0);
    const registered = here.some((p) => p.layer === 'REGISTRATION' && p.state === 'ONLINE');
    const len = b - a;
    const loggedIn = a >= firstAgentState ? agentState !== null && !LOGGED_OUT_STATES.has(agentState) : registered;
    if (loggedIn) ms.loggedIn += len;
    if (agentState === 'READY') ms.ready += len;
    if (agentState === 'NOT_READY') ms.notReady += len;
    if (agentState === 'WRAP_UP') ms.wrapUp += len;
    if (agentState === 'READY' && call === null) ms.idleReady += len;
    if (call === 'RINGING') ms.ring += len;
    if (call === 'TALKING') ms.talk += len;
    if (call === 'HOLD') ms.hold += len;
  }

  const sec = (v: number): number => Math.round(v / 1000);
  const talkSeconds = sec(ms.talk);
  const holdSeconds = sec(ms.hold);
  const wrapUpSeconds = sec(ms.wrapUp);
  const busy = talkSeconds + holdSeconds + wrapUpSeconds;
  const idleReadySeconds = sec(ms.idleReady);
  const denominator = busy + idleReadySeconds;
  const calls = countOffers(segments, intervalStart.getTime(), intervalEnd.getTime(), limit);
  return {
    loggedInSeconds: sec(ms.loggedIn),
    readySeconds: sec(ms.ready),
    notReadySeconds: sec(ms.notReady),
    wrapUpSeconds,
    ringSeconds: sec(ms.ring),
    talkSeconds,
    holdSeconds,
    callsAnswered: calls.answered,
    callsMissed: calls.missed,
    occupancy: denominator === 0 ? null : busy / denominator,
    idleReadySeconds,
  };
}

function busiest(pieces: readonly Clipped[], layer: AgentSegment['layer'], rank: (s: string) => number): string | null {
  let best: string | null = null;
  for (const p of pieces) {
    if (p.layer !== layer) continue;
    if (best === null || rank(p.state) > rank(best) || (rank(p.state) === rank(best) && p.state < best)) best = p.state;
  }
  return best;
}

/** Whether an offer (a RINGING segment) was answered by this agent; null while it still rings. */
export function ringOutcome(ring: AgentSegment, segments: readonly AgentSegment[]): 'ANSWERED' | 'MISSED' | null {
  const start = ring.startedAt.getTime();
  const end = ring.endedAt?.getTime() ?? null;
  const sameCall = (s: AgentSegment): boolean =>
    (ring.callId !== null && s.callId === ring.callId) ||
    (end !== null && s.startedAt.getTime() === end && (ring.callId === null || s.callId === null));
  let next: AgentSegment | null = null;
  for (const s of segments) {
    if (s === ring || s.layer !== 'CALL' || s.startedAt.getTime() < start || !sameCall(s)) continue;
    // A zero-length ring and its answer share a start: the ring itself is not its own successor.
    if (s.state === 'RINGING' && s.startedAt.getTime() === start && s.endedAt?.getTime() === end) continue;
    // On a shared start the zero-length segment (a re-offer's ring) comes first, as in time.
    const earlier =
      next === null ||
      s.startedAt.getTime() < next.startedAt.getTime() ||
      (s.startedAt.getTime() === next.startedAt.getTime() &&
        (s.endedAt?.getTime() ?? Infinity) < (next.endedAt?.getTime() ?? Infinity));
    if (earlier) next = s;
  }
  if (next !== null && (next.state === 'TALKING' || next.state === 'HOLD')) return 'ANSWERED';
  if (next !== null) return 'MISSED';
  return end === null ? null : 'MISSED';
}

function countOffers(
  segments: readonly AgentSegment[],
  from: number,
  to: number,
  limit: number,
): { answered: number; missed: number } {
  let answered = 0;
  let missed = 0;
  for (const s of segments) {
    const start = s.startedAt.getTime();
    if (s.layer !== 'CALL' || s.state !== 'RINGING' || start < from || start >= to || start >= limit) continue;
    const outcome = ringOutcome(s, segments);
    if (outcome === 'ANSWERED') answered++;
    if (outcome === 'MISSED') missed++;
  }
  return { answered, missed };
}

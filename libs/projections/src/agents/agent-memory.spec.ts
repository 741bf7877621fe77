import {
  AgentMemory,
  KeyedSegment,
  addChanges,
  changesFrom,
  emptyAgent,
  learnChanges,
  learnSegments,
  refoldStart,
  replaceTimeline,
  segmentsReaching,
  timelineOf,
  trimAgent,
  unknownAgent,
} from './agent-memory';
import type { AgentSegment, SegmentLayer, StateChange } from './agent-segments.reducer';

const T = (hhmm: string) => new Date(`2026-03-02T${hhmm}:00Z`);
const ms = (hhmm: string) => T(hhmm).getTime();

const seg = (
  layer: SegmentLayer,
  state: string,
  start: string,
  end: string | null,
  opts: { queue?: string; callId?: string } = {},
): AgentSegment => ({
  agent: '101',
  layer,
  queue: layer === 'AGENT_STATE' ? (opts.queue ?? '8000') : null,
  state,
  callId: opts.callId ?? null,
  startedAt: T(start),
  endedAt: end === null ? null : T(end),
});
const keyed = (segment: AgentSegment, ordinal = 0): KeyedSegment => ({ ordinal, segment });
const change = (layer: SegmentLayer, state: string, at: string, callId: string | null = null): StateChange => ({
  layer,
  queue: layer === 'AGENT_STATE' ? '8000' : null,
  state,
  callId,
  at: T(at),
});

/** A memory that knows the agent's segments from `from` on. */
function withSegments(from: string, segments: AgentSegment[]): AgentMemory {
  const m = emptyAgent();
  learnSegments(
    m,
    ms(from),
    segments.map((s) => keyed(s)),
  );
  return m;
}

describe('agent memory', () => {
  describe('refoldStart (refoldWindows from memory)', () => {
    it('starts a state layer at the segment still open just before the change', () => {
      const m = withSegments('08:00', [
        seg('PRESENCE', 'ONLINE', '08:00', '09:00'),
        seg('PRESENCE', 'AWAY', '09:00', null),
      ]);
      expect(refoldStart(m, 'PRESENCE', '', ms('10:00'))).toBe(ms('09:00'));
      // A segment that ended before the change closes nothing: the fold starts at the change.
      const closed = withSegments('08:00', [seg('PRESENCE', 'ONLINE', '08:00', '09:00')]);
      expect(refoldStart(closed, 'PRESENCE', '', ms('10:00'))).toBe(ms('10:00'));
      // Outside CALL only one step back, whatever came before.
      expect(refoldStart(m, 'PRESENCE', '', ms('09:00'))).toBe(ms('08:00'));
    });

    it('walks CALL back over contiguous segments to the last instant without a call', () => {
      const m = withSegments('08:00', [
        seg('CALL', 'RINGING', '08:10', '08:11', { callId: 'a' }),
        seg('CALL', 'RINGING', '08:20', '08:21', { callId: 'b' }),
        seg('CALL', 'TALKING', '08:21', '08:25', { callId: 'b' }),
        seg('CALL', 'HOLD', '08:25', null, { callId: 'b' }),
      ]);
      expect(refoldStart(m, 'CALL', '', ms('08:30'))).toBe(ms('08:20'));
    });

    it('sends the walk to the database when it needs a segment older than the memory holds', () => {
      const m = withSegments('09:00', [seg('AGENT_STATE', 'READY', '08:00', null)]);
      // The open segment reaches the horizon, so the memory has it: one step, answered.
      expect(refoldStart(m, 'AGENT_STATE', '8000', ms('10:00'))).toBe(ms('08:00'));
      // A change before the horizon: unknown.
      expect(refoldStart(m, 'AGENT_STATE', '8000', ms('08:30'))).toBeUndefined();
      // CALL walking below the horizon: unknown.
      const calls = withSegments('09:00', [
        seg('CALL', 'RINGING', '08:50', '09:05', { callId: 'a' }),
        seg('CALL', 'TALKING', '09:05', null, { callId: 'a' }),
      ]);
      expect(refoldStart(calls, 'CALL', '', ms('09:30'))).toBeUndefined();
      expect(refoldStart(unknownAgent(), 'CALL', '', ms('09:30'))).toBeUndefined();
      expect(refoldStart(emptyAgent(), 'CALL', '', ms('09:30'))).toBe(ms('09:30'));
    });
  });

  describe('changes', () => {
    it('answers a window only from where the timeline is complete', () => {
      const m = emptyAgent();
      addChanges(m, 'CALL', '', [change('CALL', 'RINGING', '08:00', 'a'), change('CALL', 'IDLE', '08:01', 'a')]);
      expect(changesFrom(m, 'CALL', '', ms('08:01'))).toEqual([change('CALL', 'IDLE', '08:01', 'a')]);
      // An empty agent has no changes in any other timeline either.
      expect(changesFrom(m, 'PRESENCE', '', ms('07:00'))).toEqual([]);
      expect(changesFrom(unknownAgent(), 'CALL', '', ms('08:00'))).toBeUndefined();

      const read = unknownAgent();
      addChanges(read, 'CALL', '', [change('CALL', 'RINGING', '09:00', 'b')]); // nothing known: not kept
      expect(changesFrom(read, 'CALL', '', ms('09:00'))).toBeUndefined();
      learnChanges(read, 'CALL', '', ms('08:30'), [change('CALL', 'RINGING', '09:00', 'b')]);
      expect(changesFrom(read, 'CALL', '', ms('08:45'))).toEqual([change('CALL', 'RINGING', '09:00', 'b')]);
      expect(changesFrom(read, 'CALL', '', ms('08:00'))).toBeUndefined();
      // A late change older than what is remembered stays out of the memory (the database has it).
      addChanges(read, 'CALL', '', [change('CALL', 'TALKING', '08:10', 'c')]);
      expect(changesFrom(read, 'CALL', '', ms('08:30'))).toEqual([change('CALL', 'RINGING', '09:00', 'b')]);
    });
  });

  describe('segments and the first AGENT_STATE segment', () => {
    it('answers loadSegmentsFrom with the segments reaching `from` plus the first AGENT_STATE segment', () => {
      const first = seg('AGENT_STATE', 'READY', '07:00', '07:30');
      const m = withSegments('07:00', [
        first,
        seg('AGENT_STATE', 'LOGGED_OUT', '07:30', '08:00'),
        seg('CALL', 'TALKING', '08:40', '08:50', { callId: 'a' }),
        seg('REGISTRATION', 'ONLINE', '06:00', null),
      ]);
      expect(m.firstAgentState).toBe(first);
      const got = segmentsReaching(m, ms('08:30'));
      expect(got?.map((s) => `${s.layer} ${s.state}`).sort()).toEqual([
        'AGENT_STATE READY', // the first one, although long closed: the loggedIn rule needs it
        'CALL TALKING',
        'REGISTRATION ONLINE',
      ]);
      expect(segmentsReaching(m, ms('06:30'))).toBeUndefined();
    });

    it('keeps the first AGENT_STATE segment known only while it provably is', () => {
      const first = seg('AGENT_STATE', 'READY', '07:00', '07:30');
      const m = withSegments('06:00', [first, seg('AGENT_STATE', 'NOT_READY', '07:30', null)]);
      // Later segments rewritten: the first one stays.
      replaceTimeline(m, 'AGENT_STATE', '8000', ms('07:30'), [
        keyed(seg('AGENT_STATE', 'NOT_READY', '07:30', '08:00')),
        keyed(seg('AGENT_STATE', 'READY', '08:00', null)),
      ]);
      expect(m.firstAgentState).toBe(first);
      expect(m.segments.get(timelineOf('AGENT_STATE', '8000'))?.length).toBe(3);
      // An earlier one written: it is the first.
      const earlier = seg('AGENT_STATE', 'READY', '06:30', '07:00');
      replaceTimeline(m, 'AGENT_STATE', '8000', ms('06:30'), [
        keyed(earlier),
        keyed(first),
        keyed(seg('AGENT_STATE', 'NOT_READY', '07:30', '08:00')),
        keyed(seg('AGENT_STATE', 'READY', '08:00', null)),
      ]);
      expect(m.firstAgentState).toBe(earlier);
      // The first one removed and nothing as early written: only the database knows.
      replaceTimeline(m, 'AGENT_STATE', '8000', ms('06:00'), [keyed(seg('AGENT_STATE', 'READY', '08:00', null))]);
      expect(m.firstAgentState).toBeUndefined();
      expect(segmentsReaching(m, ms('09:00'))).toBeUndefined();
    });

    it('an agent with no AGENT_STATE segment gets its first one from the fold', () => {
      const m = emptyAgent();
      const s = seg('AGENT_STATE', 'READY', '09:00', null, { queue: '8001' });
      replaceTimeline(m, 'AGENT_STATE', '8001', ms('09:00'), [keyed(s)]);
      expect(m.firstAgentState).toBe(s);
    });
  });

  describe('trimAgent', () => {
    it('forgets what lies before the horizon and counts what it keeps', () => {
      const m = withSegments('06:00', [
        seg('CALL', 'TALKING', '06:10', '06:20', { callId: 'a' }),
        seg('REGISTRATION', 'ONLINE', '06:00', null),
        seg('CALL', 'TALKING', '09:10', '09:20', { callId: 'b' }),
      ]);
      addChanges(m, 'CALL', '', [change('CALL', 'TALKING', '06:10', 'a'), change('CALL', 'TALKING', '09:10', 'b')]);
      expect(trimAgent(m, ms('09:00'))).toBe(3); // two segments and one change
      expect(m.segmentsFrom).toBe(ms('09:00'));
      expect(refoldStart(m, 'CALL', '', ms('08:00'))).toBeUndefined();
      expect(changesFrom(m, 'CALL', '', ms('09:00'))).toEqual([change('CALL', 'TALKING', '09:10', 'b')]);
      expect(changesFrom(m, 'CALL', '', ms('08:59'))).toBeUndefined();
      expect(changesFrom(m, 'PRESENCE', '', ms('09:00'))).toEqual([]);
      expect(changesFrom(m, 'PRESENCE', '', ms('08:00'))).toBeUndefined();
    });
  });
});

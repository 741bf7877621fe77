import fc from 'fast-check';
import { AgentSegment, IDLE, SegmentLayer, StateChange, foldSegments } from './agent-segments.reducer';
import {
  QUARTER_HOURS,
  QUARTER_HOUR_MS,
  agentIntervalStats,
  quarterHourStart,
  ringOutcome,
  splitAtBorders,
} from './agent-stats';

const at = (hms: string, day = '2026-03-02') => new Date(`${day}T${hms}Z`);
const change = (
  layer: SegmentLayer,
  state: string,
  hms: string,
  queue: string | null = null,
  callId: string | null = null,
) => ({ layer, queue, state, callId, at: at(hms) }) satisfies StateChange;

/**
 * Agent 101's morning (all UTC):
 * - registers at 08:55; presence ONLINE (does not count anywhere);
 * - queue 8001: READY 08:58, QUEUE_CALL 09:05, WRAP_UP 09:17, READY 09:19:30, NOT_READY 09:40,
 *   READY 09:50 (open); queue 8002: READY 08:58, LOGGED_OUT 09:40 (the busiest queue state
 *   counts, so 8002 never changes a figure);
 * - call A rings 09:04:50, answered 09:05, hold 09:12–09:13, hangs up 09:17;
 * - call B rings 09:29:50 across the 09:30 border and is not answered (09:30:10);
 * - call C rings 09:52, answered 09:52:05, still talking when the report is made at 10:07:30.
 */
const DAY: StateChange[] = [
  change('REGISTRATION', 'ONLINE', '08:55:00'),
  change('PRESENCE', 'ONLINE', '08:55:00'),
  change('AGENT_STATE', 'READY', '08:58:00', '8001'),
  change('AGENT_STATE', 'READY', '08:58:00', '8002'),
  change('AGENT_STATE', 'QUEUE_CALL', '09:05:00', '8001', 'A'),
  change('AGENT_STATE', 'WRAP_UP', '09:17:00', '8001'),
  change('AGENT_STATE', 'READY', '09:19:30', '8001'),
  change('AGENT_STATE', 'NOT_READY', '09:40:00', '8001'),
  change('AGENT_STATE', 'LOGGED_OUT', '09:40:00', '8002'),
  change('AGENT_STATE', 'READY', '09:50:00', '8001'),
  change('CALL', 'RINGING', '09:04:50', null, 'A'),
  change('CALL', 'TALKING', '09:05:00', null, 'A'),
  change('CALL', 'HOLD', '09:12:00', null, 'A'),
  change('CALL', 'TALKING', '09:13:00', null, 'A'),
  change('CALL', IDLE, '09:17:00', null, 'A'),
  change('CALL', 'RINGING', '09:29:50', null, 'B'),
  change('CALL', IDLE, '09:30:10', null, 'B'),
  change('CALL', 'RINGING', '09:52:00', null, 'C'),
  change('CALL', 'TALKING', '09:52:05', null, 'C'),
];
const NOW = at('10:07:30');

describe('an agent day, by hand', () => {
  const segments = foldSegments('101', DAY);

  it('folds into these segments (the last of each layer and queue open)', () => {
    const iso = (d: Date | null) => (d === null ? null : d.toISOString().slice(11, 19));
    expect(segments.map((s) => [s.layer, s.queue, s.state, s.callId, iso(s.startedAt), iso(s.endedAt)])).toEqual([
      ['REGISTRATION', null, 'ONLINE', null, '08:55:00', null],
      ['PRESENCE', null, 'ONLINE', null, '08:55:00', null],
      ['AGENT_STATE', '8001', 'READY', null, '08:58:00', '09:05:00'],
      ['AGENT_STATE', '8002', 'READY', null, '08:58:00', '09:40:00'],
      ['CALL', null, 'RINGING', 'A', '09:04:50', '09:05:00'],
      ['AGENT_STATE', '8001', 'QUEUE_CALL', 'A', '09:05:00', '09:17:00'],
      ['CALL', null, 'TALKING', 'A', '09:05:00', '09:12:00'],
      ['CALL', null, 'HOLD', 'A', '09:12:00', '09:13:00'],
      ['CALL', null, 'TALKING', 'A', '09:13:00', '09:17:00'],
      ['AGENT_STATE', '8001', 'WRAP_UP', null, '09:17:00', '09:19:30'],
      ['AGENT_STATE', '8001', 'READY', null, '09:19:30', '09:40:00'],
      ['CALL', null, 'RINGING', 'B', '09:29:50', '09:30:10'],
      ['AGENT_STATE', '8001', 'NOT_READY', null, '09:40:00', '09:50:00'],
      ['AGENT_STATE', '8002', 'LOGGED_OUT', null, '09:40:00', null],
      ['AGENT_STATE', '8001', 'READY', null, '09:50:00', null],
      ['CALL', null, 'RINGING', 'C', '09:52:00', '09:52:05'],
      ['CALL', null, 'TALKING', 'C', '09:52:05', null],
    ]);
  });

  // [interval, loggedIn, ready, notReady, wrapUp, ring, talk, hold, answered, missed, occupancy]
  it.each([
    // 08:55–08:58 registered before any agent state (registration counts), 08:58–09:00 READY.
    ['08:45', 300, 120, 0, 0, 0, 0, 0, 0, 0, 0 / 120],
    // READY 300 (idle 290: A rang for the last 10 s), talk 420 + 120, hold 60; A answered.
    ['09:00', 900, 300, 0, 0, 10, 540, 60, 1, 0, 600 / 890],
    // QUEUE_CALL 120 (talk), WRAP_UP 150, READY 630 of which B rang 10 → idle 620; B missed here.
    ['09:15', 900, 630, 0, 150, 10, 120, 0, 0, 1, 270 / 890],
    // B's last 10 s of ringing; READY 600 (idle 590), NOT_READY 300; nothing busy.
    ['09:30', 900, 600, 300, 0, 10, 0, 0, 0, 0, 0],
    // NOT_READY 300, READY 600: C rings 5 s and talks 475 → idle ready 120.
    ['09:45', 900, 600, 300, 0, 5, 475, 0, 1, 0, 475 / 595],
    // Cut at "now" (10:07:30): the open READY and TALKING give 450 s each.
    ['10:00', 450, 450, 0, 0, 0, 450, 0, 0, 0, 1],
    // Before the agent registered: nothing, occupancy null.
    ['08:30', 0, 0, 0, 0, 0, 0, 0, 0, 0, null],
  ])('interval %s', (hm, loggedIn, ready, notReady, wrapUp, ring, talk, hold, answered, missed, occupancy) => {
    const start = at(`${hm}:00`);
    const end = new Date(start.getTime() + QUARTER_HOUR_MS);
    expect(agentIntervalStats(segments, start, end, NOW)).toEqual({
      loggedInSeconds: loggedIn,
      readySeconds: ready,
      notReadySeconds: notReady,
      wrapUpSeconds: wrapUp,
      ringSeconds: ring,
      talkSeconds: talk,
      holdSeconds: hold,
      callsAnswered: answered,
      callsMissed: missed,
      occupancy,
    });
  });

  it('without `until` an open segment runs to the interval end', () => {
    const stats = agentIntervalStats(segments, at('10:00:00'), at('10:15:00'));
    expect(stats).toMatchObject({ loggedInSeconds: 900, readySeconds: 900, talkSeconds: 900, occupancy: 1 });
  });

  it('15-minute figures add up to the hour (occupancy aside)', () => {
    const quarters = ['09:00', '09:15', '09:30', '09:45'].map((hm) => {
      const start = at(`${hm}:00`);
      return agentIntervalStats(segments, start, new Date(start.getTime() + QUARTER_HOUR_MS), NOW);
    });
    const hour = agentIntervalStats(segments, at('09:00:00'), at('10:00:00'), NOW);
    for (const key of [
      'loggedInSeconds',
      'readySeconds',
      'talkSeconds',
      'holdSeconds',
      'ringSeconds',
      'callsMissed',
    ] as const) {
      expect(quarters.reduce((sum, q) => sum + q[key], 0)).toBe(hour[key]);
    }
    // (600 + 270 + 0 + 475) / (890 + 890 + 590 + 595)
    expect(hour.occupancy).toBe((540 + 120 + 475 + 60 + 150) / (540 + 120 + 475 + 60 + 150 + 290 + 620 + 590 + 120));
  });
});

describe('loggedInSeconds for agents without agent states', () => {
  it('is REGISTRATION ONLINE time', () => {
    const segments = foldSegments('234', [
      change('REGISTRATION', 'ONLINE', '10:00:00'),
      change('REGISTRATION', 'OFFLINE', '10:20:00'),
      change('REGISTRATION', 'ONLINE', '10:26:40'),
      change('CALL', 'TALKING', '10:16:00', null, 'x'),
      change('CALL', IDLE, '10:18:00', null, 'x'),
    ]);
    expect(agentIntervalStats(segments, at('10:15:00'), at('10:30:00'))).toEqual({
      loggedInSeconds: 300 + 200,
      readySeconds: 0,
      notReadySeconds: 0,
      wrapUpSeconds: 0,
      ringSeconds: 0,
      talkSeconds: 120,
      holdSeconds: 0,
      callsAnswered: 0,
      callsMissed: 0,
      // No READY time at all: talk is the only activity, so the agent was fully occupied.
      occupancy: 1,
    });
  });
});

describe('offers', () => {
  const calls = (changes: StateChange[]) => foldSegments('101', changes).filter((s) => s.layer === 'CALL');

  it('a ring answered in the same second is an answered offer; a re-offer makes the first one missed', () => {
    const segments = calls([
      change('CALL', 'RINGING', '10:00:00', null, 'q'),
      change('CALL', IDLE, '10:00:20', null, 'q'), // ring-no-answer
      change('CALL', 'RINGING', '10:01:00', null, 'q'), // the queue offers the same call again
      change('CALL', 'TALKING', '10:01:00', null, 'q'),
      change('CALL', IDLE, '10:03:00', null, 'q'),
    ]);
    expect(segments.filter((s) => s.state === 'RINGING').map((r) => ringOutcome(r, segments))).toEqual([
      'MISSED',
      'ANSWERED',
    ]);
    expect(agentIntervalStats(segments, at('10:00:00'), at('10:15:00'))).toMatchObject({
      callsAnswered: 1,
      callsMissed: 1,
      ringSeconds: 20,
      talkSeconds: 120,
    });
  });

  it('a ring still ringing is neither; a ring without call id is answered by the talk that follows it', () => {
    const ringing = calls([change('CALL', 'RINGING', '10:00:00', null, 'z')]);
    expect(ringOutcome(ringing[0], ringing)).toBeNull();
    expect(agentIntervalStats(ringing, at('10:00:00'), at('10:15:00'))).toMatchObject({
      callsAnswered: 0,
      callsMissed: 0,
    });
    const anonymous = calls([
      change('CALL', 'RINGING', '10:00:00'),
      change('CALL', 'TALKING', '10:00:04'),
      change('CALL', IDLE, '10:01:00'),
      change('CALL', 'RINGING', '10:02:00'),
      change('CALL', IDLE, '10:02:30'),
    ]);
    expect(anonymous.filter((s) => s.state === 'RINGING').map((r) => ringOutcome(r, anonymous))).toEqual([
      'ANSWERED',
      'MISSED',
    ]);
  });

  it('a ring is counted in the interval where it began, even when the answer comes after `until`', () => {
    const segments = calls([
      change('CALL', 'RINGING', '10:14:50', null, 'w'),
      change('CALL', 'TALKING', '10:15:10', null, 'w'),
    ]);
    expect(agentIntervalStats(segments, at('10:00:00'), at('10:15:00'))).toMatchObject({
      callsAnswered: 1,
      ringSeconds: 10,
    });
    expect(agentIntervalStats(segments, at('10:15:00'), at('10:30:00'), at('10:20:00'))).toMatchObject({
      callsAnswered: 0,
      ringSeconds: 10,
      talkSeconds: 290,
    });
  });
});

describe('splitAtBorders', () => {
  const seg = (start: string, end: string | null, state = 'RINGING'): AgentSegment => ({
    agent: '101',
    layer: 'CALL',
    queue: null,
    state,
    callId: 'B',
    startedAt: at(start),
    endedAt: end === null ? null : at(end),
  });
  const pieces = (s: AgentSegment, borders = QUARTER_HOURS, until = NOW) =>
    splitAtBorders(s, borders, until).map((p) => [
      p.intervalStart.toISOString(),
      p.startedAt.toISOString(),
      p.endedAt.toISOString(),
      p.state,
    ]);

  it('splits at the 15-minute grid', () => {
    expect(pieces(seg('09:29:50', '09:30:10'))).toEqual([
      ['2026-03-02T09:15:00.000Z', '2026-03-02T09:29:50.000Z', '2026-03-02T09:30:00.000Z', 'RINGING'],
      ['2026-03-02T09:30:00.000Z', '2026-03-02T09:30:00.000Z', '2026-03-02T09:30:10.000Z', 'RINGING'],
    ]);
  });

  it('cuts an open segment (or one reaching past it) at `until`; nothing at or after `until`', () => {
    expect(pieces(seg('09:52:05', null, 'TALKING'))).toEqual([
      ['2026-03-02T09:45:00.000Z', '2026-03-02T09:52:05.000Z', '2026-03-02T10:00:00.000Z', 'TALKING'],
      ['2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T10:07:30.000Z', 'TALKING'],
    ]);
    expect(pieces(seg('09:52:05', '11:00:00'))).toHaveLength(2);
    expect(pieces(seg('10:07:30', null))).toEqual([]);
    expect(pieces(seg('10:00:00', '10:00:00'))).toEqual([
      ['2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.000Z', 'RINGING'],
    ]);
  });

  it('splits at explicit interval starts, e.g. local days in Asia/Kathmandu (+05:45)', () => {
    // Local midnights of 2 and 3 March 2026 are 18:15 UTC of the day before.
    const borders = [Date.parse('2026-03-01T18:15:00Z'), Date.parse('2026-03-02T18:15:00Z')];
    const online: AgentSegment = { ...seg('08:55:00', null, 'ONLINE'), layer: 'REGISTRATION', callId: null };
    expect(pieces(online, borders, new Date('2026-03-03T00:00:00Z'))).toEqual([
      ['2026-03-01T18:15:00.000Z', '2026-03-02T08:55:00.000Z', '2026-03-02T18:15:00.000Z', 'ONLINE'],
      ['2026-03-02T18:15:00.000Z', '2026-03-02T18:15:00.000Z', '2026-03-03T00:00:00.000Z', 'ONLINE'],
    ]);
    // Time before the first border belongs to no interval.
    const early: AgentSegment = { ...online, startedAt: new Date('2026-03-01T12:00:00Z') };
    expect(pieces(early, borders, new Date('2026-03-02T00:00:00Z'))).toEqual([
      ['2026-03-01T18:15:00.000Z', '2026-03-01T18:15:00.000Z', '2026-03-02T00:00:00.000Z', 'ONLINE'],
    ]);
  });

  it('quarterHourStart', () => {
    expect(quarterHourStart(at('09:29:59')).toISOString()).toBe('2026-03-02T09:15:00.000Z');
    expect(quarterHourStart(at('09:30:00')).toISOString()).toBe('2026-03-02T09:30:00.000Z');
  });
});

describe('properties', () => {
  const STATES: Record<SegmentLayer, readonly string[]> = {
    REGISTRATION: ['ONLINE', 'OFFLINE'],
    PRESENCE: ['ONLINE', 'AWAY'],
    AGENT_STATE: ['READY', 'QUEUE_CALL', 'WRAP_UP', 'NOT_READY', 'LOGGED_OUT', IDLE],
    CALL: ['RINGING', 'TALKING', 'HOLD', IDLE],
  };
  const changes = fc.array(
    fc
      .record({
        layer: fc.constantFrom<SegmentLayer>('REGISTRATION', 'AGENT_STATE', 'CALL'),
        pick: fc.nat(9),
        queue: fc.constantFrom('8001', '8002'),
        callId: fc.constantFrom<string | null>(null, 'a', 'b'),
        // From 09:50 to 11:10 in whole seconds.
        second: fc.integer({ min: -600, max: 4200 }),
      })
      .map(({ layer, pick, queue, callId, second }): StateChange => ({
        layer,
        queue: layer === 'AGENT_STATE' ? queue : null,
        state: STATES[layer][pick % STATES[layer].length],
        callId: layer === 'CALL' ? callId : null,
        at: new Date(Date.parse('2026-03-02T10:00:00Z') + second * 1000),
      })),
    { maxLength: 40 },
  );

  it('quarter-hour seconds and call counts add up to the hour; ready + notReady + wrapUp ≤ loggedIn', () => {
    fc.assert(
      fc.property(changes, fc.integer({ min: 0, max: 3600 }), (cs, untilSecond) => {
        const segments = foldSegments('101', cs);
        const hourStart = Date.parse('2026-03-02T10:00:00Z');
        const until = new Date(hourStart + untilSecond * 1000);
        const quarters = [0, 1, 2, 3].map((i) =>
          agentIntervalStats(
            segments,
            new Date(hourStart + i * QUARTER_HOUR_MS),
            new Date(hourStart + (i + 1) * QUARTER_HOUR_MS),
            until,
          ),
        );
        const hour = agentIntervalStats(
          segments,
          new Date(hourStart),
          new Date(hourStart + 4 * QUARTER_HOUR_MS),
          until,
        );
        const keys = [
          'loggedInSeconds',
          'readySeconds',
          'notReadySeconds',
          'wrapUpSeconds',
          'ringSeconds',
          'talkSeconds',
          'holdSeconds',
          'callsAnswered',
          'callsMissed',
        ] as const;
        for (const key of keys) expect(quarters.reduce((sum, q) => sum + q[key], 0)).toBe(hour[key]);
        for (const q of [...quarters, hour]) {
          expect(q.readySeconds + q.notReadySeconds + q.wrapUpSeconds).toBeLessThanOrEqual(q.loggedInSeconds);
          expect(q.ringSeconds + q.talkSeconds + q.holdSeconds).toBeLessThanOrEqual(3600);
          if (q.occupancy !== null) expect(q.occupancy).toBeGreaterThanOrEqual(0);
          if (q.occupancy !== null) expect(q.occupancy).toBeLessThanOrEqual(1);
        }
        // The pieces of every segment cover exactly its time up to `until`.
        for (const s of segments) {
          const covered = splitAtBorders(s, QUARTER_HOURS, until).reduce(
            (sum, p) => sum + p.endedAt.getTime() - p.startedAt.getTime(),
            0,
          );
          const end = Math.min(s.endedAt?.getTime() ?? until.getTime(), until.getTime());
          expect(covered).toBe(Math.max(0, end - s.startedAt.getTime()));
        }
      }),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { addBucketStarts, agentBucketRows, segmentOrdinals } from './agent-rows';
import type { AgentSegment, SegmentLayer } from './agent-segments.reducer';
import { QUARTER_HOURS, agentIntervalStats, splitAtBorders } from './agent-stats';

const at = (hms: string) => new Date(`2026-03-02T${hms}Z`);
const seg = (
  layer: SegmentLayer,
  state: string,
  start: string,
  end: string | null,
  extra: Partial<AgentSegment> = {},
): AgentSegment => ({
  agent: '101',
  layer,
  queue: layer === 'AGENT_STATE' ? '8000' : null,
  state,
  callId: null,
  startedAt: at(start),
  endedAt: end === null ? null : at(end),
  ...extra,
});

// Registered at 09:00, READY 09:05–09:20 with one answered call, NOT_READY from 09:20 (open).
const DAY: AgentSegment[] = [
  seg('REGISTRATION', 'ONLINE', '09:00:00', null),
  seg('AGENT_STATE', 'READY', '09:05:00', '09:20:00'),
  seg('CALL', 'RINGING', '09:10:00', '09:10:10', { callId: 'c1' }),
  seg('CALL', 'TALKING', '09:10:10', '09:17:00', { callId: 'c1' }),
  seg('AGENT_STATE', 'NOT_READY', '09:20:00', null),
];

describe('agentBucketRows', () => {
  it('finds the buckets the pieces of splitAtBorders would give, without making them', () => {
    const base = Date.UTC(2026, 2, 2);
    const t = fc.integer({ min: -3 * 3_600_000, max: 30 * 3_600_000 }).map((ms) => base + ms);
    // Times on and next to quarter-hour borders as well as anywhere.
    const edge = fc
      .tuple(fc.integer({ min: -12, max: 120 }), fc.constantFrom(-1, 0, 1))
      .map(([q, d]) => base + q * 900_000 + d);
    const time = fc.oneof(t, edge);
    fc.assert(
      fc.property(time, fc.option(time), time, time, (start, end, from, until) => {
        const s = seg('CALL', 'TALKING', '00:00:00', null, {
          startedAt: new Date(start),
          endedAt: end === null ? null : new Date(end),
        });
        const expected = new Set(
          splitAtBorders(s, QUARTER_HOURS, new Date(until))
            .map((p) => p.intervalStart.getTime())
            .filter((b) => b >= from),
        );
        const got = new Set<number>();
        addBucketStarts(got, s, from, until);
        expect([...got].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
      }),
      { numRuns: 2000 },
    );
  });

  it('sums every bucket with activity up to `until`, idle ready included', () => {
    const rows = agentBucketRows(DAY, at('00:00:00'), at('09:40:00'));
    expect(
      rows.map((r) => [
        r.bucketStart.toISOString().slice(11, 16),
        r.loggedInSeconds,
        r.readySeconds,
        r.notReadySeconds,
        r.ringSeconds,
        r.talkSeconds,
        r.idleReadySeconds,
        r.callsAnswered,
        r.callsMissed,
      ]),
    ).toEqual([
      // 09:00–09:05 registered before any agent state (300) + READY 09:05–09:15 (600).
      ['09:00', 900, 600, 0, 10, 290, 300, 1, 0],
      ['09:15', 900, 300, 600, 0, 120, 180, 0, 0],
      // Open NOT_READY counted up to `until` only.
      ['09:30', 600, 0, 600, 0, 0, 0, 0, 0],
    ]);
    expect(rows[0].occupancy).toBe(290 / (290 + 300));
  });

  it('matches agentIntervalStats bucket by bucket, and starts at `from`', () => {
    const until = at('09:40:00');
    const rows = agentBucketRows(DAY, at('09:15:00'), until);
    expect(rows.map((r) => r.bucketStart)).toEqual([at('09:15:00'), at('09:30:00')]);
    for (const { bucketStart, idleReadySeconds: _idle, ...figures } of rows) {
      const end = new Date(bucketStart.getTime() + 900_000);
      expect(figures).toEqual(agentIntervalStats(DAY, bucketStart, end, until));
    }
  });

  it('leaves out buckets without any activity, and counts nothing at or after `until`', () => {
    const gap = [
      seg('REGISTRATION', 'ONLINE', '09:00:00', '09:10:00'),
      seg('REGISTRATION', 'ONLINE', '11:00:00', null),
    ];
    expect(agentBucketRows(gap, at('00:00:00'), at('11:20:00')).map((r) => r.bucketStart)).toEqual([
      at('09:00:00'),
      at('11:00:00'),
      at('11:15:00'),
    ]);
    expect(agentBucketRows(gap, at('00:00:00'), at('11:00:00')).map((r) => r.bucketStart)).toEqual([at('09:00:00')]);
  });
});

describe('segmentOrdinals', () => {
  it('numbers segments of one timeline that start at the same instant', () => {
    const segments = [
      seg('REGISTRATION', 'ONLINE', '09:00:00', null),
      seg('CALL', 'RINGING', '09:00:00', '09:00:00', { callId: 'c1' }),
      seg('CALL', 'TALKING', '09:00:00', '09:01:00', { callId: 'c1' }),
      seg('AGENT_STATE', 'READY', '09:00:00', null),
      seg('AGENT_STATE', 'READY', '09:00:00', null, { queue: '8001' }),
      seg('CALL', 'RINGING', '09:02:00', null, { callId: 'c2' }),
      seg('CALL', 'RINGING', '09:00:00', '09:00:00', { agent: '102' }),
    ];
    expect(segmentOrdinals(segments)).toEqual([0, 0, 1, 0, 0, 0, 0]);
  });
});

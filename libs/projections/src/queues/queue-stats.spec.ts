import fc from 'fast-check';
import { DateTime } from 'luxon';
import { getVendorAdapter } from '@app/vendors';
import {
  foldQueueAttempts,
  QueueAttempt,
  QueueEvent,
  queueMappings,
  splitQueueCallerStatus,
} from './queue-attempts.reducer';
import {
  addCounters,
  bucketStart,
  classify,
  derivedMetrics,
  emptyCounters,
  QueueCounters,
  QueueThresholds,
} from './queue-stats';

import { DAY, T0, type Json } from '../../../../test/fixtures/portsip-queue-day';

const DEFAULTS: QueueThresholds = { slaSeconds: 20, shortAbandonSeconds: 5 };

describe('bucketStart', () => {
  it('floors to the 15-minute UTC interval', () => {
    expect(bucketStart(new Date('2026-03-02T09:14:59.999Z')).toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(bucketStart(new Date('2026-03-02T09:15:00.000Z')).toISOString()).toBe('2026-03-02T09:15:00.000Z');
    expect(bucketStart(new Date('2026-03-02T00:00:00.000Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(bucketStart(new Date('1969-12-31T23:59:59.000Z')).toISOString()).toBe('1969-12-31T23:45:00.000Z');
  });

  it('local hours and days start on bucket borders in any zone (+05:30, +05:45, Lord Howe’s 30-min DST)', () => {
    const zones = ['Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns', 'Europe/London'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          for (const unit of ['hour', 'day', 'week', 'month'] as const) {
            const start = DateTime.fromMillis(ms, { zone }).startOf(unit).toJSDate();
            expect(bucketStart(start).getTime()).toBe(start.getTime());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 25-hour DST day is exactly 100 buckets (Europe/London, 2026-10-25)', () => {
    const day = DateTime.fromObject({ year: 2026, month: 10, day: 25 }, { zone: 'Europe/London' });
    const ms = day.plus({ days: 1 }).toMillis() - day.toMillis();
    expect(ms / (15 * 60_000)).toBe(100);
  });
});

describe('classify', () => {
  const attempt = (
    outcome: QueueAttempt['outcome'],
    waitSeconds: number | null,
    talkSeconds: number | null = null,
  ) => ({
    outcome,
    waitSeconds,
    talkSeconds,
  });

  it('answered: within SLA when wait <= threshold (exactly 20 counts)', () => {
    expect(classify(attempt('ANSWERED', 20, 60), DEFAULTS)).toEqual({
      ...emptyCounters(),
      offered: 1,
      answered: 1,
      answeredWithinSla: 1,
      sumAnswerWait: 20,
      answeredWithWait: 1,
      maxWait: 20,
      sumTalk: 60,
      answeredWithTalk: 1,
      sumHandle: 60,
      answeredWithHandle: 1,
    });
    expect(classify(attempt('ANSWERED', 21), DEFAULTS)).toMatchObject({
      answered: 1,
      answeredWithinSla: 0,
      sumAnswerWait: 21,
    });
  });

  it('abandoned: wait exactly 5 is abandoned, 4 is a short abandon (not in abandoned, not in the abandon waits)', () => {
    expect(classify(attempt('ABANDONED', 5), DEFAULTS)).toMatchObject({
      abandoned: 1,
      shortAbandoned: 0,
      sumAbandonWait: 5,
      abandonedWithWait: 1,
      maxWait: 5,
    });
    expect(classify(attempt('ABANDONED', 4), DEFAULTS)).toEqual({
      ...emptyCounters(),
      offered: 1,
      shortAbandoned: 1,
      maxWait: 4,
    });
  });

  it('unknown waits: abandoned (cannot be shown short), answered but not within SLA; never in the wait sums', () => {
    expect(classify(attempt('ABANDONED', null), DEFAULTS)).toEqual({ ...emptyCounters(), offered: 1, abandoned: 1 });
    expect(classify(attempt('ANSWERED', null), DEFAULTS)).toEqual({ ...emptyCounters(), offered: 1, answered: 1 });
  });

  it('timed out, callback, waiting', () => {
    expect(classify(attempt('TIMED_OUT', 120), DEFAULTS)).toEqual({
      ...emptyCounters(),
      offered: 1,
      timedOut: 1,
      maxWait: 120,
    });
    expect(classify(attempt('CALLBACK', 90), DEFAULTS)).toEqual({
      ...emptyCounters(),
      offered: 1,
      callbacks: 1,
      maxWait: 90,
    });
    expect(classify(attempt('WAITING', null), DEFAULTS)).toEqual({ ...emptyCounters(), offered: 1 });
  });

  it('handle = talk + hold + wrap-up', () => {
    expect(classify({ ...attempt('ANSWERED', 3, 100), holdSeconds: 15, wrapUpSeconds: 30 }, DEFAULTS)).toMatchObject({
      sumTalk: 100,
      sumHandle: 145,
      answeredWithHandle: 1,
    });
  });

  it('other thresholds', () => {
    const t = { slaSeconds: 30, shortAbandonSeconds: 10 };
    expect(classify(attempt('ANSWERED', 25), t).answeredWithinSla).toBe(1);
    expect(classify(attempt('ABANDONED', 9), t).shortAbandoned).toBe(1);
  });
});

describe('derivedMetrics', () => {
  it('nulls when the denominators are 0', () => {
    expect(derivedMetrics(emptyCounters())).toEqual({
      serviceLevel: null,
      abandonRate: null,
      averageWaitSeconds: null,
      maxWaitSeconds: null,
      averageAbandonWaitSeconds: null,
      averageTalkSeconds: null,
      averageHandleSeconds: null,
    });
    // Only short abandons: offered − shortAbandoned = 0.
    expect(derivedMetrics({ ...emptyCounters(), offered: 2, shortAbandoned: 2, maxWait: 3 })).toMatchObject({
      abandonRate: null,
      serviceLevel: null,
      maxWaitSeconds: 3,
    });
  });

  it('without the *WithWait counters the means divide by answered / abandoned', () => {
    const {
      answeredWithWait: _a,
      abandonedWithWait: _b,
      ...input
    } = {
      ...emptyCounters(),
      offered: 3,
      answered: 2,
      abandoned: 1,
      sumAnswerWait: 30,
      sumAbandonWait: 40,
    };
    expect(derivedMetrics(input)).toMatchObject({ averageWaitSeconds: 15, averageAbandonWaitSeconds: 40 });
  });
});

// ---------------------------------------------------------------------------------------------
// A PortSIP queue day, by hand

/** Routes the day's payloads to their calls the way the projection does (split for queue pushes). */
function eventsByCall(payloads: readonly Json[]): Map<string, QueueEvent[]> {
  const calls = new Map<string, QueueEvent[]>();
  payloads.forEach((payload, i) => {
    const parsed = getVendorAdapter('portsip').parse(payload, { timezone: 'UTC' });
    const event: QueueEvent = {
      position: String(i + 1),
      vendor: 'portsip',
      type: parsed.type,
      occurredAt: parsed.occurredAt,
      receivedAt: new Date((T0 + 2000 + i) * 1000),
      payload,
    };
    const sessions =
      parsed.type === 'call_cdr' ? [parsed.callKey!] : splitQueueCallerStatus(payload).map((f) => f.sessionId);
    for (const s of new Set(sessions)) calls.set(s, [...(calls.get(s) ?? []), event]);
  });
  return calls;
}

describe('a PortSIP queue day of 23 callers, by hand', () => {
  const ctx = {
    queueNumbers: new Set<string>(),
    queueIdToNumber: new Map(DAY.flatMap(queueMappings).map((m) => [m.queueId, m.queueNumber])),
  };
  const attempts = [...eventsByCall(DAY)].flatMap(([id, events]) =>
    foldQueueAttempts(id, events, ctx).map((a) => ({ id, ...a })),
  );

  it('folds every caller to exactly one attempt in queue 8000', () => {
    const rows = Object.fromEntries(
      attempts.map((a) => [
        a.id,
        [a.enteredAt.getTime() / 1000 - T0, a.outcome, a.waitSeconds, a.answeredBy, a.talkSeconds],
      ]),
    );
    expect(rows).toEqual({
      c01: [30, 'ANSWERED', 10, '101', null], // agent from queue_agent_status; no CDR, so no talk
      c02: [40, 'ANSWERED', 20, null, null],
      c03: [120, 'ANSWERED', 21, null, null],
      c04: [200, 'ANSWERED', 15, '102', 60], // merged: caller status + CDR
      c05: [260, 'ABANDONED', 5, null, null],
      c06: [300, 'ABANDONED', 4, null, null],
      c07: [340, 'ABANDONED', 0, null, null],
      c08: [400, 'ABANDONED', 45, null, null],
      c09: [460, 'TIMED_OUT', 120, null, null],
      c10: [500, 'CALLBACK', 90, null, null],
      c11: [560, 'ANSWERED', 8, '103', 100],
      c12: [620, 'ABANDONED', 30, null, null],
      c13: [700, 'ANSWERED', 3, null, null],
      c14: [800, 'ANSWERED', 40, null, null],
      c15: [905, 'ANSWERED', 12, '101', 200],
      c16: [950, 'ANSWERED', 19, null, null],
      c17: [1000, 'ABANDONED', 2, null, null],
      c18: [1100, 'ABANDONED', 60, null, null],
      c19: [1200, 'TIMED_OUT', 180, null, null],
      c20: [1300, 'TIMED_OUT', 50, null, null],
      c21: [1400, 'CALLBACK', 30, null, null],
      c22: [1500, 'WAITING', null, null, null],
      c23: [1600, 'ANSWERED', 20, '104', 45],
    });
    expect(attempts).toHaveLength(23);
    expect(new Set(attempts.map((a) => a.queue))).toEqual(new Set(['8000']));
    expect(attempts.filter((a) => a.callback).map((a) => a.id)).toEqual(['c10', 'c21']);
  });

  // c04's agent reported 30 s of wrap-up (the agent layer knows it; the attempt does not).
  const counters = (a: QueueAttempt & { id: string }): QueueCounters =>
    classify({ ...a, wrapUpSeconds: a.id === 'c04' ? 30 : null }, DEFAULTS);
  const byBucket = new Map<string, QueueCounters>();
  for (const a of attempts) {
    const key = bucketStart(a.enteredAt).toISOString();
    byBucket.set(key, addCounters(byBucket.get(key) ?? emptyCounters(), counters(a)));
  }
  const day = [...byBucket.values()].reduce(addCounters, emptyCounters());

  it('09:00–09:15: 14 offered (c01–c14)', () => {
    const c = byBucket.get('2026-03-02T09:00:00.000Z')!;
    expect(c).toEqual({
      offered: 14,
      answered: 7, // c01 c02 c03 c04 c11 c13 c14
      answeredWithinSla: 5, // 10, 20, 15, 8, 3 (not 21, 40)
      abandoned: 3, // c05 (5 s), c08 (45), c12 (30)
      shortAbandoned: 2, // c06 (4 s), c07 (0 s)
      timedOut: 1, // c09
      callbacks: 1, // c10
      sumAnswerWait: 117, // 10+20+21+15+8+3+40
      answeredWithWait: 7,
      maxWait: 120, // c09
      sumAbandonWait: 80, // 5+45+30
      abandonedWithWait: 3,
      sumTalk: 160, // c04 60 + c11 100
      answeredWithTalk: 2,
      sumHandle: 190, // + c04's 30 s wrap-up
      answeredWithHandle: 2,
    });
    const m = derivedMetrics(c);
    expect(m.serviceLevel).toBeCloseTo(5 / 11, 12); // 5 / (7 + 3 + 1)
    expect(m.abandonRate).toBe(0.25); // 3 / (14 − 2)
    expect(m.averageWaitSeconds).toBeCloseTo(117 / 7, 12);
    expect(m.maxWaitSeconds).toBe(120);
    expect(m.averageAbandonWaitSeconds).toBeCloseTo(80 / 3, 12);
    expect(m.averageTalkSeconds).toBe(80);
    expect(m.averageHandleSeconds).toBe(95);
  });

  it('09:15–09:30: 9 offered (c15–c23), one still waiting', () => {
    const c = byBucket.get('2026-03-02T09:15:00.000Z')!;
    expect(c).toEqual({
      offered: 9,
      answered: 3, // c15 (12 s), c16 (19), c23 (20: within)
      answeredWithinSla: 3,
      abandoned: 1, // c18
      shortAbandoned: 1, // c17
      timedOut: 2, // c19 overflow, c20 referred to voicemail
      callbacks: 1, // c21
      sumAnswerWait: 51,
      answeredWithWait: 3,
      maxWait: 180,
      sumAbandonWait: 60,
      abandonedWithWait: 1,
      sumTalk: 245, // 200 + 45
      answeredWithTalk: 2,
      sumHandle: 245,
      answeredWithHandle: 2,
    });
    expect(derivedMetrics(c)).toEqual({
      serviceLevel: 0.5, // 3 / (3 + 1 + 2)
      abandonRate: 0.125, // 1 / (9 − 1)
      averageWaitSeconds: 17,
      maxWaitSeconds: 180,
      averageAbandonWaitSeconds: 60,
      averageTalkSeconds: 122.5,
      averageHandleSeconds: 122.5,
    });
    expect(byBucket.size).toBe(2);
  });

  it('the day: the two buckets add up', () => {
    expect(day).toMatchObject({
      offered: 23,
      answered: 10,
      answeredWithinSla: 8,
      abandoned: 4,
      shortAbandoned: 3,
      timedOut: 3,
      callbacks: 2,
      sumAnswerWait: 168,
      maxWait: 180,
      sumAbandonWait: 140,
      sumTalk: 405,
      answeredWithTalk: 4,
      sumHandle: 435,
      answeredWithHandle: 4,
    });
    const m = derivedMetrics(day);
    expect(m.serviceLevel).toBeCloseTo(8 / 17, 12); // 8 / (10 + 4 + 3)
    expect(m.abandonRate).toBe(0.2); // 4 / (23 − 3)
    expect(m.averageWaitSeconds).toBe(16.8); // 168 / 10
    expect(m.averageAbandonWaitSeconds).toBe(35); // 140 / 4
    expect(m.averageTalkSeconds).toBe(101.25); // 405 / 4
    expect(m.averageHandleSeconds).toBe(108.75); // 435 / 4
  });

  it('the day folds the same from the events in reverse order', () => {
    const reversed = [...eventsByCall([...DAY].reverse())].flatMap(([id, events]) =>
      foldQueueAttempts(id, events, ctx).map((a) => ({ id, ...a })),
    );
    const sort = (xs: typeof attempts) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(sort(reversed)).toStrictEqual(sort(attempts));
  });
});

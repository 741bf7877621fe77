import {
  MAX_SPAN_DAYS,
  hourRollupUsable,
  ReportInputError,
  intervalStartSql,
  intervalStartSqlBySegments,
  offsetSegments,
  validRange,
  validZone,
} from './intervals';

describe('validZone', () => {
  it('accepts IANA zones and UTC, falls back to the default', () => {
    expect(validZone('Asia/Kathmandu')).toBe('Asia/Kathmandu');
    expect(validZone('UTC')).toBe('UTC');
    expect(validZone(undefined, 'Europe/London')).toBe('Europe/London');
  });
  it('rejects anything else with the field name and an example', () => {
    for (const bad of ['Mars/Olympus', '+05:30', '', 'x'.repeat(100)]) {
      expect(() => validZone(bad)).toThrow(ReportInputError);
      expect(() => validZone(bad)).toThrow(/is not an IANA time zone \(e\.g\. Europe\/London\)/);
    }
  });
});

describe('validRange', () => {
  const from = new Date('2026-03-01T00:00:00Z');
  it('needs from < to', () => {
    expect(() => validRange(from, from)).toThrow('from must be before to');
    expect(() => validRange(new Date('nope'), from)).toThrow('from is not a valid date');
  });
  it('limits the span per granularity, inclusive', () => {
    const days = (n: number) => new Date(from.getTime() + n * 86_400_000);
    expect(validRange(from, days(31), 'FIFTEEN_MINUTES').to).toEqual(days(31));
    expect(() => validRange(from, new Date(days(31).getTime() + 1), 'FIFTEEN_MINUTES')).toThrow(
      'the range may span at most 31 days at FIFTEEN_MINUTES',
    );
    expect(MAX_SPAN_DAYS.HOUR).toBeGreaterThan(MAX_SPAN_DAYS.FIFTEEN_MINUTES);
  });
});

describe('intervalStartSql', () => {
  it('steps hours back by the local minute (never truncates local wall time, which merges DST repeats)', () => {
    expect(intervalStartSql('b', 'FIFTEEN_MINUTES', '$1')).toBe('b');
    expect(intervalStartSql('b', 'HOUR', '$1')).toBe(
      '(b - make_interval(mins => extract(minute FROM (b AT TIME ZONE $1))::int))',
    );
    expect(intervalStartSql('b', 'DAY', '$1')).toBe("(date_trunc('day', (b AT TIME ZONE $1)) AT TIME ZONE $1)");
    expect(() => intervalStartSql('b', 'YEAR' as never, '$1')).toThrow('unknown granularity "YEAR"');
  });
});

describe('offsetSegments', () => {
  const at = (iso: string) => new Date(iso).getTime();

  it('one stretch where the offset never changes (+05:30, +05:45, UTC)', () => {
    const from = new Date('2026-02-28T18:30:00Z');
    const to = new Date('2026-03-31T18:30:00Z');
    expect(offsetSegments('Asia/Kolkata', from, to)).toEqual([{ start: from.getTime(), offset: 330 }]);
    expect(offsetSegments('Asia/Kathmandu', from, to)).toEqual([{ start: from.getTime(), offset: 345 }]);
    expect(offsetSegments('UTC', from, to)).toEqual([{ start: from.getTime(), offset: 0 }]);
  });

  it('finds DST changes to the minute, both ways', () => {
    // New York: 2026-03-08 02:00 EST -> EDT (07:00Z); 2026-11-01 02:00 EDT -> EST (06:00Z).
    expect(
      offsetSegments('America/New_York', new Date('2026-03-01T05:00:00Z'), new Date('2026-03-15T04:00:00Z')),
    ).toEqual([
      { start: at('2026-03-01T05:00:00Z'), offset: -300 },
      { start: at('2026-03-08T07:00:00Z'), offset: -240 },
    ]);
    expect(offsetSegments('Europe/London', new Date('2026-03-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'))).toEqual(
      [
        { start: at('2026-03-01T00:00:00Z'), offset: 0 },
        { start: at('2026-03-29T01:00:00Z'), offset: 60 },
        { start: at('2026-10-25T01:00:00Z'), offset: 0 },
      ],
    );
    // Lord Howe moves by 30 minutes.
    const lh = offsetSegments(
      'Australia/Lord_Howe',
      new Date('2026-03-30T00:00:00Z'),
      new Date('2026-04-10T00:00:00Z'),
    );
    expect(lh.map((s) => s.offset)).toEqual([660, 630]);
  });
});

describe('intervalStartSqlBySegments', () => {
  it('date_bin from a local-midnight origin per stretch; null where local wall time is needed', () => {
    const params: unknown[] = ['t'];
    expect(intervalStartSqlBySegments('b', 'HOUR', [{ start: 0, offset: 330 }], params)).toBe(
      "date_bin('1 hour', b, $2::timestamptz)",
    );
    expect(params[1]).toEqual(new Date('1999-12-31T18:30:00Z'));
    const two: unknown[] = [];
    expect(
      intervalStartSqlBySegments(
        'b',
        'THIRTY_MINUTES',
        [
          { start: 0, offset: -300 },
          { start: 1000, offset: -240 },
        ],
        two,
      ),
    ).toBe(
      "(CASE WHEN b < $1::timestamptz THEN date_bin('30 minutes', b, $2::timestamptz) ELSE date_bin('30 minutes', b, $3::timestamptz) END)",
    );
    expect(two).toEqual([new Date(1000), new Date('2000-01-01T05:00:00Z'), new Date('2000-01-01T04:00:00Z')]);
    expect(intervalStartSqlBySegments('b', 'FIFTEEN_MINUTES', [{ start: 0, offset: 0 }], [])).toBe('b');
    expect(intervalStartSqlBySegments('b', 'DAY', [{ start: 0, offset: 0 }], [])).toBeNull();
    expect(intervalStartSqlBySegments('b', 'HOUR', [{ start: 0, offset: 7 }], [])).toBeNull();
  });
});

describe('hourRollupUsable', () => {
  const d = (iso: string) => new Date(iso);
  it('takes the rollups for hours and longer in the tenant zone over whole local hours', () => {
    // Asia/Kolkata (+05:30): local midnight is 18:30Z.
    expect(
      hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', 'HOUR', d('2026-02-28T18:30Z'), d('2026-03-31T18:30Z')),
    ).toBe(true);
    for (const g of ['DAY', 'WEEK', 'MONTH'] as const)
      expect(hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', g, d('2026-02-28T18:30Z'), d('2026-03-31T18:30Z'))).toBe(
        true,
      );
    // Asia/Kathmandu (+05:45): its hours start at a quarter past in UTC.
    expect(
      hourRollupUsable('Asia/Kathmandu', 'Asia/Kathmandu', 'HOUR', d('2026-03-01T02:15Z'), d('2026-03-02T02:15Z')),
    ).toBe(true);
    // One-hour DST changes happen at local hour starts: New York and London in spring and autumn.
    expect(
      hourRollupUsable('America/New_York', 'America/New_York', 'DAY', d('2026-03-01T05:00Z'), d('2026-04-01T04:00Z')),
    ).toBe(true);
    expect(
      hourRollupUsable('Europe/London', 'Europe/London', 'HOUR', d('2026-10-24T23:00Z'), d('2026-10-26T00:00Z')),
    ).toBe(true);
  });

  it('falls back to the 15-minute buckets wherever the rollups could differ', () => {
    const from = d('2026-02-28T18:30Z');
    const to = d('2026-03-31T18:30Z');
    expect(hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', 'THIRTY_MINUTES', from, to)).toBe(false);
    expect(hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', 'FIFTEEN_MINUTES', from, to)).toBe(false);
    // Another zone than the rollups' own, even with the same offsets.
    expect(hourRollupUsable('Asia/Calcutta', 'Asia/Kolkata', 'HOUR', from, to)).toBe(false);
    expect(hourRollupUsable('UTC', 'Asia/Kolkata', 'HOUR', d('2026-03-01T00:00Z'), d('2026-03-02T00:00Z'))).toBe(false);
    // from or to inside a local hour.
    expect(hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', 'HOUR', d('2026-03-01T00:00Z'), to)).toBe(false);
    expect(hourRollupUsable('Asia/Kolkata', 'Asia/Kolkata', 'DAY', from, d('2026-03-31T18:45Z'))).toBe(false);
    // Lord Howe moves its clocks by half an hour: its local hours shift against the rollups'.
    expect(
      hourRollupUsable(
        'Australia/Lord_Howe',
        'Australia/Lord_Howe',
        'HOUR',
        d('2026-03-28T13:00Z'),
        d('2026-04-12T13:00Z'),
      ),
    ).toBe(false);
  });
});

import {
  MAX_SPAN_DAYS,
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

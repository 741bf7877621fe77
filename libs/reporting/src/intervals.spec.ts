import { MAX_SPAN_DAYS, ReportInputError, intervalStartSql, validRange, validZone } from './intervals';

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

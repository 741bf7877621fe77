import {
  formatIsoOffset,
  formatIsoUtc,
  formatWall,
  intervalStart,
  localHour,
  localParts,
  nearOffsetChange,
  parseStart,
  wallToEpoch,
} from './time';

const at = (iso: string) => Date.parse(iso) / 1000;

describe('simulator time helpers', () => {
  it('formats wall time and offsets in the zone, across DST', () => {
    // Sydney: +11:00 in summer (until 5 April 2026), +10:00 after.
    expect(formatWall('Australia/Sydney', at('2026-01-27T01:02:30Z'))).toBe('2026-01-27 12:02:30');
    expect(formatIsoOffset('Australia/Sydney', at('2026-01-27T01:02:30Z'))).toBe('2026-01-27T12:02:30+11:00');
    expect(formatIsoOffset('Australia/Sydney', at('2026-06-01T00:00:00Z'))).toBe('2026-06-01T10:00:00+10:00');
    expect(formatIsoOffset('Asia/Kathmandu', at('2026-06-01T00:00:00Z'))).toBe('2026-06-01T05:45:00+05:45');
    expect(formatIsoOffset('America/New_York', at('2026-01-01T12:00:00Z'))).toBe('2026-01-01T07:00:00-05:00');
    expect(formatIsoUtc(at('2026-01-27T01:02:30Z'))).toBe('2026-01-27T01:02:30Z');
    expect(localParts('Australia/Sydney', at('2026-03-01T13:00:00Z'))).toMatchObject({ day: 2, hour: 0, weekday: 1 });
    expect(localHour('Australia/Sydney', at('2026-03-01T23:30:00Z'))).toBe(10.5);
  });

  it('turns wall times into instants with the gap and overlap rules of the vendor parsers', () => {
    expect(wallToEpoch('America/New_York', 2026, 3, 8, 2, 30)).toBe(at('2026-03-08T07:30:00Z')); // gap: 03:30 EDT
    expect(wallToEpoch('America/New_York', 2026, 11, 1, 1, 30)).toBe(at('2026-11-01T05:30:00Z')); // overlap: earlier
    expect(wallToEpoch('Australia/Sydney', 2026, 3, 2)).toBe(at('2026-03-01T13:00:00Z'));
    expect(nearOffsetChange('America/New_York', at('2026-11-01T06:00:00Z'))).toBe(true);
    expect(nearOffsetChange('America/New_York', at('2026-11-02T06:00:00Z'))).toBe(false);
  });

  it('parses --start as wall time in the zone or as an ISO instant', () => {
    expect(parseStart('2026-03-02', 'Australia/Sydney')).toBe(at('2026-03-01T13:00:00Z'));
    expect(parseStart('2026-03-02T10:00', 'Australia/Sydney')).toBe(at('2026-03-01T23:00:00Z'));
    expect(parseStart('2026-03-02T10:00:00Z', 'Australia/Sydney')).toBe(at('2026-03-02T10:00:00Z'));
    expect(parseStart('2026-03-02T10:00+05:30', 'UTC')).toBe(at('2026-03-02T04:30:00Z'));
    expect(parseStart('yesterday', 'UTC')).toBeNull();
    expect(parseStart('2026-13-02', 'UTC')).toBeNull();
    expect(intervalStart(at('2026-03-02T10:14:59Z'))).toBe(at('2026-03-02T10:00:00Z'));
  });
});

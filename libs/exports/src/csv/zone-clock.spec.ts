import { DateTime } from 'luxon';
import { ZoneClock } from './zone-clock';

const ms = (iso: string) => Date.parse(iso);

describe('ZoneClock', () => {
  it('writes ISO 8601 with milliseconds and the zone offset', () => {
    expect(new ZoneClock('UTC').format(ms('2026-03-02T09:00:00Z'))).toBe('2026-03-02T09:00:00.000+00:00');
    expect(new ZoneClock('Asia/Kathmandu').format(ms('2026-03-02T09:00:00.5Z'))).toBe('2026-03-02T14:45:00.500+05:45');
    expect(new ZoneClock('America/New_York').format(ms('2026-01-01T04:59:59.999Z'))).toBe(
      '2025-12-31T23:59:59.999-05:00',
    );
    expect(new ZoneClock('America/St_Johns').format(ms('2026-07-01T12:00:00Z'))).toBe('2026-07-01T09:30:00.000-02:30');
  });

  it('is exact on both sides of a DST change, including the repeated hour', () => {
    const london = new ZoneClock('Europe/London');
    // 2026-10-25: 01:00-02:00 BST (+01:00) is followed by 01:00-02:00 GMT (+00:00).
    expect(london.format(ms('2026-10-25T00:59:59.999Z'))).toBe('2026-10-25T01:59:59.999+01:00');
    expect(london.format(ms('2026-10-25T01:00:00Z'))).toBe('2026-10-25T01:00:00.000+00:00');
    expect(london.format(ms('2026-10-25T00:30:00Z'))).toBe('2026-10-25T01:30:00.000+01:00');
    expect(london.format(ms('2026-10-25T01:30:00Z'))).toBe('2026-10-25T01:30:00.000+00:00');
    // Spring: 01:00 GMT jumps to 02:00 BST.
    expect(london.format(ms('2026-03-29T00:59:00Z'))).toBe('2026-03-29T00:59:00.000+00:00');
    expect(london.format(ms('2026-03-29T01:00:00Z'))).toBe('2026-03-29T02:00:00.000+01:00');
  });

  it('is exact for a change of offset inside a 15-minute bucket', () => {
    // Samoa moved across the date line at midnight: 2011-12-30 never happened there.
    const apia = new ZoneClock('Pacific/Apia');
    expect(apia.format(ms('2011-12-30T09:59:59Z'))).toBe('2011-12-29T23:59:59.000-10:00');
    expect(apia.format(ms('2011-12-30T10:00:00Z'))).toBe('2011-12-31T00:00:00.000+14:00');
  });

  it('agrees with luxon over a year of random instants in several zones', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 366 * 86_400_000;
    for (const zone of ['Europe/London', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe', 'UTC']) {
      const clock = new ZoneClock(zone);
      for (let i = 0; i < 2000; i++) {
        const t = Math.floor(ms('2026-01-01T00:00:00Z') + random());
        expect(clock.format(t)).toBe(DateTime.fromMillis(t, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ"));
      }
    }
  });

  it('refuses a zone that is not IANA', () => {
    expect(() => new ZoneClock('Mars/Olympus')).toThrow('"Mars/Olympus" is not an IANA time zone');
  });
});

import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addSeconds,
  isAbsentValue,
  isValidTimeZone,
  parseUnixSeconds,
  parseZonedTime,
  wallTimeToInstant,
} from './time';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const local = (text: string, zone: string): string | null => {
  const r = parseZonedTime(text, zone);
  expect(r.problem).toBeNull();
  return iso(r.value);
};

describe('parseUnixSeconds', () => {
  it.each([
    ['1725845648', '2024-09-09T01:34:08.000Z'],
    [' 1725845648 ', '2024-09-09T01:34:08.000Z'],
    [1725845648, '2024-09-09T01:34:08.000Z'],
    ['1725845648.5', '2024-09-09T01:34:08.500Z'],
    [1, '1970-01-01T00:00:01.000Z'],
  ])('reads %p', (input, expected) => {
    expect(iso(parseUnixSeconds(input).value)).toBe(expected);
    expect(parseUnixSeconds(input).problem).toBeNull();
  });

  it.each([['0'], [0], [''], ['  '], [null], [undefined], ['null'], ['NULL']])(
    'treats %p as "did not happen" (null, no problem)',
    (input) => {
      expect(parseUnixSeconds(input)).toEqual({ value: null, problem: null });
    },
  );

  it.each([
    ['abc'],
    ['-5'],
    [-5],
    ['1725845648abc'],
    ['1.7e9'],
    ['2024-09-09T01:34:08Z'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [true],
    [{}],
    [[1725845648]],
    ['1725845648000'], // milliseconds, not seconds
  ])('rejects %p with a problem and never throws', (input) => {
    const r = parseUnixSeconds(input);
    expect(r.value).toBeNull();
    expect(r.problem).toEqual(expect.any(String));
  });
});

describe('parseZonedTime', () => {
  it('reads ISO 8601 with an offset or Z regardless of the source zone', () => {
    expect(local('2026-01-27T12:02:30+11:00', 'America/New_York')).toBe('2026-01-27T01:02:30.000Z');
    expect(local('2026-01-27T12:02:30Z', 'Australia/Sydney')).toBe('2026-01-27T12:02:30.000Z');
    expect(local('2026-01-27T12:02:30z', 'UTC')).toBe('2026-01-27T12:02:30.000Z');
    expect(local('2026-01-27T12:02:30-0330', 'UTC')).toBe('2026-01-27T15:32:30.000Z');
    expect(local('2026-01-27T12:02:30+05', 'UTC')).toBe('2026-01-27T07:02:30.000Z');
    expect(local('2026-01-27T12:02:30.123456+05:45', 'UTC')).toBe('2026-01-27T06:17:30.123Z');
    expect(local('2026-01-27 12:02:30 +01:00', 'UTC')).toBe('2026-01-27T11:02:30.000Z');
  });

  it('reads zone-less ISO and "YYYY-MM-DD HH:mm:ss" as wall time of the source zone', () => {
    expect(local('2026-01-27 12:02:30', 'Australia/Sydney')).toBe('2026-01-27T01:02:30.000Z');
    expect(local('2026-01-27T12:02:30', 'Australia/Sydney')).toBe('2026-01-27T01:02:30.000Z');
    expect(local('2026-07-27T12:02:30', 'Australia/Sydney')).toBe('2026-07-27T02:02:30.000Z');
    expect(local('2026-01-27T12:02', 'Asia/Kolkata')).toBe('2026-01-27T06:32:00.000Z');
    expect(local('2026-01-27 12:02:30', 'Asia/Kathmandu')).toBe('2026-01-27T06:17:30.000Z');
    expect(local('2026-01-27 12:02:30', 'UTC')).toBe('2026-01-27T12:02:30.000Z');
  });

  it('treats null spellings and the all-zero MySQL date as absent', () => {
    for (const v of [null, undefined, '', 'null', '0000-00-00 00:00:00']) {
      expect(parseZonedTime(v, 'UTC')).toEqual({ value: null, problem: null });
    }
  });

  it.each([
    ['yesterday'],
    ['2026-02-30 10:00:00'],
    ['2026-13-01 10:00:00'],
    ['2026-01-27 24:00:00'],
    ['2026-01-27 12:60:00'],
    ['2026-01-27'],
    ['27/01/2026 12:02:30'],
    ['2026-01-27T12:02:30+25:00'],
    ['2026-01-27T12:02:30+10:75'],
    [1725845648],
    [{}],
    [true],
  ])('rejects %p with a problem', (input) => {
    const r = parseZonedTime(input, 'Europe/London');
    expect(r.value).toBeNull();
    expect(r.problem).toEqual(expect.any(String));
  });

  it('needs a valid zone only for zone-less times', () => {
    expect(parseZonedTime('2026-01-27 12:02:30', 'Mars/Olympus').problem).toMatch(/time zone/);
    expect(parseZonedTime('2026-01-27 12:02:30', '').problem).toMatch(/time zone/);
    expect(iso(parseZonedTime('2026-01-27T12:02:30Z', 'Mars/Olympus').value)).toBe('2026-01-27T12:02:30.000Z');
  });
});

describe('DST resolution of zone-less wall times', () => {
  describe('America/New_York', () => {
    it('shifts a spring-forward gap time forward by the gap (02:30 → 03:30 EDT)', () => {
      expect(local('2026-03-08 02:30:00', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
      expect(local('2026-03-08 02:00:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
      expect(local('2026-03-08 02:59:59', 'America/New_York')).toBe('2026-03-08T07:59:59.000Z');
    });

    it('leaves the edges of the gap alone', () => {
      expect(local('2026-03-08 01:59:59', 'America/New_York')).toBe('2026-03-08T06:59:59.000Z'); // EST
      expect(local('2026-03-08 03:00:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z'); // EDT
    });

    it('picks the earlier instant (EDT) in the fall-back overlap', () => {
      expect(local('2026-11-01 01:30:00', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
      expect(local('2026-11-01 01:00:00', 'America/New_York')).toBe('2026-11-01T05:00:00.000Z');
      expect(local('2026-11-01 01:59:59', 'America/New_York')).toBe('2026-11-01T05:59:59.000Z');
    });

    it('leaves the edges of the overlap alone', () => {
      expect(local('2026-11-01 00:59:59', 'America/New_York')).toBe('2026-11-01T04:59:59.000Z'); // EDT
      expect(local('2026-11-01 02:00:00', 'America/New_York')).toBe('2026-11-01T07:00:00.000Z'); // EST
    });
  });

  describe('Europe/London', () => {
    it('shifts 01:30 on the spring-forward day to 02:30 BST', () => {
      expect(local('2026-03-29 01:30:00', 'Europe/London')).toBe('2026-03-29T01:30:00.000Z');
      expect(local('2026-03-29 00:59:59', 'Europe/London')).toBe('2026-03-29T00:59:59.000Z');
    });

    it('picks BST (the earlier instant) for 01:30 on the fall-back day', () => {
      expect(local('2026-10-25 01:30:00', 'Europe/London')).toBe('2026-10-25T00:30:00.000Z');
      expect(local('2026-10-25 02:00:00', 'Europe/London')).toBe('2026-10-25T02:00:00.000Z');
    });
  });

  it('handles half-hour DST (Australia/Lord_Howe) and the southern hemisphere (Australia/Sydney)', () => {
    // Lord Howe moves 02:00 → 02:30 in October and 02:00 → 01:30 in April.
    expect(local('2026-10-04 02:15:00', 'Australia/Lord_Howe')).toBe('2026-10-03T15:45:00.000Z'); // 02:45 +11
    expect(local('2026-04-05 01:45:00', 'Australia/Lord_Howe')).toBe('2026-04-04T14:45:00.000Z'); // +11, earlier
    expect(local('2026-10-04 02:30:00', 'Australia/Sydney')).toBe('2026-10-03T16:30:00.000Z'); // 03:30 AEDT
    expect(local('2026-04-05 02:30:00', 'Australia/Sydney')).toBe('2026-04-04T15:30:00.000Z'); // AEDT, earlier
  });

  it('handles a whole skipped day (Pacific/Apia, 2011-12-30) by shifting forward 24 h', () => {
    expect(local('2011-12-30 10:00:00', 'Pacific/Apia')).toBe('2011-12-30T20:00:00.000Z'); // = 12-31 10:00 +14
  });

  it('differs from luxon on overlaps: luxon alone picks the LATER instant, so we resolve ourselves', () => {
    // Characterisation of luxon 3.x; if this starts failing luxon changed, our rule did not.
    const byLuxon = DateTime.fromObject(
      { year: 2026, month: 11, day: 1, hour: 1, minute: 30 },
      { zone: 'America/New_York' },
    )
      .toUTC()
      .toISO();
    expect(byLuxon).toBe('2026-11-01T06:30:00.000Z');
    expect(local('2026-11-01 01:30:00', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('agrees with luxon on gaps (both shift forward)', () => {
    const byLuxon = DateTime.fromObject(
      { year: 2026, month: 3, day: 8, hour: 2, minute: 30 },
      { zone: 'America/New_York' },
    )
      .toUTC()
      .toISO();
    expect(byLuxon).toBe('2026-03-08T07:30:00.000Z');
    expect(local('2026-03-08 02:30:00', 'America/New_York')).toBe(byLuxon);
  });

  it("property: any instant's wall time maps back to the earliest instant showing that wall time", () => {
    const zones = [
      'America/New_York',
      'Europe/London',
      'Australia/Sydney',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }),
        (zone, seconds) => {
          const at = DateTime.fromSeconds(seconds, { zone });
          const back = wallTimeToInstant(
            { year: at.year, month: at.month, day: at.day, hour: at.hour, minute: at.minute, second: at.second },
            zone,
          );
          expect(back).not.toBeNull();
          const b = DateTime.fromJSDate(back as Date, { zone });
          expect(b.toFormat('yyyy-MM-dd HH:mm:ss')).toBe(at.toFormat('yyyy-MM-dd HH:mm:ss'));
          // Earliest: either the same instant, or the first pass through a repeated hour.
          expect((back as Date).getTime()).toBeLessThanOrEqual(seconds * 1000);
          if ((back as Date).getTime() < seconds * 1000) expect(b.offset).toBeGreaterThan(at.offset);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: gap times always land after the transition, shifted by the gap length', () => {
    // Every spring-forward of New York 2000-2040 at 02:xx.
    fc.assert(
      fc.property(fc.integer({ min: 2007, max: 2040 }), fc.integer({ min: 0, max: 59 }), (year, minute) => {
        const secondSunday = DateTime.fromObject({ year, month: 3, day: 1 }, { zone: 'UTC' });
        const day = 1 + ((7 - secondSunday.weekday) % 7) + 7;
        const r = wallTimeToInstant({ year, month: 3, day, hour: 2, minute, second: 0 }, 'America/New_York');
        const b = DateTime.fromJSDate(r as Date, { zone: 'America/New_York' });
        expect([b.hour, b.minute, b.offset]).toEqual([3, minute, -240]);
      }),
    );
  });
});

describe('small helpers', () => {
  it('isAbsentValue knows the null spellings', () => {
    expect([null, undefined, '', ' ', 'null', 'Null'].map(isAbsentValue)).toEqual([true, true, true, true, true, true]);
    expect([0, '0', false, 'none', {}].map(isAbsentValue)).toEqual([false, false, false, false, false]);
  });

  it('isValidTimeZone', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it('wallTimeToInstant rejects impossible fields and zones', () => {
    expect(wallTimeToInstant({ year: 2026, month: 2, day: 30, hour: 0, minute: 0, second: 0 }, 'UTC')).toBeNull();
    expect(wallTimeToInstant({ year: 2026, month: 2, day: 3, hour: 0, minute: 0, second: 0 }, 'Nope/Nope')).toBeNull();
  });

  it('addSeconds is null-safe', () => {
    expect(iso(addSeconds(new Date('2026-01-01T00:00:00Z'), 95))).toBe('2026-01-01T00:01:35.000Z');
    expect(addSeconds(null, 5)).toBeNull();
    expect(addSeconds(new Date(0), null)).toBeNull();
  });
});

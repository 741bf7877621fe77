import { DAILY_SHAPE_MAX, arrivalRate, dailyShape, dayFactor, poissonArrivals } from './arrivals';
import { Rng } from './prng';
import { localParts, parseStart } from './time';

describe('arrival curve', () => {
  it('averages 1 over the day, is low at night and peaks mid-morning and mid-afternoon', () => {
    let sum = 0;
    for (let m = 0; m < 1440; m++) sum += dailyShape((m + 0.5) / 60);
    expect(sum / 1440).toBeCloseTo(1, 6);
    const peak = Math.max(...Array.from({ length: 1440 }, (_, m) => dailyShape(m / 60)));
    expect(peak).toBeLessThanOrEqual(DAILY_SHAPE_MAX);
    for (const night of [0, 2, 3.5, 5]) expect(dailyShape(night)).toBeLessThan(peak * 0.05);
    // Local maxima near 10:30 and 14:45 with a lunch dip between them.
    const at = (h: number) => dailyShape(h);
    expect(at(10.5)).toBeGreaterThan(at(9));
    expect(at(10.5)).toBeGreaterThan(at(12.5));
    expect(at(14.75)).toBeGreaterThan(at(12.5));
    expect(at(14.75)).toBeGreaterThan(at(17));
    expect(at(10.5)).toBeGreaterThan(at(14.75));
    expect(dayFactor(6)).toBeLessThan(0.5);
    expect(dayFactor(7)).toBeLessThan(dayFactor(6));
  });

  it('draws Poisson arrivals whose hourly counts follow the curve', () => {
    const zone = 'Australia/Sydney';
    const from = parseStart('2026-03-02', zone)!; // a Monday
    const days = 5;
    const perDay = 4000;
    const byHour = new Array<number>(24).fill(0);
    let total = 0;
    let last = -Infinity;
    for (const t of poissonArrivals(Rng.from(9, 'arrivals'), perDay, zone, from, from + days * 86400)) {
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
      byHour[localParts(zone, t).hour]++;
      total++;
    }
    // Expected: Σ over the five weekdays of their day factors × calls per day.
    const expected = perDay * [1, 2, 3, 4, 5].reduce((s, d) => s + dayFactor(d), 0);
    expect(Math.abs(total - expected)).toBeLessThan(4 * Math.sqrt(expected));
    for (let h = 0; h < 24; h++) {
      let mean = 0;
      for (let m = 0; m < 60; m++) mean += dailyShape(h + (m + 0.5) / 60) / 60;
      const want = (expected / 24) * mean;
      // Within 5 standard deviations of a Poisson count (or a small absolute slack at night).
      expect({ h, diff: Math.abs(byHour[h] - want) <= 5 * Math.sqrt(want) + 3 }).toEqual({ h, diff: true });
    }
    expect(byHour[10]).toBeGreaterThan(byHour[3] * 20);
  });

  it('has no arrivals without volume, and a rate that follows the weekday', () => {
    expect([...poissonArrivals(Rng.from(1, 'x'), 0, 'UTC', 0, 86400)]).toEqual([]);
    const monday = parseStart('2026-03-02T10:30', 'UTC')!;
    expect(arrivalRate(8640, 'UTC', monday)).toBeCloseTo(0.1 * dailyShape(10.5) * dayFactor(1), 9);
    expect(arrivalRate(8640, 'UTC', monday + 6 * 86400)).toBeLessThan(arrivalRate(8640, 'UTC', monday) / 5);
  });
});

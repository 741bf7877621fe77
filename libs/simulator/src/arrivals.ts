import { Rng } from './prng';
import { localHour, localParts } from './time';

/**
 * The daily arrival curve of a business phone line: almost nothing at night, a ramp from 7 am, a
 * mid-morning peak around 10:30, a lunch dip, a second (slightly lower) peak mid-afternoon and a
 * tail into the evening. Built from two Gaussian humps on a small floor, then scaled so its mean
 * over 24 hours is exactly 1: `callsPerDay × shape(h) / 24` is the expected calls in hour h.
 */
const FLOOR = 0.02;
const HUMPS: ReadonlyArray<{ at: number; width: number; weight: number }> = [
  { at: 10.5, width: 1.5, weight: 1 },
  { at: 14.75, width: 1.8, weight: 0.85 },
  { at: 19, width: 1.2, weight: 0.12 },
];

function rawShape(h: number): number {
  let v = FLOOR;
  for (const hump of HUMPS) v += hump.weight * Math.exp(-0.5 * ((h - hump.at) / hump.width) ** 2);
  return v;
}

// Numeric mean over the day (fine enough: the humps are smooth at a one-minute step).
const RAW_MEAN = (() => {
  let sum = 0;
  for (let m = 0; m < 1440; m++) sum += rawShape((m + 0.5) / 60);
  return sum / 1440;
})();

/** Relative call intensity at local hour `h` (0–24); its mean over a day is 1. */
export function dailyShape(h: number): number {
  return rawShape(h) / RAW_MEAN;
}

/** The largest value dailyShape takes (for thinning). */
export const DAILY_SHAPE_MAX = (() => {
  let max = 0;
  for (let m = 0; m < 1440; m++) max = Math.max(max, dailyShape(m / 60));
  return max * 1.001;
})();

/** Volume of a weekday (ISO 1 = Monday) relative to a normal weekday: Mondays busiest, weekends quiet. */
export function dayFactor(weekday: number): number {
  return [1.15, 1, 1, 0.98, 0.92, 0.25, 0.12][weekday - 1] ?? 1;
}

/** Expected calls per second at Unix second `sec` for a line with `callsPerDay` on a normal weekday. */
export function arrivalRate(callsPerDay: number, zone: string, sec: number): number {
  return (callsPerDay / 86400) * dailyShape(localHour(zone, sec)) * dayFactor(localParts(zone, sec).weekday);
}

/**
 * Call arrival instants (whole seconds, ascending) of a non-homogeneous Poisson process over
 * [from, to), by thinning: candidates at the peak rate, each kept with probability rate/peak.
 */
export function* poissonArrivals(
  rng: Rng,
  callsPerDay: number,
  zone: string,
  from: number,
  to: number,
): Generator<number> {
  if (!(callsPerDay > 0)) return;
  const peak = (callsPerDay / 86400) * DAILY_SHAPE_MAX * dayFactor(1);
  let t = from;
  for (;;) {
    t += rng.exp(1 / peak);
    if (t >= to) return;
    if (rng.next() * peak < arrivalRate(callsPerDay, zone, t)) yield Math.floor(t);
  }
}

import { DateTime } from 'luxon';

/** CONTRACT.md `RelativeRange`: the whole period before the one an instant falls in. */
export const RELATIVE_RANGES = ['PREVIOUS_HOUR', 'PREVIOUS_DAY', 'PREVIOUS_WEEK', 'PREVIOUS_MONTH'] as const;
export type RelativeRange = (typeof RELATIVE_RANGES)[number];

/** A half-open period `[from, to)`. */
export interface Period {
  from: Date;
  to: Date;
}

const UNIT = { PREVIOUS_HOUR: 'hour', PREVIOUS_DAY: 'day', PREVIOUS_WEEK: 'week', PREVIOUS_MONTH: 'month' } as const;

/**
 * The period before the one `at` lies in, on the wall clock of `zone`: the previous hour, day,
 * week (Monday to Monday, ISO) or month. Days, weeks and months are calendar periods, so the day
 * of a DST change is 23 or 25 hours long; an hour is always 60 minutes (the repeated 01:00 of an
 * autumn night is two hours). For a schedule, `at` is the time it was due, not when it ran, so a
 * late run still exports the period it was meant for.
 */
export function relativePeriod(range: RelativeRange, at: Date, zone: string): Period {
  const unit = UNIT[range];
  if (!unit) throw new Error(`unknown range "${String(range)}"`);
  const end = DateTime.fromJSDate(at, { zone }).startOf(unit);
  const start = unit === 'hour' ? end.minus({ hours: 1 }) : end.minus({ [`${unit}s`]: 1 });
  return { from: start.toJSDate(), to: end.toJSDate() };
}

import { IANAZone } from 'luxon';

/** Reporting granularities (CONTRACT.md `Granularity`). */
export const GRANULARITIES = ['FIFTEEN_MINUTES', 'THIRTY_MINUTES', 'HOUR', 'DAY', 'WEEK', 'MONTH'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** The longest range one request may cover, per granularity (days). */
export const MAX_SPAN_DAYS: Readonly<Record<Granularity, number>> = Object.freeze({
  FIFTEEN_MINUTES: 31,
  THIRTY_MINUTES: 62,
  HOUR: 92,
  DAY: 732,
  WEEK: 1830,
  MONTH: 3660,
});

/** A report parameter a caller got wrong; the message says which and what is expected. */
export class ReportInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReportInputError';
  }
}

/** Returns the zone if it is a valid IANA zone name (`UTC` included), else a ReportInputError. */
export function validZone(zone: string | null | undefined, fallback = 'UTC'): string {
  const z = zone ?? fallback;
  if (typeof z !== 'string' || z.length > 64 || !IANAZone.isValidZone(z))
    throw new ReportInputError('timezone', `timezone "${String(z)}" is not an IANA time zone (e.g. Europe/London)`);
  return z;
}

/** Checks `from < to` and the granularity's maximum span. */
export function validRange(from: Date, to: Date, granularity?: Granularity): { from: Date; to: Date } {
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw new ReportInputError('from', 'from is not a valid date');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new ReportInputError('to', 'to is not a valid date');
  if (from.getTime() >= to.getTime()) throw new ReportInputError('to', 'from must be before to');
  if (granularity) {
    const max = MAX_SPAN_DAYS[granularity];
    if (max === undefined) throw new ReportInputError('granularity', `unknown granularity "${String(granularity)}"`);
    if (to.getTime() - from.getTime() > max * 86_400_000)
      throw new ReportInputError('to', `the range may span at most ${max} days at ${granularity}`);
  }
  return { from, to };
}

/**
 * SQL for the start of the reporting interval that contains a 15-minute UTC bucket start `column`,
 * in the zone bound as `zoneParam` (e.g. `$3`). Stats are stored per 15-minute UTC bucket, and
 * every zone in use today has an offset that is a multiple of 15 minutes, so each local interval
 * is an exact union of buckets:
 * - 30 minutes and hours step back by the local minute of the bucket (so the two 01:00 hours of a
 *   25-hour day stay two intervals, and +05:45 hours start at :15 UTC);
 * - days, weeks (Monday) and months truncate the local wall time and convert it back (a DST day
 *   is then 23 or 25 hours long).
 * The result is a timestamptz.
 */
export function intervalStartSql(column: string, granularity: Granularity, zoneParam: string): string {
  const local = `(${column} AT TIME ZONE ${zoneParam})`;
  switch (granularity) {
    case 'FIFTEEN_MINUTES':
      return column;
    case 'THIRTY_MINUTES':
      return `(${column} - make_interval(mins => extract(minute FROM ${local})::int % 30))`;
    case 'HOUR':
      return `(${column} - make_interval(mins => extract(minute FROM ${local})::int))`;
    case 'DAY':
      return `(date_trunc('day', ${local}) AT TIME ZONE ${zoneParam})`;
    case 'WEEK':
      return `(date_trunc('week', ${local}) AT TIME ZONE ${zoneParam})`;
    case 'MONTH':
      return `(date_trunc('month', ${local}) AT TIME ZONE ${zoneParam})`;
    default:
      throw new ReportInputError('granularity', `unknown granularity "${String(granularity)}"`);
  }
}

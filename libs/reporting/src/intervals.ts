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

/** A stretch of time over which a zone's UTC offset does not change. */
export interface OffsetSegment {
  /** First instant of the stretch (ms since the epoch). */
  start: number;
  /** UTC offset in minutes (e.g. 330 for +05:30). */
  offset: number;
}

const DAY_MS = 86_400_000;

/**
 * The zone's offset over [from, to) as constant stretches, found by looking once a day and
 * narrowing each change down to the minute (tz rules never change an offset twice within a day).
 */
export function offsetSegments(zone: string, from: Date, to: Date): OffsetSegment[] {
  const z = IANAZone.create(zone);
  const end = to.getTime();
  let t = from.getTime();
  let offset = z.offset(t);
  const segments: OffsetSegment[] = [{ start: t, offset }];
  while (t < end) {
    const next = Math.min(t + DAY_MS, end - 1);
    if (next <= t) break;
    if (z.offset(next) === offset) {
      t = next + 1;
      continue;
    }
    // The first minute in (t, next] with another offset: offsets change on whole minutes.
    let lo = Math.floor(t / 60_000);
    let hi = Math.floor(next / 60_000);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (z.offset(mid * 60_000) === offset) lo = mid;
      else hi = mid;
    }
    t = hi * 60_000;
    offset = z.offset(t);
    segments.push({ start: t, offset });
  }
  return segments;
}

const ORIGIN_MS = Date.UTC(2000, 0, 1);
const STEP: Partial<Record<Granularity, string>> = { THIRTY_MINUTES: '30 minutes', HOUR: '1 hour' };

/**
 * Like intervalStartSql, for the sub-day granularities without converting every row to local
 * time: within each stretch of constant offset (offsetSegments over the request's range), an
 * interval starts where `date_bin` with a local-midnight origin puts it — the same instants,
 * several times cheaper on a month of buckets. Instants go into `params`. Returns null for days,
 * weeks and months (use intervalStartSql) and for offsets that are not whole quarter hours.
 */
export function intervalStartSqlBySegments(
  column: string,
  granularity: Granularity,
  segments: readonly OffsetSegment[],
  params: unknown[],
): string | null {
  if (granularity === 'FIFTEEN_MINUTES') return column;
  const step = STEP[granularity];
  if (!step || segments.length === 0 || segments.some((s) => s.offset % 15 !== 0)) return null;
  const p = (value: unknown) => `$${params.push(value)}`;
  const bin = (s: OffsetSegment) =>
    `date_bin('${step}', ${column}, ${p(new Date(ORIGIN_MS - s.offset * 60_000))}::timestamptz)`;
  if (segments.length === 1) return bin(segments[0]);
  const whens = segments
    .slice(1)
    .map((s, i) => `WHEN ${column} < ${p(new Date(s.start))}::timestamptz THEN ${bin(segments[i])}`);
  return `(CASE ${whens.join(' ')} ELSE ${bin(segments[segments.length - 1])} END)`;
}

/**
 * SQL for the interval start of bucket `column` (a timestamptz) as milliseconds since the epoch,
 * its parameters appended to `params`: by offset stretches where that applies
 * (intervalStartSqlBySegments), else by local wall time (intervalStartSql). A number is what the
 * reports read back: it parses many times faster than a timestamp's text.
 */
export function intervalStartMsSql(
  column: string,
  granularity: Granularity,
  zone: string,
  range: { from: Date; to: Date },
  params: unknown[],
): string {
  const bySegments = intervalStartSqlBySegments(
    column,
    granularity,
    offsetSegments(zone, range.from, range.to),
    params,
  );
  const start = bySegments ?? intervalStartSql(column, granularity, `$${params.push(zone)}::text`);
  // date_part is float8 arithmetic; extract() would compute in numeric, row by row.
  return `(date_part('epoch', ${start}) * 1000)`;
}

const HOUR_MS = 3_600_000;
const startsLocalHour = (ms: number, offsetMinutes: number) => (ms + offsetMinutes * 60_000) % HOUR_MS === 0;

/**
 * Whether hour rollups kept in the hours of `rollupZone` (queue_hour_stats) give exactly the
 * answer of the 15-minute buckets for intervals of `granularity` in `zone` over [from, to): the
 * zone is the rollups' own, the intervals are hours or longer, `from` and `to` start local hours,
 * and every offset in the range is a whole number of quarter hours, differs from the others by
 * whole hours and changes only at a local hour's start — so every local hour lies whole in one
 * interval and inside the range, and its buckets' sum is the rollup row.
 */
export function hourRollupUsable(
  zone: string,
  rollupZone: string,
  granularity: Granularity,
  from: Date,
  to: Date,
): boolean {
  if (zone !== rollupZone || granularity === 'FIFTEEN_MINUTES' || granularity === 'THIRTY_MINUTES') return false;
  const segments = offsetSegments(zone, from, to);
  const first = segments[0].offset;
  if (!startsLocalHour(to.getTime(), IANAZone.create(zone).offset(to.getTime()))) return false;
  return segments.every(
    (s) => s.offset % 15 === 0 && (s.offset - first) % 60 === 0 && startsLocalHour(s.start, s.offset),
  );
}

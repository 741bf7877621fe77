import { DateTime, IANAZone } from 'luxon';
import { describeValue } from './describe';

/**
 * Outcome of reading one time field. `value: null, problem: null` means the vendor said the moment
 * did not happen (or the field is empty); `problem` set means the field held something unusable.
 */
export interface TimeResult {
  value: Date | null;
  problem: string | null;
}

/** Wall-clock fields of a zone-less local time. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond?: number;
}

const MINUTE_MS = 60_000;
const TWO_DAYS_MS = 2 * 24 * 3_600_000;
// Beyond this a "seconds" value is almost certainly milliseconds or junk (year > 5000).
const MAX_UNIX_SECONDS = 100_000_000_000;

const ABSENT: TimeResult = { value: null, problem: null };

function fail(problem: string): TimeResult {
  return { value: null, problem };
}

/** True for the spellings vendors use for "no value": undefined, null, "" and "null" (any case, trimmed). */
export function isAbsentValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'string') return false;
  const t = value.trim();
  return t === '' || t.toLowerCase() === 'null';
}

/** Reads Unix seconds (number or digit string); 0/"0"/""/null/"null" mean "did not happen" and give null. */
export function parseUnixSeconds(input: unknown): TimeResult {
  if (isAbsentValue(input)) return ABSENT;
  let seconds: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(`not a finite number: ${describeValue(input)}`);
    seconds = input;
  } else if (typeof input === 'string') {
    const t = input.trim();
    if (!/^\d+(\.\d+)?$/.test(t)) return fail(`not Unix seconds: ${describeValue(input)}`);
    seconds = Number(t);
  } else {
    return fail(`expected Unix seconds, got ${describeValue(input)}`);
  }
  if (seconds === 0) return ABSENT;
  if (seconds < 0 || seconds >= MAX_UNIX_SECONDS) return fail(`Unix seconds out of range: ${describeValue(input)}`);
  return { value: new Date(Math.round(seconds * 1000)), problem: null };
}

/** True when `zone` is a time zone luxon (and so Intl) can resolve. */
export function isValidTimeZone(zone: string): boolean {
  // IANAZone.create caches instances and their validity; IANAZone.isValidZone builds an
  // Intl.DateTimeFormat on every call (~60 µs), far too slow per event.
  return typeof zone === 'string' && zone.trim() !== '' && IANAZone.create(zone.trim()).isValid;
}

/**
 * Instant of a zone-less wall time in an IANA zone. Overlap (clock set back): the EARLIER instant.
 * Gap (clock set forward): shifted forward by the gap length, e.g. 02:30 → 03:30 on a 1 h gap.
 * Returns null for an invalid zone or impossible fields (Feb 30, hour 24).
 */
export function wallTimeToInstant(wall: WallTime, zone: string): Date | null {
  if (!isValidTimeZone(zone) || wall.hour > 23) return null;
  const fields = DateTime.fromObject({ ...wall, millisecond: wall.millisecond ?? 0 }, { zone: 'utc' });
  if (!fields.isValid) return null;
  const z = IANAZone.create(zone.trim());
  // The wall time read as if it were UTC; subtracting the zone's offset gives the instant.
  const wallMs = fields.toMillis();
  // DST transitions fall on whole minutes, so the chosen offset is the same for a whole wall minute.
  const wallMinute = Math.floor(wallMs / MINUTE_MS) * MINUTE_MS;
  const cacheKey = `${z.name}|${wallMinute}`;
  let offset = offsetCache.get(cacheKey);
  if (offset === undefined) {
    offset = resolveOffset(wallMinute, z);
    if (offsetCache.size >= OFFSET_CACHE_SIZE) offsetCache.clear();
    offsetCache.set(cacheKey, offset);
  }
  return new Date(wallMs - offset * MINUTE_MS);
}

// Memo of resolveOffset (pure); IANAZone.offset costs a few µs per call and events cluster in time.
const OFFSET_CACHE_SIZE = 10_000;
const offsetCache = new Map<string, number>();

/** The offset (minutes) to subtract from a wall time, applying the overlap/gap rules. */
function resolveOffset(wallMs: number, z: IANAZone): number {
  // luxon's own resolution picks the later instant in an overlap (see time.spec.ts), so the
  // candidates are checked here instead: every offset in force near this wall time is tried.
  const candidates = new Set([z.offset(wallMs - TWO_DAYS_MS), z.offset(wallMs), z.offset(wallMs + TWO_DAYS_MS)]);
  let best: number | null = null;
  for (const offset of candidates) {
    // The largest fitting offset is the earliest instant.
    if (z.offset(wallMs - offset * MINUTE_MS) === offset && (best === null || offset > best)) best = offset;
  }
  if (best !== null) return best;
  // No offset fits: the wall time is in a gap. Reading it with the offset in force before the
  // transition lands after the transition, i.e. shifted forward by exactly the gap length.
  return z.offset(wallMs - Math.max(...candidates) * MINUTE_MS);
}

// Date, then optional time: "2026-01-27 12:02:30", "2026-01-27T12:02:30.123+10:00", "...Z".
const LOCAL_OR_ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Reads an ISO 8601 / "YYYY-MM-DD HH:mm:ss" time. With an offset (or Z) it is absolute; without one
 * it is wall time in `zone` (DST rules of wallTimeToInstant). Absent values and the MySQL-style
 * "0000-00-00 00:00:00" give null without a problem.
 */
export function parseZonedTime(input: unknown, zone: string): TimeResult {
  if (isAbsentValue(input)) return ABSENT;
  if (typeof input !== 'string') return fail(`expected a date-time string, got ${describeValue(input)}`);
  const m = LOCAL_OR_ISO.exec(input.trim());
  if (!m) return fail(`not an ISO 8601 date-time: ${describeValue(input)}`);
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  if (h === undefined || mi === undefined) return fail(`date without a time of day: ${describeValue(input)}`);
  if (/^0+$/.test(`${y}${mo}${d}`)) return ABSENT;
  // luxon would roll 24:00 over to the next day; no PBX means that, so it is garbage here.
  if (Number(h) > 23) return fail(`hour out of range: ${describeValue(input)}`);
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: s === undefined ? 0 : Number(s),
    millisecond: frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000),
  };
  if (offset !== undefined) {
    const fields = DateTime.fromObject(wall, { zone: 'utc' });
    const minutes = offsetMinutes(offset);
    if (!fields.isValid || minutes === null) return fail(`invalid date-time: ${describeValue(input)}`);
    return { value: new Date(fields.toMillis() - minutes * MINUTE_MS), problem: null };
  }
  if (!isValidTimeZone(zone))
    return fail(`zone-less time ${describeValue(input)} and invalid source time zone ${describeValue(zone)}`);
  const value = wallTimeToInstant(wall, zone);
  return value ? { value, problem: null } : fail(`invalid date-time: ${describeValue(input)}`);
}

/** Minutes east of UTC for an ISO offset suffix ("Z", "+10", "+1000", "-03:30"); null when out of range. */
function offsetMinutes(offset: string): number | null {
  if (offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 18 || minutes > 59) return null;
  return (offset[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Adds whole seconds to an instant (null-safe). */
export function addSeconds(at: Date | null, seconds: number | null): Date | null {
  if (at === null || seconds === null) return null;
  return new Date(at.getTime() + seconds * 1000);
}

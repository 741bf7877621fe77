import { IANAZone } from 'luxon';

/**
 * Time helpers for the generator. Simulated instants are whole Unix seconds (every vendor sends
 * one-second timestamps, so finer instants would only make the ground truth disagree with what
 * the payloads can say). Local wall times are produced from the zone's UTC offset, memoised per
 * quarter hour: every real-world offset change falls on a quarter hour, and formatting millions
 * of timestamps through a full date library would dominate the generator's run time.
 */

const QUARTER = 900;
const offsetMemo = new Map<string, Map<number, number>>();

/** UTC offset in minutes of `zone` at Unix second `sec`. */
export function offsetMinutes(zone: string, sec: number): number {
  let memo = offsetMemo.get(zone);
  if (!memo) {
    if (!IANAZone.isValidZone(zone)) throw new RangeError(`not an IANA time zone: ${zone}`);
    memo = new Map();
    offsetMemo.set(zone, memo);
  }
  const bucket = Math.floor(sec / QUARTER);
  let off = memo.get(bucket);
  if (off === undefined) {
    off = IANAZone.create(zone).offset(bucket * QUARTER * 1000);
    memo.set(bucket, off);
  }
  return off;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Calendar fields of the wall clock in `zone` at `sec`. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  offset: number;
}

/** The wall-clock fields in `zone` at Unix second `sec`. */
export function localParts(zone: string, sec: number): LocalParts {
  const offset = offsetMinutes(zone, sec);
  const d = new Date((sec + offset * 60) * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
    offset,
  };
}

/** Local time of day in hours (0 ≤ h < 24, fractional) in `zone` at `sec`. */
export function localHour(zone: string, sec: number): number {
  const local = sec + offsetMinutes(zone, sec) * 60;
  return (((local % 86400) + 86400) % 86400) / 3600;
}

function wall(p: LocalParts, sep: string): string {
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}${sep}${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
}

/** `"2026-01-27 12:02:30"`: zone-less wall time in `zone` (Nexbro's `timestamp`). */
export function formatWall(zone: string, sec: number, sep = ' '): string {
  return wall(localParts(zone, sec), sep);
}

/** The ±HH:MM spelling of an offset in minutes. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
}

/** `"2026-01-27T12:02:30+11:00"`: ISO 8601 with the zone's offset at that instant. */
export function formatIsoOffset(zone: string, sec: number): string {
  const p = localParts(zone, sec);
  return `${wall(p, 'T')}${formatOffset(p.offset)}`;
}

/** `"2026-01-27T01:02:30Z"`. */
export function formatIsoUtc(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * True when the zone's offset changes within two hours of `sec`: a zone-less wall time there may
 * be ambiguous (clocks going back) or skipped (clocks going forward).
 */
export function nearOffsetChange(zone: string, sec: number): boolean {
  const o = offsetMinutes(zone, sec);
  return offsetMinutes(zone, sec - 7200) !== o || offsetMinutes(zone, sec + 7200) !== o;
}

/**
 * The Unix second of a wall time in `zone`. Inside a DST gap the wall time is moved forward by the
 * gap; in an overlap the earlier instant is taken (the same rules the vendor parsers apply).
 */
export function wallToEpoch(zone: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  const candidates = new Set<number>();
  for (const probe of [asUtc - 86400, asUtc, asUtc + 86400]) candidates.add(offsetMinutes(zone, probe));
  const fits = [...candidates].map((off) => asUtc - off * 60).filter((t) => offsetMinutes(zone, t) * 60 === asUtc - t);
  if (fits.length) return Math.min(...fits);
  // A gap: use the offset in force before it, which lands after the jump.
  return asUtc - offsetMinutes(zone, asUtc - 86400) * 60;
}

/** Start (Unix second) of the 15-minute UTC interval containing `sec`. */
export function intervalStart(sec: number): number {
  return Math.floor(sec / QUARTER) * QUARTER;
}

/**
 * Parses `--start`: an ISO instant with `Z`/offset, or a zone-less date / date-time read as wall
 * time in `zone`. Returns Unix seconds, or null when unreadable.
 */
export function parseStart(text: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  if (m[7]) {
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${m[7]}`);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  return wallToEpoch(zone, y, mo, d, h, mi, s);
}

import { IANAZone } from 'luxon';

const BUCKET_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** A UTC day whose offset is the same at both ends is taken as one offset (no zone changes twice a day). */
const WINDOW_MS = DAY_MS;
/** Caches are dropped when they grow past this (an export over decades), not kept forever. */
const MAX_CACHED = 100_000;

/** Bytes of `YYYY-MM-DDTHH:mm:ss.SSS+hh:mm`. */
export const TIMESTAMP_BYTES = 29;

/**
 * Formats instants as ISO 8601 with the offset of one IANA zone, e.g.
 * `2026-10-25T01:30:00.000+01:00` — millisecond precision, always `±hh:mm` (UTC is `+00:00`).
 *
 * Built for millions of timestamps: the zone's offset is looked up (Intl, slow) about twice per
 * UTC day — a day with the same offset at both ends has it throughout; a day with a change is
 * looked up per 15-minute bucket, and a bucket with the change inside it per instant, so every
 * instant is exact — and the digits are written straight into a buffer.
 */
export class ZoneClock {
  private readonly zone: IANAZone;
  private readonly offsets = new Map<number, number>();
  private readonly windows = new Map<number, number>();
  // The last day looked at: consecutive timestamps of an export are nearly always in it.
  private lastWindow = Number.NaN;
  private lastSteady = Number.NaN;
  private lastDay = Number.NaN;
  private lastDayText: Buffer = Buffer.alloc(10);
  private readonly days = new Map<number, Buffer>();
  private readonly offsetTexts = new Map<number, Buffer>();

  constructor(readonly zoneName: string) {
    const zone = IANAZone.create(zoneName);
    if (!zone.isValid) throw new Error(`"${zoneName}" is not an IANA time zone`);
    this.zone = zone;
  }

  /** The zone's offset from UTC at `ms`, in whole minutes. */
  offsetMinutes(ms: number): number {
    const window = Math.floor(ms / WINDOW_MS);
    if (window === this.lastWindow && !Number.isNaN(this.lastSteady)) return this.lastSteady;
    let steady = this.windows.get(window);
    if (steady === undefined) {
      const a = this.exactOffset(window * WINDOW_MS);
      // NaN: the offset changes this day.
      steady = a === this.exactOffset(window * WINDOW_MS + WINDOW_MS - 1) ? a : Number.NaN;
      if (this.windows.size >= MAX_CACHED) this.windows.clear();
      this.windows.set(window, steady);
    }
    this.lastWindow = window;
    this.lastSteady = steady;
    if (!Number.isNaN(steady)) return steady;
    const bucket = Math.floor(ms / BUCKET_MS);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      const start = bucket * BUCKET_MS;
      const a = this.exactOffset(start);
      // NaN marks a bucket with a change of offset inside it: computed per instant.
      offset = a === this.exactOffset(start + BUCKET_MS - 1) ? a : Number.NaN;
      if (this.offsets.size >= MAX_CACHED) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return Number.isNaN(offset) ? this.exactOffset(ms) : offset;
  }

  /** Writes the timestamp at `pos` (TIMESTAMP_BYTES bytes) and returns the position after it. */
  write(buf: Buffer, pos: number, ms: number): number {
    const offset = this.offsetMinutes(ms);
    const local = ms + offset * 60_000;
    const day = Math.floor(local / DAY_MS);
    let rest = local - day * DAY_MS;
    const date = this.dayText(day);
    for (let i = 0; i < 10; i++) buf[pos + i] = date[i];
    let p = pos + 10;
    buf[p++] = 0x54; // T
    const hour = Math.floor(rest / 3_600_000);
    rest -= hour * 3_600_000;
    const minute = Math.floor(rest / 60_000);
    rest -= minute * 60_000;
    const second = Math.floor(rest / 1000);
    const milli = rest - second * 1000;
    p = two(buf, p, hour);
    buf[p++] = 0x3a;
    p = two(buf, p, minute);
    buf[p++] = 0x3a;
    p = two(buf, p, second);
    buf[p++] = 0x2e;
    buf[p++] = 0x30 + Math.floor(milli / 100);
    buf[p++] = 0x30 + (Math.floor(milli / 10) % 10);
    buf[p++] = 0x30 + (milli % 10);
    const zone = this.offsetText(offset);
    for (let i = 0; i < 6; i++) buf[p + i] = zone[i];
    return p + 6;
  }

  /** The timestamp as a string (tests, file names, small reports). */
  format(ms: number): string {
    const buf = Buffer.allocUnsafe(TIMESTAMP_BYTES);
    this.write(buf, 0, ms);
    return buf.toString('latin1');
  }

  private exactOffset(ms: number): number {
    return Math.round(this.zone.offset(ms));
  }

  private dayText(day: number): Buffer {
    if (day === this.lastDay) return this.lastDayText;
    let text = this.days.get(day);
    if (!text) {
      // The years a CDR can have (1970-9999) print as four digits.
      text = Buffer.from(new Date(day * DAY_MS).toISOString().slice(0, 10), 'latin1');
      if (this.days.size >= MAX_CACHED) this.days.clear();
      this.days.set(day, text);
    }
    this.lastDay = day;
    this.lastDayText = text;
    return text;
  }

  private offsetText(minutes: number): Buffer {
    let text = this.offsetTexts.get(minutes);
    if (!text) {
      const abs = Math.abs(minutes);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      text = Buffer.from(`${minutes < 0 ? '-' : '+'}${hh}:${mm}`, 'latin1');
      this.offsetTexts.set(minutes, text);
    }
    return text;
  }
}

function two(buf: Buffer, p: number, n: number): number {
  buf[p] = 0x30 + Math.floor(n / 10);
  buf[p + 1] = 0x30 + (n % 10);
  return p + 2;
}

import { DateTime, IANAZone } from 'luxon';

/** Parsers for the cells of billing CSV files: each returns the value or a reason (a string). */

/** A problem with one cell, worded for the person who will fix the file. */
export class CellError {
  constructor(readonly reason: string) {}
}

const show = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/**
 * A decimal number as text, normalised (no leading zeros, '.' as separator), or CellError.
 * `maxScale` bounds the decimal places; `signed` allows a leading minus (credits).
 */
export function decimalCell(
  column: string,
  value: string,
  opts: { maxScale: number; signed?: boolean; separator?: '.' | ',' },
): string | CellError {
  let text = value.trim();
  if (opts.separator === ',') text = text.replace(',', '.');
  const m = /^([+-]?)(\d{1,12})(?:\.(\d*))?$|^([+-]?)\.(\d+)$/.exec(text);
  if (!m) return new CellError(`${column}: ${show(value)} is not a decimal number`);
  const sign = m[1] || m[4] || '';
  const whole = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  // Trailing zeros are kept (the scale as written: "0.3000" stays "0.3000") but not counted.
  const fraction = m[3] ?? m[5] ?? '';
  if (sign === '-' && !opts.signed) return new CellError(`${column}: ${show(value)} is negative`);
  if (fraction.replace(/0+$/, '').length > opts.maxScale)
    return new CellError(`${column}: ${show(value)} has more than ${opts.maxScale} decimal places`);
  const body = fraction ? `${whole}.${fraction}` : whole;
  return sign === '-' && /[1-9]/.test(body) ? `-${body}` : body;
}

/** A whole number in [min, max], or CellError. */
export function wholeCell(column: string, value: string, min: number, max: number): number | CellError {
  const text = value.trim();
  if (!/^\d{1,9}$/.test(text)) return new CellError(`${column}: ${show(value)} is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) return new CellError(`${column}: ${n} is not between ${min} and ${max}`);
  return n;
}

/** Whether `zone` is an IANA time zone name. */
export function isZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

// Plausible CDR years: outside them a value is almost certainly in the wrong unit or format.
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

function plausible(column: string, value: string, dt: DateTime): Date | CellError {
  if (!dt.isValid) return new CellError(`${column}: ${show(value)} is not a date and time`);
  const ms = dt.toMillis();
  if (ms < EARLIEST || ms >= LATEST) return new CellError(`${column}: ${show(value)} is not between 2000 and 2100`);
  return dt.toJSDate();
}

const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$/;

/** Whether a date and a wall time exist (Date would roll 02-30 over into March). */
function isCalendarTime(date: string, time: string): boolean {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm, ss = 0] = time.split(':').map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate() && hh < 24 && mm < 60 && ss < 60;
}

/** How times are written in a file: auto-detected, Unix seconds or milliseconds, or a Luxon format. */
export type TimeFormat = 'auto' | 'iso' | 'epoch' | 'epoch_ms' | { pattern: string };

/**
 * A moment from a cell. `auto` accepts ISO 8601 (with `T` or a space, with or without offset),
 * a date alone (midnight), Unix seconds (9–10 digits, decimals allowed) and Unix milliseconds
 * (12–13 digits). Times without an offset are read in `zone` (DST gaps move forward, repeated
 * hours take the first occurrence, as Luxon does).
 */
export function timeCell(column: string, value: string, format: TimeFormat, zone: string): Date | CellError {
  const text = value.trim();
  if (text === '') return new CellError(`${column}: empty`);
  if (typeof format === 'object') return plausible(column, value, DateTime.fromFormat(text, format.pattern, { zone }));
  const epoch = format === 'epoch' || (format === 'auto' && /^\d{9,10}(\.\d+)?$/.test(text));
  const epochMs = format === 'epoch_ms' || (format === 'auto' && /^\d{12,13}$/.test(text));
  if (epoch || epochMs) {
    if (!/^\d+(\.\d+)?$/.test(text)) return new CellError(`${column}: ${show(value)} is not a Unix time`);
    return plausible(column, value, DateTime.fromMillis(Math.round(Number(text) * (epochMs ? 1 : 1000))));
  }
  // The common case — ISO 8601 with Z or an offset — without Luxon (a carrier file has a million).
  const iso = ISO_WITH_OFFSET.exec(text);
  if (iso && !isCalendarTime(iso[1], iso[2])) return new CellError(`${column}: ${show(value)} is not a date and time`);
  if (iso) {
    const date = new Date(`${iso[1]}T${iso[2]}${(iso[3] ?? '').slice(0, 4)}${iso[4] === 'z' ? 'Z' : iso[4]}`);
    if (!Number.isNaN(date.getTime())) {
      const ms = date.getTime();
      if (ms < EARLIEST || ms >= LATEST) return new CellError(`${column}: ${show(value)} is not between 2000 and 2100`);
      return date;
    }
  }
  let dt = DateTime.fromISO(text, { zone, setZone: true });
  if (!dt.isValid && format === 'auto') dt = DateTime.fromSQL(text, { zone, setZone: true });
  if (!dt.isValid && format === 'auto')
    return new CellError(
      `${column}: ${show(value)} is not an ISO 8601 time or Unix time; give the file's format as time_format (e.g. "dd/MM/yyyy HH:mm:ss")`,
    );
  return plausible(column, value, dt);
}

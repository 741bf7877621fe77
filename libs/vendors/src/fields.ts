import { hashKey, idKey } from './canonical';
import { describeValue } from './describe';
import { isAbsentValue, parseUnixSeconds, parseZonedTime } from './time';
import type { ParsedEvent } from './types';

/** A JSON object (not null, not an array). */
export type JsonRecord = Record<string, unknown>;

/** The tenant extension number pattern used when the source configures none (METRICS.md). */
export const DEFAULT_EXTENSION_PATTERN = /^\d{2,5}$/;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` matches the extension pattern (a `g`/`y` flag on the pattern is harmless). */
export function looksLikeExtension(value: string | null, pattern: RegExp = DEFAULT_EXTENSION_PATTERN): boolean {
  if (value === null) return false;
  // A fresh RegExp so a caller's global/sticky pattern's lastIndex is neither used nor mutated.
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(value);
}

/** Result of matching a payload's type field against a vendor's known types. */
export interface TypeMatch {
  type: string;
  known: boolean;
  problem: string | null;
}

/**
 * Reads the type field, trimmed and matched case-insensitively against `known` (and `aliases`,
 * lower-case spelling → canonical), reporting the canonical spelling when it matches.
 */
export function matchEventType(
  value: unknown,
  field: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): TypeMatch {
  if (value === undefined || value === null) return { type: 'unknown', known: false, problem: `missing "${field}"` };
  if (typeof value !== 'string')
    return { type: 'unknown', known: false, problem: `"${field}" is not a string: ${describeValue(value)}` };
  const trimmed = value.trim();
  if (trimmed === '') return { type: 'unknown', known: false, problem: `"${field}" is empty` };
  const lower = trimmed.toLowerCase();
  const canonical = known.find((t) => t.toLowerCase() === lower) ?? aliases[lower];
  if (canonical !== undefined) return { type: canonical, known: true, problem: null };
  return { type: trimmed, known: false, problem: `unknown event type ${JSON.stringify(trimmed)}` };
}

/** The ParsedEvent for a payload that is not a JSON object (array, null, scalar). */
export function notAnObject(payload: unknown): ParsedEvent {
  const what = Array.isArray(payload)
    ? 'payload is an array (split batches into single events before parsing)'
    : `payload is not a JSON object: ${describeValue(payload)}`;
  return {
    type: 'unknown',
    recognized: false,
    problems: [what],
    occurredAt: null,
    dedupKey: hashKey(payload === undefined ? null : payload),
    callKey: null,
    sessionKey: null,
    extension: null,
    queue: null,
  };
}

/** Dedup key: the vendor's event id from the first present field of `idFields`, else the content hash. */
export function dedupKeyOf(payload: JsonRecord, idFields: readonly string[] = []): string {
  for (const field of idFields) {
    const v = payload[field];
    if (typeof v === 'string' && v.trim() !== '') return idKey(v.trim());
    if (typeof v === 'number' && Number.isFinite(v)) return idKey(String(v));
  }
  return hashKey(payload);
}

/**
 * Reads typed fields of one JSON object, collecting human-readable problems (prefixed with the
 * object's path) instead of throwing. "Absent" follows isAbsentValue: undefined, null, "", "null".
 */
export class FieldReader {
  constructor(
    readonly record: JsonRecord,
    readonly problems: string[],
    private readonly path = '',
  ) {}

  /** Reader for a nested object, sharing this reader's problem list. */
  child(record: JsonRecord, path: string): FieldReader {
    return new FieldReader(record, this.problems, `${this.path}${path}`);
  }

  /** Records a problem about `key` (or the object itself when key is ''). */
  problem(key: string, text: string): void {
    const where = `${this.path}${key}`;
    this.problems.push(where === '' ? text : `"${where}" ${text}`);
  }

  /** True when the field is absent (undefined, null, "", "null"). */
  absent(key: string): boolean {
    return isAbsentValue(this.record[key]);
  }

  /** An identifier or number-like code: a non-empty string (trimmed) or a finite number, as a string. */
  id(key: string, required = false): string | null {
    const v = this.record[key];
    if (isAbsentValue(v)) {
      if (required) this.problem(key, 'is missing');
      return null;
    }
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    this.problem(key, `must be a string, got ${describeValue(v)}`);
    return null;
  }

  /** Free text: a string (kept as sent) or null; anything else is a problem. */
  text(key: string, required = false): string | null {
    const v = this.record[key];
    if (isAbsentValue(v)) {
      if (required) this.problem(key, 'is missing');
      return null;
    }
    if (typeof v === 'string') return v;
    this.problem(key, `must be a string, got ${describeValue(v)}`);
    return null;
  }

  /** A non-negative amount of seconds (number or numeric string), or null when absent. */
  seconds(key: string): number | null {
    const v = this.record[key];
    if (isAbsentValue(v)) return null;
    const n = toSeconds(v);
    if (n === null) this.problem(key, `must be a non-negative number of seconds, got ${describeValue(v)}`);
    return n;
  }

  /** A number-like code (SIP status etc.): finite number or numeric string, or null when absent. */
  numeric(key: string): number | null {
    const v = this.record[key];
    if (isAbsentValue(v)) return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isFinite(n)) {
      this.problem(key, `must be a number, got ${describeValue(v)}`);
      return null;
    }
    return n;
  }

  /** A boolean, also accepted as "true"/"false" (any case) or 1/0. */
  bool(key: string): boolean | null {
    const v = this.record[key];
    if (isAbsentValue(v)) return null;
    const b = toBool(v);
    if (b === null) this.problem(key, `must be a boolean, got ${describeValue(v)}`);
    return b;
  }

  /** Unix seconds; "0"/0/"" mean did not happen (null, no problem). */
  unixTime(key: string): Date | null {
    const r = parseUnixSeconds(this.record[key]);
    if (r.problem !== null) this.problem(key, r.problem);
    return r.value;
  }

  /** ISO 8601 or "YYYY-MM-DD HH:mm:ss"; zone-less values are wall time in `zone`. */
  zonedTime(key: string, zone: string, required = false): Date | null {
    const v = this.record[key];
    if (required && isAbsentValue(v)) {
      this.problem(key, 'is missing');
      return null;
    }
    const r = parseZonedTime(v, zone);
    if (r.problem !== null) this.problem(key, r.problem);
    return r.value;
  }

  /** An array field; absent gives null (problem when required), a non-array is a problem. */
  array(key: string, required = false): unknown[] | null {
    const v = this.record[key];
    if (v === undefined || v === null) {
      if (required) this.problem(key, 'is missing');
      return null;
    }
    if (!Array.isArray(v)) {
      this.problem(key, `must be an array, got ${describeValue(v)}`);
      return null;
    }
    return v as unknown[];
  }

  /** Readers for the object elements of an array field; non-object elements are problems. */
  objects(key: string, required = false): FieldReader[] {
    const list = this.array(key, required);
    if (list === null) return [];
    const readers: FieldReader[] = [];
    list.forEach((item, i) => {
      if (isRecord(item)) readers.push(this.child(item, `${key}[${i}].`));
      else this.problem(`${key}[${i}]`, `must be an object, got ${describeValue(item)}`);
    });
    return readers;
  }
}

/** A non-negative number of seconds from a number or numeric string; null otherwise. */
export function toSeconds(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
  else return null;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** A boolean from true/false, "true"/"false" (any case) or 1/0. */
export function toBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
  }
  return null;
}

/** The single distinct non-null value of a list, or null when there are none or several. */
export function single(values: readonly (string | null)[]): string | null {
  const distinct = new Set(values.filter((v): v is string => v !== null));
  return distinct.size === 1 ? ([...distinct][0] ?? null) : null;
}

/** The latest of some instants (null when none). */
export function latest(dates: readonly (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d !== null && (best === null || d.getTime() > best.getTime())) best = d;
  return best;
}

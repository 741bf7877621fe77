import { hash } from 'node:crypto';

/**
 * JSON with object keys sorted recursively and no whitespace, so that a retried delivery with a
 * different key order or formatting serialises to the same text. Follows JSON.stringify for the
 * values JSON cannot hold (undefined/functions dropped from objects, null in arrays, non-finite
 * numbers as null) and never throws: a cycle becomes the string "[Circular]", a bigint its digits.
 */
export function canonicalJson(value: unknown): string {
  return fastCanonicalJson(value) ?? canonicalJsonSlow(value);
}

/** The reference implementation: a recursive writer that handles every value (cycles, bigints). */
export function canonicalJsonSlow(value: unknown): string {
  return write(value, new Set<object>()) ?? 'null';
}

// Object keys that JavaScript orders numerically ahead of the others, whatever the insertion order.
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
// Deeper than this, a value is taken for a cycle and left to the writer (which names cycles).
const MAX_DEPTH = 256;

class NotPlain extends Error {}

/**
 * The value with every object's keys in sorted order: the value itself when it already is, else a
 * copy of what had to change (vendors send their fields unsorted, so payloads are usually copied;
 * values this library builds often need no copy). Throws
 * NotPlain for what JSON.stringify would not write as the writer does: integer-like keys (objects
 * order them numerically), bigints, toJSON methods other than Date's, and nesting deep enough to
 * be a cycle.
 */
function sortedCopy(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'bigint') throw new NotPlain();
    return v;
  }
  if (v instanceof Date) return v; // its toJSON gives a string, as the writer's call of it does
  if (depth > MAX_DEPTH || typeof (v as { toJSON?: unknown }).toJSON === 'function') throw new NotPlain();
  if (Array.isArray(v)) {
    let out: unknown[] = v;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const c = sortedCopy(item, depth + 1);
      if (c !== item) {
        if (out === v) out = v.slice();
        out[i] = c;
      }
    }
    return out;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  let children: Map<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const first = k.charCodeAt(0);
    if (first >= 48 && first <= 57 && INDEX_KEY.test(k)) throw new NotPlain();
    if (i > 0 && keys[i - 1] > k) sorted = false;
    const child = obj[k];
    const c = sortedCopy(child, depth + 1);
    if (c !== child) (children ??= new Map()).set(k, c);
  }
  if (sorted && !children) return v;
  // No prototype, so a "__proto__" key (JSON.parse makes it an own property) stays a property.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const k of sorted ? keys : keys.sort()) copy[k] = children?.has(k) ? children.get(k) : obj[k];
  return copy;
}

/**
 * The hot path (every event's dedup key, every fold): the value with its keys sorted (sortedCopy,
 * which copies nothing when they already are), then the engine's JSON.stringify without a
 * replacer: faster than the recursive writer, and than a key-sorting replacer that the engine
 * calls for every value (12 % on PortSIP payloads, far more on sorted values). It gives the same text for values parsed from JSON; for what
 * it cannot write identically (see sortedCopy) it returns undefined and the writer takes over.
 */
function fastCanonicalJson(value: unknown): string | undefined {
  let sorted: unknown;
  try {
    sorted = sortedCopy(value, 0);
  } catch (error) {
    if (error instanceof NotPlain || error instanceof RangeError) return undefined;
    throw error;
  }
  return JSON.stringify(sorted) ?? 'null';
}

function write(value: unknown, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // JSON.stringify already maps NaN/Infinity to null and -0 to 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (ancestors.has(obj)) return JSON.stringify('[Circular]');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write((toJSON as () => unknown).call(obj), ancestors);
  ancestors.add(obj);
  try {
    // Array.from visits holes too, which map() would skip and join() would render as nothing.
    if (Array.isArray(obj)) return `[${Array.from(obj, (item) => write(item, ancestors) ?? 'null').join(',')}]`;
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const text = write((obj as Record<string, unknown>)[key], ancestors);
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/** Lower-case hex SHA-256 of a UTF-8 string (one-shot `crypto.hash`: half the cost of a Hash object). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Content dedup key: `h:` + SHA-256 hex of the canonical JSON of `value`. */
export function hashKey(value: unknown): string {
  return `h:${sha256Hex(canonicalJson(value))}`;
}

/** Dedup key from an event id the vendor put in the payload. */
export function idKey(id: string): string {
  return `id:${id}`;
}

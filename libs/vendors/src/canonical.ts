import { createHash } from 'node:crypto';

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

class NotPlain extends Error {}

/** Hands JSON.stringify each object with its keys in sorted order (a copy only when needed). */
function sortedKeys(this: unknown, _key: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    if (typeof v === 'bigint') throw new NotPlain();
    return v;
  }
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    if (INDEX_KEY.test(keys[i])) throw new NotPlain();
    if (i > 0 && keys[i - 1] > keys[i]) sorted = false;
  }
  if (sorted) return v;
  // No prototype, so a "__proto__" key (JSON.parse makes it an own property) stays a property.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const k of keys.sort()) copy[k] = (v as Record<string, unknown>)[k];
  return copy;
}

/**
 * The hot path (every event's dedup key, every fold): the engine's JSON.stringify with a key-sorting
 * replacer, about 2.5 times faster than the recursive writer. It gives the same text for values
 * parsed from JSON; for what it cannot write identically — integer-like keys (which objects order
 * numerically), bigints, cycles — it returns undefined and the writer takes over.
 */
function fastCanonicalJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, sortedKeys) ?? 'null';
  } catch (error) {
    if (error instanceof NotPlain || error instanceof TypeError) return undefined;
    throw error;
  }
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

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Content dedup key: `h:` + SHA-256 hex of the canonical JSON of `value`. */
export function hashKey(value: unknown): string {
  return `h:${sha256Hex(canonicalJson(value))}`;
}

/** Dedup key from an event id the vendor put in the payload. */
export function idKey(id: string): string {
  return `id:${id}`;
}

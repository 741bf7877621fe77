/** One event of a delivery: its parsed value and the exact bytes it arrived as. */
export interface DeliveredEvent {
  value: unknown;
  raw: Buffer;
}

/** The body is not JSON, or not a JSON object or array. */
export class MalformedDeliveryError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedDeliveryError';
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a webhook body into events: a JSON object is one event (its raw bytes are the whole
 * body), a JSON array is one event per element (each with the exact bytes of that element).
 */
export function splitDelivery(body: Buffer | undefined | null): DeliveredEvent[] {
  if (!body || body.length === 0) throw new MalformedDeliveryError('empty body: expected a JSON object or array');
  // A UTF-8 byte-order mark is not JSON, but some senders add one; the stored bytes keep it.
  const start = body.subarray(0, 3).equals(BOM) ? 3 : 0;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8', start));
  } catch (error) {
    throw new MalformedDeliveryError(`body is not valid JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(value)) {
    const slices = arrayElementSlices(body, start);
    return (value as unknown[]).map((v, i) => ({ value: v, raw: slices[i] }));
  }
  if (value !== null && typeof value === 'object') return [{ value, raw: body }];
  throw new MalformedDeliveryError(
    `body is JSON ${value === null ? 'null' : typeof value}: expected an object or array`,
  );
}

/** 1 for the bytes JSON allows as whitespace (a table: cheaper per byte than a Set lookup). */
const IS_WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) IS_WS[c] = 1;

/**
 * Byte ranges of the top-level elements of a JSON array that is already known to be valid.
 * JSON's structural characters are ASCII, so scanning UTF-8 bytes is safe. Most bytes of an
 * event are inside strings, which are skipped with the native search for the next quote
 * (`closingQuote`) instead of one JavaScript step per byte: this scan took as long as the
 * JSON.parse of the same body before.
 */
function arrayElementSlices(buf: Buffer, from: number): Buffer[] {
  const out: Buffer[] = [];
  const end = buf.length;
  let i = from;
  while (i < end && IS_WS[buf[i]] === 1) i++;
  i++; // '['
  let depth = 0;
  let elementStart = -1;
  let lastNonWs = -1;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x22) {
      if (elementStart < 0) elementStart = i;
      i = closingQuote(buf, i + 1);
      lastNonWs = i;
      continue;
    }
    if (IS_WS[c] === 1) continue;
    if (depth === 0 && (c === 0x2c || c === 0x5d)) {
      // ',' or the closing ']'
      if (elementStart >= 0) out.push(buf.subarray(elementStart, lastNonWs + 1));
      elementStart = -1;
      if (c === 0x5d) break;
      continue;
    }
    if (elementStart < 0) elementStart = i;
    lastNonWs = i;
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return out;
}

/**
 * Index of the quote that closes the string whose content starts at `from`: the first quote not
 * escaped, i.e. preceded by an even number of backslashes (the run cannot reach past the opening
 * quote, which is not a backslash).
 */
function closingQuote(buf: Buffer, from: number): number {
  for (let j = from; ; j++) {
    j = buf.indexOf(0x22, j);
    if (j < 0) return buf.length; // cannot happen in valid JSON
    let backslashes = 0;
    while (buf[j - 1 - backslashes] === 0x5c) backslashes++;
    if ((backslashes & 1) === 0) return j;
  }
}

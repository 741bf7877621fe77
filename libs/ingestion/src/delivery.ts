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

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Byte ranges of the top-level elements of a JSON array that is already known to be valid.
 * JSON's structural characters are ASCII, so scanning UTF-8 bytes is safe.
 */
function arrayElementSlices(buf: Buffer, from: number): Buffer[] {
  const out: Buffer[] = [];
  let i = from;
  while (WS.has(buf[i])) i++;
  i++; // '['
  let depth = 0;
  let inString = false;
  let elementStart = -1;
  let lastNonWs = -1;
  for (; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) {
        inString = false;
        lastNonWs = i;
      }
      continue;
    }
    if (WS.has(c)) continue;
    if (depth === 0 && (c === 0x2c || c === 0x5d)) {
      // ',' or the closing ']'
      if (elementStart >= 0) out.push(buf.subarray(elementStart, lastNonWs + 1));
      elementStart = -1;
      if (c === 0x5d) break;
      continue;
    }
    if (elementStart < 0) elementStart = i;
    lastNonWs = i;
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return out;
}

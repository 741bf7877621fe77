import { TIMESTAMP_BYTES, ZoneClock } from './zone-clock';

/** How a column's values are written. */
export type CsvKind = 'text' | 'uuid' | 'int' | 'float' | 'decimal' | 'timestamp' | 'bool';

/** One column of a report's CSV: its header and kind. */
export interface CsvColumn {
  readonly name: string;
  readonly kind: CsvKind;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const APOSTROPHE = 0x27;

/** Whether a cell starting with this code unit could be read as a formula. */
function formulaStart(c: number): boolean {
  return c === 0x3d /* = */ || c === 0x40 /* @ */ || c === 0x09 /* tab */ || c === CR;
}

/** `+61290000000`, `-5`, `+1.25`: a sign, digits, and optionally a dot and more digits. */
const PLAIN_NUMBER = /^[+-][0-9]+(\.[0-9]+)?$/;

/**
 * Whether a text cell must be prefixed with `'` (CONTRACT.md "CSV files"): it starts with `=`,
 * `@`, tab or carriage return, or with `+`/`-` and is not a plain number like `+61290000000`.
 */
export function needsNeutralising(text: string): boolean {
  if (text.length === 0) return false;
  const c = text.charCodeAt(0);
  if (formulaStart(c)) return true;
  return (c === 0x2b || c === 0x2d) && !PLAIN_NUMBER.test(text);
}

/** needsNeutralising on UTF-8 bytes (the characters concerned are all ASCII). */
function needsNeutralisingBytes(src: Buffer, start: number, end: number): boolean {
  if (start === end) return false;
  const c = src[start];
  if (formulaStart(c)) return true;
  if (c !== 0x2b && c !== 0x2d) return false;
  let i = start + 1;
  const digits = (): number => {
    const from = i;
    while (i < end && src[i] >= 0x30 && src[i] <= 0x39) i++;
    return i - from;
  };
  if (digits() === 0) return true;
  if (i < end && src[i] === 0x2e) {
    i++;
    if (digits() === 0) return true;
  }
  return i !== end;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** The two hex digits of every byte value: high digit in the high byte. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, b) => (HEX[b >> 4] << 8) | HEX[b & 15]);

/** A cell's text: strings as they are, other scalars as String() prints them, objects as JSON. */
function scalarText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return JSON.stringify(v) ?? '';
  }
}

/**
 * An RFC 4180 CSV encoder writing straight into buffers: comma-separated, `\r\n` after every row
 * (the header too), a field quoted only when it holds a comma, quote, CR or LF (quotes doubled),
 * an empty field for null, text cells neutralised against formula injection (needsNeutralising),
 * timestamps as ISO 8601 with the export zone's offset (ZoneClock), numbers as JSON prints them.
 *
 * Hand-written rather than csv-stringify because the calls export pushes millions of rows through
 * it: it takes PostgreSQL's binary COPY fields as bytes (`textBytes`, `uuidBytes`, ...) and never
 * builds a JavaScript string per cell, about 4x faster than going through strings.
 * Filled chunks are collected with `take()`.
 */
export class CsvWriter {
  private buf: Buffer;
  private pos = 0;
  private fieldInRow = 0;
  private rowsWritten = 0;
  private readonly filled: Buffer[] = [];
  // A row's start, to take back a row cut off by the end of its input chunk (mark/reset).
  private markBuf: Buffer | null = null;
  private markPos = 0;
  private markFilled = 0;

  constructor(
    readonly clock: ZoneClock,
    private readonly chunkBytes = 256 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Data rows written so far (the header is not counted). */
  get rows(): number {
    return this.rowsWritten;
  }

  /** The header row: the column names (never neutralised: they are ours). */
  header(columns: readonly CsvColumn[]): void {
    for (const c of columns) this.plain(c.name);
    this.newline();
  }

  /** A row of JavaScript values, each written as its column's kind. */
  row(columns: readonly CsvColumn[], values: readonly unknown[]): void {
    for (let i = 0; i < columns.length; i++) this.value(columns[i].kind, values[i]);
    this.endRow();
  }

  /** One JavaScript value as a cell of `kind` (null/undefined: an empty cell). */
  value(kind: CsvKind, v: unknown): void {
    if (v === null || v === undefined) return this.empty();
    switch (kind) {
      case 'timestamp':
        return this.timestamp(v instanceof Date ? v.getTime() : Date.parse(scalarText(v)));
      case 'int':
      case 'float':
        return this.number(Number(v));
      case 'bool':
        return this.plain(v ? 'true' : 'false');
      default:
        return this.text(scalarText(v));
    }
  }

  /** An empty cell. */
  empty(): void {
    this.separator(0);
  }

  /** A text cell (neutralised and quoted as needed). */
  text(s: string): void {
    const neutralise = needsNeutralising(s);
    let quote = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === COMMA || c === QUOTE || c === CR || c === LF) {
        quote = true;
        break;
      }
    }
    const body = quote ? s.replace(/"/g, '""') : s;
    const len = Buffer.byteLength(body, 'utf8');
    this.separator(len + 3);
    const buf = this.buf;
    if (quote) buf[this.pos++] = QUOTE;
    if (neutralise) buf[this.pos++] = APOSTROPHE;
    this.pos += buf.write(body, this.pos, len, 'utf8');
    if (quote) buf[this.pos++] = QUOTE;
  }

  /** A text cell from UTF-8 bytes `src[start, end)`: the same rules as `text`, without a string. */
  textBytes(src: Buffer, start: number, end: number): void {
    const c0 = start < end ? src[start] : 0;
    const neutralise = formulaStart(c0) || ((c0 === 0x2b || c0 === 0x2d) && needsNeutralisingBytes(src, start, end));
    // Room for the worst case (every byte a quote, doubled); one pass copies a field that needs
    // no quotes (nearly all of them), a second one quotes the rare field that does.
    this.separator(2 * (end - start) + 3);
    const buf = this.buf;
    const begin = this.pos;
    let p = begin;
    if (neutralise) buf[p++] = APOSTROPHE;
    let i = start;
    for (; i < end; i++) {
      const c = src[i];
      if (c === QUOTE || c === COMMA || c === LF || c === CR) break;
      buf[p++] = c;
    }
    if (i < end) {
      p = begin;
      buf[p++] = QUOTE;
      if (neutralise) buf[p++] = APOSTROPHE;
      for (let j = start; j < end; j++) {
        const c = src[j];
        buf[p++] = c;
        if (c === QUOTE) buf[p++] = QUOTE;
      }
      buf[p++] = QUOTE;
    }
    this.pos = p;
  }

  /** A UUID from its 16 bytes at `src[start]`, lower-case as PostgreSQL prints it. */
  uuidBytes(src: Buffer, start: number): void {
    this.separator(36);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) buf[p++] = 0x2d;
      const pair = HEX_PAIRS[src[start + i]];
      buf[p++] = pair >> 8;
      buf[p++] = pair & 0xff;
    }
    this.pos = p;
  }

  /** A number as JSON (and GraphQL) prints it; NaN and infinities, which JSON cannot hold, as empty. */
  number(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n < 1e15) return this.natural(n);
    if (!Number.isFinite(n)) return this.empty();
    this.plain(String(n));
  }

  /** A whole number from 0 to 1e15, digit by digit (counts and seconds: most numeric cells). */
  private natural(n: number): void {
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    this.separator(digits);
    const buf = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    do {
      const q = Math.floor(n / 10);
      buf[--p] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** An instant (epoch milliseconds) in the clock's zone. */
  timestamp(ms: number): void {
    if (Number.isNaN(ms)) return this.empty();
    this.separator(TIMESTAMP_BYTES);
    this.pos = this.clock.write(this.buf, this.pos, ms);
  }

  /** Remembers where the next row starts. */
  mark(): void {
    this.markBuf = this.buf;
    this.markPos = this.pos;
    this.markFilled = this.filled.length;
  }

  /** Takes back what was written since `mark()` (the row's fields), as if it never was. */
  reset(): void {
    if (!this.markBuf) throw new Error('reset without mark');
    this.filled.length = this.markFilled;
    this.buf = this.markBuf;
    this.pos = this.markPos;
    this.fieldInRow = 0;
  }

  /** Ends the current data row with CRLF. */
  endRow(): void {
    this.newline();
    this.rowsWritten++;
  }

  /** The chunks filled so far; with `all`, the partly filled one too. */
  take(all = false): Buffer[] {
    if (all && this.pos > 0) this.rotate();
    return this.filled.splice(0);
  }

  private newline(): void {
    this.ensure(2);
    this.buf[this.pos++] = CR;
    this.buf[this.pos++] = LF;
    this.fieldInRow = 0;
  }

  /** ASCII text known to need neither quoting nor neutralising. */
  private plain(s: string): void {
    this.separator(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** The comma before every field but a row's first, with room for `bytes` more. */
  private separator(bytes: number): void {
    this.ensure(bytes + 1);
    if (this.fieldInRow++ > 0) this.buf[this.pos++] = COMMA;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) {
      if (this.pos > 0) this.rotate();
      if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
    }
  }

  private rotate(): void {
    this.filled.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }
}

import { Transform, TransformCallback } from 'node:stream';
import { CsvColumn, CsvWriter } from './csv-writer';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const KIND_CODES = { text: 0, decimal: 0, uuid: 1, timestamp: 2, int: 3, float: 4, bool: 5 } as const;
/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * Turns the output of `COPY (...) TO STDOUT (FORMAT binary)` into CSV rows, column by column as
 * `columns` says (the query must select exactly those columns, in that order, with the wire types
 * of their kinds: text for text and decimal, uuid, int2/int4/int8 for int, float8 for float,
 * timestamptz for timestamp, bool). Binary COPY keeps every value exact (a timestamp is its
 * microseconds, nothing is parsed from text), and no JavaScript object is made per row or cell.
 * Backpressure passes through: it is a Transform in a stream pipeline.
 */
export class PgBinaryCsv extends Transform {
  private rest: Buffer | null = null;
  private headerRead = false;
  private ended = false;
  /** The kinds as small integers: the switch of the hot loop compares numbers, not strings. */
  private readonly kinds: Uint8Array;

  constructor(
    private readonly columns: readonly CsvColumn[],
    private readonly writer: CsvWriter,
  ) {
    super();
    this.kinds = Uint8Array.from(columns.map((c) => KIND_CODES[c.kind]));
  }

  /** Data rows written so far. */
  get rows(): number {
    return this.writer.rows;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
      this.rest = null;
      let p = 0;
      if (!this.headerRead) {
        if (data.length < 19) {
          this.rest = data;
          return done();
        }
        if (!data.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
        const extension = data.readInt32BE(15);
        if (data.length < 19 + extension) {
          this.rest = data;
          return done();
        }
        p = 19 + extension;
        this.headerRead = true;
      }
      p = this.rowsFrom(data, p);
      if (p < data.length) {
        if (this.ended) throw new Error('data after the end of the binary COPY stream');
        this.rest = data.subarray(p);
      }
      for (const out of this.writer.take()) this.push(out);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.ended || this.rest) return done(new Error('the binary COPY stream ended in the middle'));
    for (const out of this.writer.take(true)) this.push(out);
    done();
  }

  /** Writes every complete row from `p`; returns where the first incomplete one starts. */
  private rowsFrom(data: Buffer, p: number): number {
    const n = data.length;
    const count = this.columns.length;
    const w = this.writer;
    for (;;) {
      if (this.ended || p + 2 > n) return p;
      const fields = ((data[p] << 24) >> 16) | data[p + 1];
      if (fields === -1) {
        this.ended = true;
        return p + 2;
      }
      if (fields !== count) throw new Error(`binary COPY row has ${fields} fields; the report has ${count} columns`);
      // A row cut off by the end of the chunk is taken back and written again with the next one.
      w.mark();
      let q = p + 2;
      for (let i = 0; i < fields; i++) {
        if (q + 4 > n) {
          w.reset();
          return p;
        }
        const len = int32(data, q);
        q += 4;
        if (len < 0) {
          w.empty();
          continue;
        }
        if (q + len > n) {
          w.reset();
          return p;
        }
        this.field(i, data, q, len);
        q += len;
      }
      w.endRow();
      p = q;
    }
  }

  private field(i: number, data: Buffer, q: number, len: number): void {
    const w = this.writer;
    switch (this.kinds[i]) {
      case 0: // text, decimal
        return w.textBytes(data, q, q + len);
      case 1: // uuid
        if (len !== 16) this.badLength(i, len, 16);
        return w.uuidBytes(data, q);
      case 2: {
        // timestamptz: microseconds since 2000-01-01
        if (len !== 8) this.badLength(i, len, 8);
        const micros = int32(data, q) * 4_294_967_296 + (int32(data, q + 4) >>> 0);
        return w.timestamp(Math.floor(micros / 1000) + PG_EPOCH_MS);
      }
      case 3: // int2, int4, int8
        if (len === 4) return w.number(int32(data, q));
        if (len === 8) return w.number(Number(data.readBigInt64BE(q)));
        if (len !== 2) this.badLength(i, len, 4);
        return w.number(data.readInt16BE(q));
      case 4: // float8
        if (len !== 8) this.badLength(i, len, 8);
        return w.number(data.readDoubleBE(q));
      default: // bool
        if (len !== 1) this.badLength(i, len, 1);
        return w.value('bool', data[q] !== 0);
    }
  }

  private badLength(i: number, len: number, expected: number): never {
    const column = this.columns[i];
    throw new Error(`column ${column.name} (${column.kind}) has ${len} bytes in binary COPY, expected ${expected}`);
  }
}

/** A big-endian signed 32-bit integer at `p`. */
function int32(data: Buffer, p: number): number {
  return (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];
}

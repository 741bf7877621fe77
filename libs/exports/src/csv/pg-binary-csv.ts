import { Transform, TransformCallback } from 'node:stream';
import { CsvColumn, CsvWriter } from './csv-writer';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
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

  constructor(
    private readonly columns: readonly CsvColumn[],
    private readonly writer: CsvWriter,
  ) {
    super();
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
    const columns = this.columns;
    for (;;) {
      if (this.ended || p + 2 > n) return p;
      const fields = data.readInt16BE(p);
      if (fields === -1) {
        this.ended = true;
        return p + 2;
      }
      if (fields !== columns.length)
        throw new Error(`binary COPY row has ${fields} fields; the report has ${columns.length} columns`);
      // Only a complete row is written, so a row split across chunks waits for the rest.
      let q = p + 2;
      for (let i = 0; i < fields; i++) {
        if (q + 4 > n) return p;
        const len = data.readInt32BE(q);
        q += 4 + (len > 0 ? len : 0);
        if (q > n) return p;
      }
      q = p + 2;
      for (let i = 0; i < fields; i++) {
        const len = data.readInt32BE(q);
        q += 4;
        if (len < 0) this.writer.empty();
        else this.field(columns[i], data, q, len);
        if (len > 0) q += len;
      }
      this.writer.endRow();
      p = q;
    }
  }

  private field(column: CsvColumn, data: Buffer, q: number, len: number): void {
    const w = this.writer;
    switch (column.kind) {
      case 'text':
      case 'decimal':
        return w.textBytes(data, q, q + len);
      case 'uuid':
        expectLength(column, len, 16);
        return w.uuidBytes(data, q);
      case 'timestamp': {
        expectLength(column, len, 8);
        const micros = data.readInt32BE(q) * 4_294_967_296 + data.readUInt32BE(q + 4);
        return w.timestamp(Math.floor(micros / 1000) + PG_EPOCH_MS);
      }
      case 'int':
        if (len === 4) return w.number(data.readInt32BE(q));
        if (len === 8) return w.number(Number(data.readBigInt64BE(q)));
        expectLength(column, len, 2);
        return w.number(data.readInt16BE(q));
      case 'float':
        expectLength(column, len, 8);
        return w.number(data.readDoubleBE(q));
      case 'bool':
        expectLength(column, len, 1);
        return w.value('bool', data[q] !== 0);
    }
  }
}

function expectLength(column: CsvColumn, len: number, expected: number): void {
  if (len !== expected)
    throw new Error(`column ${column.name} (${column.kind}) has ${len} bytes in binary COPY, expected ${expected}`);
}

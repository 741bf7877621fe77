import { createHash } from 'node:crypto';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { BillingInputError, FileTooLargeError } from './billing.errors';

/** A record of a CSV file: its fields and the line it starts on (1-based, header included). */
export interface CsvRecord {
  kind: 'record';
  line: number;
  fields: string[];
  /** The record's text as read (for keeping rejected rows). */
  raw: string;
}

/** A stretch of the file that is not a CSV record (a quoted field never closed at the end). */
export interface CsvDefect {
  kind: 'defect';
  line: number;
  reason: string;
  raw: string;
}

export interface CsvReadOptions {
  delimiter?: string;
  /** Largest accepted file; more bytes fail the read with FileTooLargeError. */
  maxBytes?: number;
  /**
   * Largest accepted record; a longer one fails the file (BillingInputError): it is nearly always
   * a quote opened and never closed, which makes the rest of the file one field.
   */
  maxRecordBytes?: number;
}

/** What was read: the file's SHA-256 (hex) and size, known once the records are consumed. */
export interface CsvDigest {
  sha256: string;
  bytes: number;
}

const RAW_KEPT = 2000;

/** Counts and hashes the bytes flowing through; fails once more than `limit` have passed. */
class ByteMeter extends Transform {
  private readonly hash = createHash('sha256');
  private result: CsvDigest | undefined;
  bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new FileTooLargeError(this.limit));
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): CsvDigest {
    this.result ??= { sha256: this.hash.digest('hex'), bytes: this.bytes };
    return this.result;
  }
}

/**
 * The line a record starts on: csv-parse counts lines up to the record's end; the line breaks
 * inside its raw text (quoted newlines; not the one that ends it) are the lines it spans.
 */
function startLine(endLine: number, raw: string | undefined): number {
  const text = (raw ?? '').replace(/\n$/, '');
  let newlines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines++;
  return Math.max(1, endLine - newlines);
}

const clip = (raw: string | undefined) => (raw ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '').slice(0, RAW_KEPT);

/**
 * Reads a CSV byte stream (RFC 4180, UTF-8, optional BOM, CRLF/LF/CR line ends, even mixed)
 * record by record without holding the file in memory. Records keep their start line; what
 * cannot be read as a record (a quote never closed by the end of the file) is yielded as a defect
 * with its line, in file order, instead of failing the file. Quotes inside unquoted fields are
 * taken literally and records may have any number of fields (the caller checks them); empty lines
 * are skipped.
 */
export function readCsv(
  input: Readable,
  options: CsvReadOptions = {},
): { records: AsyncIterable<CsvRecord | CsvDefect>; digest: () => CsvDigest } {
  const meter = new ByteMeter(options.maxBytes ?? Number.MAX_SAFE_INTEGER);
  const maxRecordBytes = options.maxRecordBytes ?? 256 * 1024;
  // on_skip reports defects as the parser meets them, ahead of the records still buffered for the
  // consumer; they are merged back into file order by line below.
  const defects: CsvDefect[] = [];
  let fatal: BillingInputError | undefined;
  const parser = parse({
    delimiter: options.delimiter ?? ',',
    record_delimiter: ['\r\n', '\n', '\r'],
    bom: true,
    info: true,
    raw: true,
    relax_quotes: true,
    relax_column_count: true,
    // Empty lines are dropped below: csv-parse's own skipping loses track of line numbers.
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      if (fatal) return undefined;
      const line = startLine(typeof error?.lines === 'number' ? error.lines : 0, raw);
      if (error?.code === 'CSV_MAX_RECORD_SIZE') {
        const reason = `line ${line}: a record longer than ${maxRecordBytes} bytes (a quote opened and never closed?)`;
        fatal = new BillingInputError('file', reason);
        setImmediate(() => parser.destroy(fatal));
        return undefined;
      }
      const reason =
        error?.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'a quoted field is never closed'
          : `not a CSV record (${error?.message ?? 'unreadable'})`;
      defects.push({ kind: 'defect', line, reason, raw: clip(raw) });
      return undefined;
    },
  });
  input.on('error', (e) => meter.destroy(e));
  meter.on('error', (e) => parser.destroy(e));
  input.pipe(meter).pipe(parser);

  async function* records(): AsyncGenerator<CsvRecord | CsvDefect> {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      if (fatal) throw fatal;
      const line = startLine(item.info.lines, item.raw);
      while (defects.length && defects[0].line < line) yield defects.shift()!;
      if (item.record.every((f) => f.trim() === '')) continue;
      yield { kind: 'record', line, fields: item.record, raw: clip(item.raw) };
    }
    if (fatal) throw fatal;
    while (defects.length) yield defects.shift()!;
  }
  return { records: records(), digest: () => meter.digest() };
}

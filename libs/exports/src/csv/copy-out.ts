import { Readable } from 'node:stream';
import type { Connection } from 'pg';

/** The parts of node-postgres' connection a COPY reader takes over for the COPY's duration. */
interface PgConnection {
  stream: Readable;
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const HEADER = 5; // type byte + int32 length (which counts itself)

/**
 * `COPY (...) TO STDOUT` read straight off the connection, as one Readable of the CopyData
 * payloads. It does what pg-copy-streams' `to()` does — takes the socket from node-postgres'
 * parser until CopyDone, hands back an ErrorResponse (so the query fails as any other) and
 * whatever follows CopyDone — but copies each socket chunk's payloads into one buffer, where
 * pg-copy-streams makes a Buffer per message: a binary COPY sends a message per row, and that
 * was a third of the worker's CPU in a million-row export.
 *
 * Backpressure: the socket is read only while this stream wants data.
 */
export class CopyOutStream extends Readable {
  /** Rows the server reports in its CommandComplete (`COPY n`). */
  rowCount = 0;
  private connection: PgConnection | null = null;
  private pgDataHandler: ((chunk: Buffer) => void) | null = null;
  private pending: Buffer | null = null;
  /** Bytes of the current CopyData payload still to come in later chunks. */
  private payloadLeft = 0;
  private wanted = false;
  private forwarding = false;
  private finished = false;
  private readonly onReadable = () => this.forward();

  constructor(private readonly text: string) {
    super({ highWaterMark: 1 << 20 });
  }

  /** node-postgres' Submittable: called when the query's turn comes on its client. */
  submit(pgConnection: Connection): void {
    const connection = pgConnection as unknown as PgConnection;
    this.connection = connection;
    const socket = connection.stream;
    const handlers = socket.listeners('data') as Array<(chunk: Buffer) => void>;
    if (handlers.length !== 1) throw new Error('unexpected node-postgres connection: one data listener expected');
    this.pgDataHandler = handlers[0];
    socket.removeListener('data', this.pgDataHandler);
    socket.pause();
    socket.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.wanted = true;
    this.forward();
  }

  /** node-postgres hands the query's error here (after we gave it the ErrorResponse). */
  handleError(error: Error): void {
    this.destroy(error);
  }

  handleCommandComplete(message: { text?: string } | undefined): void {
    const match = /COPY (\d+)/.exec(message?.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {}

  private forward(): void {
    if (this.forwarding || !this.connection || this.finished) return;
    this.forwarding = true;
    try {
      let chunk: Buffer | null;
      while (this.wanted && !this.finished && (chunk = this.connection.stream.read() as Buffer | null) !== null) {
        this.wanted = this.parse(chunk);
      }
    } finally {
      this.forwarding = false;
    }
  }

  /** Takes the payloads out of a chunk of protocol messages; returns whether to read on. */
  private parse(chunk: Buffer): boolean {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    const n = data.length;
    const out = Buffer.allocUnsafe(n);
    let size = 0;
    let p = 0;
    // The rest of a payload begun in an earlier chunk.
    if (this.payloadLeft > 0) {
      const take = Math.min(this.payloadLeft, n);
      size += data.copy(out, size, 0, take);
      this.payloadLeft -= take;
      p = take;
    }
    while (p < n && this.payloadLeft === 0) {
      if (p + HEADER > n) {
        this.pending = data.subarray(p);
        break;
      }
      const type = data[p];
      const length = data.readUInt32BE(p + 1);
      if (type === COPY_DATA) {
        const start = p + HEADER;
        const end = Math.min(p + 1 + length, n);
        size += data.copy(out, size, start, end);
        this.payloadLeft = p + 1 + length - end;
        p = end;
      } else if (type === ERROR_RESPONSE) {
        // node-postgres reads the error and fails the query (handleError).
        return this.detach(data.subarray(p), size > 0 ? out.subarray(0, size) : null);
      } else if (p + 1 + length > n) {
        this.pending = data.subarray(p);
        break;
      } else if (type === COPY_DONE) {
        const payload = size > 0 ? out.subarray(0, size) : null;
        this.detach(data.subarray(p + 1 + length), payload);
        this.push(null);
        return false;
      } else {
        // CopyOutResponse, and notices or parameter changes the server may send meanwhile.
        p += 1 + length;
      }
    }
    return size > 0 ? this.push(out.subarray(0, size)) : true;
  }

  /** Gives the socket back to node-postgres, with the bytes it has to read first. */
  private detach(rest: Buffer, payload: Buffer | null): boolean {
    this.finished = true;
    if (payload) this.push(payload);
    const connection = this.connection!;
    const socket = connection.stream;
    const handler = this.pgDataHandler!;
    socket.removeListener('readable', this.onReadable);
    socket.on('data', handler);
    if (rest.length > 0) handler(rest);
    // The data handler may pause the socket; let it flow again once this turn is over.
    process.nextTick(() => socket.resume());
    return false;
  }
}

import { closeSync, openSync, writeSync } from 'node:fs';
import { Vendor } from '../model';
import { CallTruth, TruthAccumulator, TruthSettings } from '../truth';
import { WorldFile } from './world-file';

/**
 * A buffered, synchronous file writer: the generator loop is synchronous and produces text far
 * faster than small writes could flush it, so text is gathered into ~1 MiB writes. Memory stays
 * at one buffer whatever the file size.
 */
export class FileSink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Appends text. */
  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 1 << 20) this.flush();
  }

  /** Writes out what is buffered. */
  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }

  /** Flushes and closes the file. */
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Streams the ground-truth JSON: the header first, then one entry per call as it is decided, and
 * at the end the queue intervals and event counts (known only when the run is over).
 */
export class TruthWriter {
  private first = true;
  private readonly sink: FileSink;

  constructor(
    path: string,
    header: {
      seed: number;
      window: { start: string; end: string };
      settings: TruthSettings;
      world: WorldFile;
    },
  ) {
    this.sink = new FileSink(path);
    const tenants = header.world.tenants.map((t) => ({
      index: t.index,
      id: t.id,
      name: t.name,
      timezone: t.timezone,
      sources: Object.fromEntries(Object.entries(t.sources).map(([v, s]) => [v, s.id])),
    }));
    this.sink.write(
      `{"version":1,"seed":${header.seed},"window":${JSON.stringify(header.window)},` +
        `"settings":${JSON.stringify(header.settings)},"tenants":${JSON.stringify(tenants)},"calls":{`,
    );
  }

  /** Adds calls (vendorCallId → record). */
  addCalls(truths: readonly CallTruth[]): void {
    for (const t of truths) {
      const { vendorCallId, ...rest } = t;
      this.sink.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(vendorCallId)}:${JSON.stringify(rest)}`);
      this.first = false;
    }
  }

  /** Writes the queue intervals and event counts and closes the file. */
  finish(truth: TruthAccumulator, extra: Record<string, unknown>): number {
    const events: Record<Vendor, Record<string, number>> = truth.totalEvents();
    this.sink.write(
      `\n},"queues":${JSON.stringify(truth.queues())},"events":${JSON.stringify(events)},` +
        `"eventsByTenant":${JSON.stringify(truth.events)},"totals":${JSON.stringify({ calls: truth.calls, callsByVendor: truth.callsByVendor, ...extra })}}\n`,
    );
    this.sink.close();
    return this.sink.bytes;
  }
}

/** Progress lines on stderr, at most every two seconds. */
export class Progress {
  private readonly started = Date.now();
  private last = this.started;

  constructor(
    private readonly quiet: boolean,
    private readonly label: string,
  ) {}

  /** Reports when due (or always with `force`). */
  tick(done: number, clockSec: number, extra = '', force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!force && now - this.last < 2000) return;
    this.last = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? Math.round(done / elapsed) : 0;
    const sim = clockSec > 0 ? new Date(clockSec * 1000).toISOString().slice(0, 16) : '-';
    process.stderr.write(
      `simulate ${this.label}: ${done.toLocaleString('en')} events (${rate.toLocaleString('en')}/s), simulated ${sim}Z${extra}\n`,
    );
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DateTime } from 'luxon';
import { ExportReportDefinition } from './reports/report';
import { Period } from './schedule/relative-range';

/** What was written: the file as stored and served (compressed when gzip). */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/**
 * Writes `body` to `path` atomically: into a temporary file in the same directory, flushed to
 * disk, then renamed — a reader (the download route, a concurrent retry) sees the whole file or
 * none. Counts the bytes and hashes them (SHA-256) as they are written; gzip compresses first.
 * On any error the temporary file is removed.
 */
export async function writeAtomically(body: Readable, path: string, gzip: boolean): Promise<WrittenFile> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    const file = createWriteStream(temporary, { flags: 'wx', mode: 0o640 });
    await (gzip ? pipeline(body, createGzip({ level: 6 }), measure, file) : pipeline(body, measure, file));
    await fsync(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // The rename itself survives a crash only once the directory is on disk too.
  await fsync(dir);
  return { bytes, sha256: hash.digest('hex') };
}

/** Flushes a file's (or a directory's) data to disk. */
async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A local time and offset made safe for a file name: `2026-03-01T00-00+00-00`. */
function stamp(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd'T'HH-mmZZ").replace(':', '-');
}

/**
 * The file name of an export: report, period and zone, e.g.
 * `calls_2026-03-01T00-00+00-00_2026-03-02T00-00+00-00_Europe-London.csv.gz` (ASCII only, so it
 * needs no encoding in a Content-Disposition header). A report without a period (RECONCILIATION)
 * is named by its run.
 */
export function exportFileName(
  report: ExportReportDefinition,
  period: Period | null,
  zone: string,
  gzip: boolean,
  runId: string,
): string {
  const middle = period ? `${stamp(period.from, zone)}_${stamp(period.to, zone)}` : runId;
  const name = `${report.slug}_${middle}_${zone}`.replace(/[^A-Za-z0-9_.+-]/g, '-');
  return `${name}.csv${gzip ? '.gz' : ''}`;
}

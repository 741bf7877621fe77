import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { NewEvent, toPayloadJson } from '@app/event-store';

/** The columns EventStore.append writes, in the same order, so COPY stores the same rows. */
export const RAW_EVENT_COLUMNS = [
  'tenant_id',
  'source_id',
  'vendor',
  'type',
  'recognized',
  'problem',
  'dedup_key',
  'occurred_at',
  'call_key',
  'session_key',
  'extension',
  'queue',
  'delivery_id',
  'raw',
  'payload',
] as const;

const COPY_SQL = `COPY raw_events (${RAW_EVENT_COLUMNS.join(', ')}) FROM STDIN`;

// COPY text format: backslash, newline, carriage return and tab are the only special bytes.
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function field(v: string | null | undefined): string {
  return v == null ? '\\N' : v.replace(SPECIAL, (c) => ESCAPES[c]);
}

/** One event as a line of COPY text. */
export function copyLine(e: NewEvent): string {
  return (
    [
      e.tenantId,
      e.sourceId.toLowerCase(),
      field(e.vendor),
      field(e.type),
      e.recognized ? 't' : 'f',
      field(e.problem),
      field(e.dedupKey),
      e.occurredAt ? e.occurredAt.toISOString() : '\\N',
      field(e.callKey),
      field(e.sessionKey),
      field(e.extension),
      field(e.queue),
      e.deliveryId ?? '\\N',
      // bytea hex input is "\x..."; its backslash is itself escaped in COPY text.
      `\\\\x${e.raw.toString('hex')}`,
      // Like EventStore.append: an event without a prepared jsonb text is parsed from its bytes.
      field(e.payloadJson ?? toPayloadJson(JSON.parse(e.raw.toString('utf8')))),
    ].join('\t') + '\n'
  );
}

/**
 * COPYs `events` in one statement (its own transaction on an idle client, so committed when
 * this resolves), encoding `linesPerChunk` rows per write to keep memory flat for big loads.
 * Returns the number of rows the server reports.
 */
export async function copyEvents(
  client: PoolClient,
  events: readonly NewEvent[],
  linesPerChunk = 1000,
): Promise<number> {
  const stream = client.query(copyFrom(COPY_SQL));
  function* chunks(): Generator<string> {
    for (let i = 0; i < events.length; i += linesPerChunk) {
      let text = '';
      for (const e of events.slice(i, i + linesPerChunk)) text += copyLine(e);
      yield text;
    }
  }
  await pipeline(Readable.from(chunks()), stream);
  return stream.rowCount;
}

/**
 * Generates `total` events chunk by chunk with `next(n)` and COPYs each chunk in its own
 * transaction, two in flight while the next chunk is generated. Returns the rows stored.
 */
export async function loadEvents(
  pool: Pool,
  next: (count: number) => NewEvent[],
  total: number,
  log: (message: string) => void,
  chunk = 25_000,
): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let generated = 0;
  let copied = 0;
  let lastLog = performance.now();
  while (generated < total && failure === undefined) {
    const events = next(Math.min(chunk, total - generated));
    if (events.length === 0) break;
    generated += events.length;
    const p = (async () => {
      const client = await pool.connect();
      try {
        // Await first: `copied += await ...` would read `copied` before the await and lose updates.
        const rows = await copyEvents(client, events);
        copied += rows;
      } finally {
        client.release();
      }
    })().catch((e: unknown) => void (failure ??= e));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`loaded ${copied.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events`);
    }
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  if (copied !== generated) throw new Error(`COPY stored ${copied} of ${generated} events`);
  return copied;
}

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { toPayloadJson } from '@app/event-store';
import { DEFAULT_EXTENSION_PATTERN, getVendorAdapter } from '@app/vendors';
import { Delivery } from '../simulate';

/** The raw_events columns EventStore.append writes, in the same order, so rows are identical. */
const RAW_COLUMNS = [
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
].join(', ');

// COPY text format: only backslash, newline, carriage return and tab need escaping.
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const field = (v: string | null): string => (v === null ? '\\N' : v.replace(SPECIAL, (c) => ESCAPES[c]));
// PostgreSQL text cannot hold U+0000 (ingestion replaces it the same way).
const text = (v: string | null): string | null => (v === null ? null : v.replaceAll('\u0000', '\ufffd'));

// What toPayloadJson re-encodes for jsonb (U+0000 and lone surrogates).
const UNSAFE_FOR_JSONB = /\\u(0000|d[89a-f])/i;

/** Where a delivery goes: its tenant, source and the source's zone (for zone-less times). */
export interface DirectTarget {
  tenantId: string;
  sourceId: string;
  timezone: string;
}

/** Counts of a direct load. */
export interface DirectStats {
  /** Rows stored in raw_events. */
  stored: number;
  /** Deliveries not stored because the same event (source, dedup key) was already loaded. */
  duplicates: number;
  unrecognized: number;
  transactions: number;
  /** Chunks that met an existing claim and went through the slower ON CONFLICT path. */
  conflictChunks: number;
}

interface Chunk {
  claims: string;
  rows: string;
  count: number;
}

/**
 * Loads deliveries straight into raw_events with COPY, parsing each event exactly as ingestion
 * does (same adapter, same columns, same bytes), and claims each dedup key in event_dedup in the
 * same transaction, so a later webhook retry of the same event is answered as a duplicate.
 *
 * Duplicates the generator injected are dropped in memory by a two-generation window of recent
 * keys (a duplicate follows its original by at most the duplicate window), so memory does not
 * grow with the run. A chunk that still meets an existing claim (e.g. loading into sources that
 * already hold the same events) is retried through a staging table with ON CONFLICT DO NOTHING.
 */
export class DirectLoader {
  readonly stats: DirectStats = { stored: 0, duplicates: 0, unrecognized: 0, transactions: 0, conflictChunks: 0 };
  private chunk: Chunk = { claims: '', rows: '', count: 0 };
  private readonly inflight = new Set<Promise<void>>();
  private failure: Error | null = null;
  private recent = new Set<string>();
  private older = new Set<string>();
  private generationStart = -Infinity;

  constructor(
    private readonly pool: Pool,
    private readonly options: { chunkRows: number; concurrency: number; duplicateWindowMs: number },
  ) {}

  /** Adds one delivery; resolves once it is buffered (waits when too many chunks are in flight). */
  async add(d: Delivery, target: DirectTarget): Promise<void> {
    if (this.failure) throw this.failure;
    const p = getVendorAdapter(d.vendor).parse(d.body, {
      timezone: target.timezone,
      extensionPattern: DEFAULT_EXTENSION_PATTERN,
    });
    const key = `${target.sourceId}\u0000${p.dedupKey}`;
    if (d.atMs - this.generationStart > this.options.duplicateWindowMs) {
      this.older = this.recent;
      this.recent = new Set();
      this.generationStart = d.atMs;
    }
    if (this.recent.has(key) || this.older.has(key)) {
      this.stats.duplicates++;
      return;
    }
    this.recent.add(key);
    if (!p.recognized) this.stats.unrecognized++;
    const dedupKey = field(text(p.dedupKey));
    this.chunk.claims += `${target.sourceId}\t${dedupKey}\t${target.tenantId}\n`;
    this.chunk.rows +=
      [
        target.tenantId,
        target.sourceId,
        d.vendor,
        field(text(p.type)),
        p.recognized ? 't' : 'f',
        field(text(p.problems.length ? p.problems.join('; ') : null)),
        dedupKey,
        p.occurredAt ? p.occurredAt.toISOString() : '\\N',
        field(text(p.callKey)),
        field(text(p.sessionKey)),
        field(text(p.extension)),
        field(text(p.queue)),
        randomUUID(),
        // bytea hex input is "\x…"; its backslash is itself escaped in COPY text.
        `\\\\x${Buffer.from(d.text, 'utf8').toString('hex')}`,
        // d.text is JSON.stringify(d.body): reuse it unless jsonb needs the safe re-encoding.
        field(UNSAFE_FOR_JSONB.test(d.text) ? toPayloadJson(d.body) : d.text),
      ].join('\t') + '\n';
    if (++this.chunk.count >= this.options.chunkRows) await this.ship();
  }

  /** Writes what is buffered and waits for every transaction in flight. */
  async finish(): Promise<DirectStats> {
    if (this.chunk.count > 0) await this.ship();
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure;
    return this.stats;
  }

  private async ship(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = { claims: '', rows: '', count: 0 };
    const p: Promise<void> = this.write(chunk)
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    while (this.inflight.size >= this.options.concurrency) await Promise.race(this.inflight);
    if (this.failure) throw this.failure;
  }

  private async write(chunk: Chunk): Promise<void> {
    const client = await this.pool.connect();
    try {
      try {
        await client.query('BEGIN');
        await copy(client, 'COPY event_dedup (source_id, dedup_key, tenant_id) FROM STDIN', chunk.claims);
        const stored = await copy(client, `COPY raw_events (${RAW_COLUMNS}) FROM STDIN`, chunk.rows);
        await client.query('COMMIT');
        // Counted after the await: `stats.stored += await …` would read the total before it.
        this.stats.stored += stored;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((error as { code?: string }).code !== '23505') throw error;
        this.stats.conflictChunks++;
        await this.writeSkippingClaimed(client, chunk);
      }
      this.stats.transactions++;
    } finally {
      client.release();
    }
  }

  /** The slow path: stage the rows, claim what is free, store only the events whose claim was won. */
  private async writeSkippingClaimed(client: PoolClient, chunk: Chunk): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query(`CREATE TEMP TABLE sim_stage (
        ord bigserial, tenant_id uuid, source_id uuid, vendor text, type text, recognized boolean, problem text,
        dedup_key text, occurred_at timestamptz, call_key text, session_key text, extension text, queue text,
        delivery_id uuid, raw bytea, payload jsonb) ON COMMIT DROP`);
      await copy(client, `COPY sim_stage (${RAW_COLUMNS}) FROM STDIN`, chunk.rows);
      const { rowCount } = await client.query(`
        WITH firsts AS (
          SELECT DISTINCT ON (source_id, dedup_key) * FROM sim_stage ORDER BY source_id, dedup_key, ord
        ), claimed AS (
          INSERT INTO event_dedup (source_id, dedup_key, tenant_id)
          SELECT source_id, dedup_key, tenant_id FROM firsts ORDER BY source_id, dedup_key
          ON CONFLICT DO NOTHING RETURNING source_id, dedup_key
        )
        INSERT INTO raw_events (${RAW_COLUMNS})
        SELECT ${RAW_COLUMNS.split(', ')
          .map((c) => `f.${c}`)
          .join(', ')}
        FROM firsts f JOIN claimed c USING (source_id, dedup_key) ORDER BY f.ord`);
      await client.query('COMMIT');
      this.stats.stored += rowCount ?? 0;
      this.stats.duplicates += chunk.count - (rowCount ?? 0);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

async function copy(client: PoolClient, sql: string, body: string): Promise<number> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from([body]), stream);
  return stream.rowCount;
}

import { isUtf8 } from 'node:buffer';
import { Pool, QueryResultRow } from 'pg';
import { Queryable, epochMsSql, withTransaction } from '@app/platform/database/pg-pool';
import { CheckpointConflictError, InvalidEventError } from './event-store.errors';
import { AppendResult, Checkpoint, NewEvent, START_CHECKPOINT, StoredEvent } from './event-store.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UINT = /^\d+$/;

// Each event's bytes travel once, all of a batch in one bytea parameter with each event's byte
// offset and length (slicing a bytea is O(1); a text[] would make the client escape every quote
// of every payload, which cost more CPU than anything else in an append). jsonb is parsed from
// those bytes unless JS had to prepare a jsonb-safe payload (or the bytes are not UTF-8 text).
// One statement per batch: claim the dedup keys (in key order, so concurrent batches lock
// them in the same order and cannot deadlock), then insert only the events whose claim was
// won, in input order. A concurrent claim of the same key waits for the other transaction
// and then counts as a duplicate.
const APPEND_SQL = `
WITH input AS (
  SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[],
    $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[], $13::uuid[],
    $14::int[], $15::int[], $16::text[]
  ) WITH ORDINALITY AS t(tenant_id, source_id, vendor, type, recognized, problem, dedup_key,
    occurred_at, call_key, session_key, extension, queue, delivery_id, raw_start, raw_length, payload, ord)
),
firsts AS (
  SELECT DISTINCT ON (source_id, dedup_key) * FROM input ORDER BY source_id, dedup_key, ord
),
claimed AS (
  INSERT INTO event_dedup (source_id, dedup_key, tenant_id)
  SELECT source_id, dedup_key, tenant_id FROM firsts ORDER BY source_id, dedup_key
  ON CONFLICT DO NOTHING
  RETURNING source_id, dedup_key
),
won AS (
  SELECT f.*, substring($17::bytea FROM f.raw_start FOR f.raw_length) AS raw
  FROM firsts f JOIN claimed c USING (source_id, dedup_key)
)
INSERT INTO raw_events (tenant_id, source_id, vendor, type, recognized, problem, dedup_key,
  occurred_at, call_key, session_key, extension, queue, delivery_id, raw, payload)
SELECT w.tenant_id, w.source_id, w.vendor, w.type, w.recognized, w.problem, w.dedup_key,
  w.occurred_at, w.call_key, w.session_key, w.extension, w.queue, w.delivery_id,
  w.raw, coalesce(w.payload::jsonb, convert_from(w.raw, 'UTF8')::jsonb)
FROM won w
ORDER BY w.ord
RETURNING position::text, source_id, dedup_key`;

/**
 * The advisory lock (two int4 keys) a transaction holds, shared, to declare that it never appends
 * to raw_events: projection batches (see markNonAppending). Gap-safe reads need not wait for it.
 */
export const NON_APPENDING_LOCK: readonly [number, number] = [0x72617765, 1]; // "rawe"

/**
 * SQL (one value, an xid8) below which every transaction id of raw_events is final: the oldest
 * transaction still running that may append — the snapshot's oldest running transaction, skipping
 * those that hold NON_APPENDING_LOCK — else the snapshot's xmax. Positions may commit out of
 * order, but no transaction below it can still add an event, so a read never discovers an event
 * below its checkpoint later. Without the skip, every long projection batch (which writes, so it
 * has a transaction id) would hold back every reader's view of events appended after it began.
 * The lock and each running transaction's id are matched in pg_locks by virtual transaction,
 * from one consistent view of the lock table; a transaction found nowhere there counts as one
 * that may append, so any doubt only makes the read wait.
 */
export const APPEND_HORIZON_SQL = `(SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot()))
  FROM pg_snapshot_xip(pg_current_snapshot()) AS x
  WHERE x::xid <> ALL (ARRAY(
    SELECT t.transactionid FROM pg_locks t JOIN pg_locks m ON m.virtualtransaction = t.virtualtransaction
    WHERE t.locktype = 'transactionid' AND m.locktype = 'advisory' AND m.classid = ${NON_APPENDING_LOCK[0]}
      AND m.objid = ${NON_APPENDING_LOCK[1]} AND m.objsubid = 2 AND m.granted)))`;

/**
 * Declares the caller's transaction one that never appends to raw_events, so gap-safe reads of
 * other sessions need not wait for it (APPEND_HORIZON_SQL). Call it before the transaction's
 * first write; it holds until the transaction ends.
 */
export async function markNonAppending(client: Queryable): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [...NON_APPENDING_LOCK]);
}

// One horizon for the whole statement (a CTE is evaluated once): the page and its scan end below
// must agree on which transactions are settled, or the end could pass an event the page missed.
// The second branch (partitioned reads only) is the scan end: the last event of ANY partition
// below the horizon, marked `scan_end`; see readPage.
const readAfterSql = (columns: string, partitioned: boolean) => `
WITH horizon AS MATERIALIZED (SELECT ${APPEND_HORIZON_SQL} AS x)
(SELECT ${columns}, false AS scan_end
FROM raw_events
WHERE (tx_id, position) > ($1::xid8, $2::bigint)
  AND tx_id < (SELECT x FROM horizon)
  ${partitioned ? 'AND get_byte(uuid_send(tenant_id), 15) = ANY($4::int[])' : ''}
ORDER BY raw_events.tx_id, raw_events.position -- qualified: bare names would sort the text output columns
LIMIT $3)
${
  partitioned
    ? `UNION ALL
(SELECT ${columns}, true AS scan_end
FROM raw_events
WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND tx_id < (SELECT x FROM horizon)
ORDER BY raw_events.tx_id DESC, raw_events.position DESC
LIMIT 1)`
    : ''
}`;

// Times as epoch milliseconds (epochMsSql): a batch has thousands.
const TIMES = `${epochMsSql('occurred_at')} AS occurred_ms, ${epochMsSql('received_at')} AS received_ms`;
const FULL_COLUMNS = `position::text, tx_id::text AS tx_id, tenant_id, source_id, vendor, type, recognized, problem,
  dedup_key, ${TIMES}, call_key, session_key, extension, queue, delivery_id, raw, payload`;
// Projections re-load what they need per key; the batch itself only has to say what changed.
const KEY_COLUMNS = `position::text, tx_id::text AS tx_id, tenant_id, source_id, vendor, type, recognized, NULL AS problem,
  dedup_key, ${TIMES}, call_key, session_key, extension, queue, delivery_id, NULL AS raw, NULL AS payload`;
// For readers that fold from the batch itself: the keys and the parsed payload, not the raw bytes.
const PAYLOAD_COLUMNS = `position::text, tx_id::text AS tx_id, tenant_id, source_id, vendor, type, recognized, NULL AS problem,
  dedup_key, ${TIMES}, call_key, session_key, extension, queue, delivery_id, NULL AS raw, payload`;
const COLUMNS = { full: FULL_COLUMNS, keys: KEY_COLUMNS, payloads: PAYLOAD_COLUMNS } as const;

/**
 * Runs a read "after a checkpoint, in (tx_id, position) order, LIMIT n" with sorting switched off
 * for that one statement, inside the caller's transaction (`client` must be in one; the setting
 * is restored after the statement, and is transaction-local in any case).
 *
 * Why: the planner estimates how many events lie after a checkpoint from statistics that always
 * lag the table's growing end (a monthly partition is re-analysed only after a tenth of it
 * changed). Seeing a handful of rows there, it picks "read every event after the checkpoint, then
 * sort" over walking the (tx_id, position) index of each partition in order (a Merge Append that
 * stops after n rows) — and a reader 60,000 events behind then reads and sorts all 60,000 for
 * every batch of 2,000, which made a lagging projection fall further behind the more it lagged.
 * With sorts off the ordered index walk is the only plan left; it is never worse, since its cost
 * is bounded by the rows returned plus the other partitions' events it passes over.
 */
export async function inIndexOrder<R extends QueryResultRow>(
  client: Queryable,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const { rows } = await client.query<{ prev: string }>(
    `SELECT current_setting('enable_sort') AS prev, set_config('enable_sort', 'off', true)`,
  );
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    // After a failed read the transaction is aborted and so is the restore; the error is the read's.
    await client.query(`SELECT set_config('enable_sort', $1, true)`, [rows[0].prev]).catch(() => undefined);
  }
}

/** A page of readPage: the events, and the checkpoint the reader may move to once it applied them. */
export interface ReadPage {
  events: StoredEvent[];
  end: Checkpoint;
}

/** Options of readAfter. */
export interface ReadOptions {
  /** Only events of tenants in this partition (see tenantPartition). */
  partition?: { index: number; count: number };
  /**
   * `keys`: everything but raw and payload (null), for readers that re-load per key; `payloads`:
   * everything but raw (null).
   */
  fields?: keyof typeof COLUMNS;
}

/** The last bytes of tenant ids that fall in a partition (see tenantPartition). */
export function partitionBytes(index: number, count: number): number[] {
  const out: number[] = [];
  for (let b = index; b < 256; b += count) out.push(b);
  return out;
}

/** The partition of a tenant among `count`, as readAfter's partition filter computes it in SQL. */
export function tenantPartition(tenantId: string, count: number): number {
  return parseInt(tenantId.slice(-2), 16) % count;
}

interface RawRow {
  position: string;
  tx_id: string;
  tenant_id: string;
  source_id: string;
  vendor: string;
  type: string;
  recognized: boolean;
  problem: string | null;
  dedup_key: string;
  occurred_ms: number | null;
  received_ms: number;
  call_key: string | null;
  session_key: string | null;
  extension: string | null;
  queue: string | null;
  delivery_id: string | null;
  raw: Buffer;
  payload: unknown;
}

/** The append-only event store: idempotent batch append, gap-safe reads and checkpoints. */
export class EventStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Appends events in one transaction (or in the caller's, when `client` is given). An event
   * whose (source, dedup key) is already stored — or appears earlier in the same batch — is
   * reported as a duplicate and not stored again.
   */
  async append(events: readonly NewEvent[], client?: Queryable): Promise<AppendResult> {
    if (events.length === 0) return { outcomes: [], accepted: 0, duplicates: 0 };
    events.forEach(validate);
    const cols = toColumns(events);
    // One statement is atomic on its own: no BEGIN/COMMIT round trips unless the caller has a
    // transaction. Named, so each connection plans it once.
    const result = await (client ?? this.pool).query<{ position: string; source_id: string; dedup_key: string }>({
      name: 'cdr_event_store_append',
      text: APPEND_SQL,
      values: cols,
    } as never);

    const stored = new Map<string, string>();
    for (const row of result.rows) stored.set(`${row.source_id}\u0000${row.dedup_key}`, row.position);
    let accepted = 0;
    const outcomes = events.map((e) => {
      const key = `${e.sourceId.toLowerCase()}\u0000${text(e.dedupKey)}`;
      const position = stored.get(key);
      if (position === undefined) return { status: 'duplicate' as const };
      stored.delete(key); // later copies in the same batch are duplicates
      accepted++;
      return { status: 'stored' as const, position };
    });
    return { outcomes, accepted, duplicates: events.length - accepted };
  }

  /** Reads up to `limit` committed events after `checkpoint`, never skipping one that commits later. */
  async readAfter(
    checkpoint: Checkpoint,
    limit: number,
    client?: Queryable,
    options: ReadOptions = {},
  ): Promise<StoredEvent[]> {
    return (await this.readPage(checkpoint, limit, client, options)).events;
  }

  /**
   * readAfter, and where the reader may move its checkpoint to: after the last event when the page
   * is full; else — every event of the partition up to the settled end of the store having been
   * read — to that end, the last settled event of ANY partition. A partition whose tenants are
   * quiet thus keeps up with the store instead of re-scanning everything the other partitions
   * appended since its own last event on every read (a scan that grew without bound).
   */
  async readPage(
    checkpoint: Checkpoint,
    limit: number,
    client?: Queryable,
    options: ReadOptions = {},
  ): Promise<ReadPage> {
    assertCheckpoint(checkpoint);
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    const { partition, fields = 'full' } = options;
    if (
      partition &&
      !(partition.count >= 1 && partition.count <= 256 && partition.index >= 0 && partition.index < partition.count)
    ) {
      throw new RangeError('partition index must be in [0, count) with count in [1, 256]');
    }
    const sql = readAfterSql(COLUMNS[fields], Boolean(partition));
    const params: unknown[] = [checkpoint.txId, checkpoint.position, limit];
    // The partition's byte values (last byte of the tenant id), filtered in the ordered walk.
    if (partition) params.push(partitionBytes(partition.index, partition.count));
    const rows = client
      ? await inIndexOrder<RawRow & { scan_end: boolean }>(client, sql, params)
      : await withTransaction(this.pool, (c) => inIndexOrder<RawRow & { scan_end: boolean }>(c, sql, params));
    const events: StoredEvent[] = [];
    let scanEnd: Checkpoint | undefined;
    for (const r of rows) {
      if (r.scan_end) scanEnd = { txId: r.tx_id, position: r.position };
      else events.push(fromRow(r));
    }
    const end = events.length === limit || !scanEnd ? EventStore.checkpointAfter(events, checkpoint) : scanEnd;
    return { events, end };
  }

  /** The checkpoint of a reader after its last event (START_CHECKPOINT when `events` is empty). */
  static checkpointAfter(events: readonly StoredEvent[], current: Checkpoint = START_CHECKPOINT): Checkpoint {
    const last = events[events.length - 1];
    return last ? { txId: last.txId, position: last.position } : current;
  }

  /** The saved checkpoint of a named reader; START_CHECKPOINT if it never saved one. */
  async getCheckpoint(name: string, client?: Queryable): Promise<Checkpoint> {
    const { rows } = await (client ?? this.pool).query<{ tx_id: string; position: string }>(
      'SELECT tx_id::text AS tx_id, position::text FROM projection_checkpoints WHERE name = $1',
      [name],
    );
    return rows[0] ? { txId: rows[0].tx_id, position: rows[0].position } : { ...START_CHECKPOINT };
  }

  /**
   * Moves a named checkpoint from `expected` to `next` (compare-and-set). Use the same client as
   * the read-model writes so both commit or neither; throws CheckpointConflictError if another
   * runner moved it first.
   */
  async saveCheckpoint(name: string, expected: Checkpoint, next: Checkpoint, client?: Queryable): Promise<void> {
    assertCheckpoint(expected);
    assertCheckpoint(next);
    const q = client ?? this.pool;
    const isStart = expected.txId === '0' && expected.position === '0';
    // The first save creates the row; every later one must find it exactly where it was read.
    const { rowCount } = isStart
      ? await q.query(
          `INSERT INTO projection_checkpoints AS c (name, tx_id, position)
           VALUES ($1, $2::xid8, $3::bigint)
           ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()
           WHERE c.tx_id = '0' AND c.position = 0`,
          [name, next.txId, next.position],
        )
      : await q.query(
          `UPDATE projection_checkpoints SET tx_id = $4::xid8, position = $5::bigint, updated_at = now()
           WHERE name = $1 AND tx_id = $2::xid8 AND position = $3::bigint`,
          [name, expected.txId, expected.position, next.txId, next.position],
        );
    if (rowCount !== 1) throw new CheckpointConflictError(name);
  }
}

/**
 * JSON text for the jsonb column, which rejects what JSON.parse accepts in two cases: U+0000 and
 * lone UTF-16 surrogates. Only then is the value re-serialised with those replaced by U+FFFD, so
 * no event is ever refused for its payload; the exact bytes stay in `raw` regardless.
 */
export function toPayloadJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return /\\u(0000|d[89a-f])/i.test(text) ? JSON.stringify(jsonbSafe(value)) : text;
}

const safeText = (t: string) => t.replaceAll('\u0000', '\ufffd').toWellFormed();

function jsonbSafe(v: unknown): unknown {
  if (typeof v === 'string') return safeText(v);
  if (Array.isArray(v)) return (v as unknown[]).map(jsonbSafe);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [safeText(k), jsonbSafe(x)]));
  return v;
}

function validate(e: NewEvent, i: number): void {
  if (!UUID.test(e.tenantId)) throw new InvalidEventError(i, 'tenantId must be a UUID');
  if (!UUID.test(e.sourceId)) throw new InvalidEventError(i, 'sourceId must be a UUID');
  if (e.deliveryId != null && !UUID.test(e.deliveryId)) throw new InvalidEventError(i, 'deliveryId must be a UUID');
  if (!e.vendor) throw new InvalidEventError(i, 'vendor is required');
  if (!e.type) throw new InvalidEventError(i, 'type is required');
  if (!e.dedupKey) throw new InvalidEventError(i, 'dedupKey is required');
  if (!Buffer.isBuffer(e.raw)) throw new InvalidEventError(i, 'raw must be a Buffer');
  if (e.occurredAt && Number.isNaN(e.occurredAt.getTime()))
    throw new InvalidEventError(i, 'occurredAt is not a valid date');
}

function assertCheckpoint(c: Checkpoint): void {
  if (!UINT.test(c.txId) || !UINT.test(c.position))
    throw new RangeError('checkpoint txId and position must be unsigned integers');
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const BACKSLASH_U = Buffer.from('\\u');

/** Whether PostgreSQL text can carry the bytes unchanged (valid UTF-8, no NUL). */
function isText(raw: Buffer): boolean {
  return isUtf8(raw) && !raw.includes(0);
}

/**
 * Whether PostgreSQL's jsonb parser reads these bytes exactly as JSON.parse does. It differs only
 * on `\u` escapes (U+0000, lone surrogates) and a leading byte-order mark, so anything with
 * those gets its jsonb from JS instead.
 */
function jsonbParsesAlike(raw: Buffer): boolean {
  return !raw.includes(BACKSLASH_U) && !raw.subarray(0, 3).equals(BOM);
}

function payloadOf(raw: Buffer): string {
  const start = raw.subarray(0, 3).equals(BOM) ? 3 : 0;
  return toPayloadJson(JSON.parse(raw.toString('utf8', start)));
}

// PostgreSQL text cannot hold U+0000; such values can only come from a hostile payload.
const text = (v: string | null | undefined): string | null => (v == null ? null : v.replaceAll('\u0000', '\ufffd'));

function toColumns(events: readonly NewEvent[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 16 }, () => new Array<unknown>(events.length));
  let offset = 1; // substring() counts from 1
  events.forEach((e, i) => {
    cols[0][i] = e.tenantId;
    cols[1][i] = e.sourceId.toLowerCase();
    cols[2][i] = text(e.vendor);
    cols[3][i] = text(e.type);
    cols[4][i] = e.recognized;
    cols[5][i] = text(e.problem);
    cols[6][i] = text(e.dedupKey);
    cols[7][i] = e.occurredAt ? e.occurredAt.toISOString() : null;
    cols[8][i] = text(e.callKey);
    cols[9][i] = text(e.sessionKey);
    cols[10][i] = text(e.extension);
    cols[11][i] = text(e.queue);
    cols[12][i] = e.deliveryId ?? null;
    cols[13][i] = offset;
    cols[14][i] = e.raw.length;
    offset += e.raw.length;
    // null: PostgreSQL parses the jsonb from the bytes themselves (see APPEND_SQL).
    cols[15][i] = e.payloadJson ?? (isText(e.raw) && jsonbParsesAlike(e.raw) ? null : payloadOf(e.raw));
  });
  return [
    ...cols,
    Buffer.concat(
      events.map((e) => e.raw),
      offset - 1,
    ),
  ];
}

function fromRow(r: RawRow): StoredEvent {
  return {
    position: r.position,
    txId: r.tx_id,
    tenantId: r.tenant_id,
    sourceId: r.source_id,
    vendor: r.vendor,
    type: r.type,
    recognized: r.recognized,
    problem: r.problem,
    dedupKey: r.dedup_key,
    occurredAt: r.occurred_ms === null ? null : new Date(r.occurred_ms),
    receivedAt: new Date(r.received_ms),
    callKey: r.call_key,
    sessionKey: r.session_key,
    extension: r.extension,
    queue: r.queue,
    deliveryId: r.delivery_id,
    raw: r.raw,
    payload: r.payload,
  };
}

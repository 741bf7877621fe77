import { PoolClient } from 'pg';
import { rateCalls } from '@app/billing';
import { epochMsSql } from '@app/platform/database/pg-pool';
import { Checkpoint, StoredEvent } from '@app/event-store';
import { PartitionMemories } from '../runner/partition-memory';
import { BatchInfo, Projection } from '../runner/projection';
import { CallEvent, FoldContext, foldCall } from './call-sessions.reducer';
import { CallRow, callId, writeCalls } from './call-sessions.writer';

interface LoadedEvent {
  tenant_id: string;
  source_id: string;
  call_key: string;
  position: string;
  vendor: CallEvent['vendor'];
  type: string;
  /** Milliseconds since the epoch (a number parses much faster than a timestamp's text). */
  occurred_ms: number | null;
  received_ms: number;
  dedup_key: string;
  payload: unknown;
}

interface SourceRow {
  id: string;
  timezone: string;
  extension_pattern: string;
  queue_numbers: string[];
}

type CallKey = { tenantId: string; sourceId: string; callKey: string };

/** Events remembered per projection instance (all partitions) unless told otherwise. */
const MEMORY_EVENTS = 60_000;
/** Past this many forgotten calls a partition's memory stops being `complete`. */
const MAX_FORGOTTEN = 1_000_000;

/** The stored dedup key when it is a content hash (see CallEvent.contentKey). */
const contentKey = (dedupKey: string) => (dedupKey.startsWith('h:') ? dedupKey : undefined);

function toCallEvent(e: StoredEvent): CallEvent {
  return {
    position: e.position,
    vendor: e.vendor as CallEvent['vendor'],
    type: e.type,
    occurredAt: e.occurredAt,
    receivedAt: e.receivedAt,
    payload: e.payload,
    contentKey: contentKey(e.dedupKey),
  };
}

/**
 * One row per call. Each batch re-folds every call it touches from all of that call's stored
 * events, so duplicates, reordering and late events give the same row as a clean rebuild.
 *
 * Under the runner (which hands over each batch with its payloads and where it lies in the
 * store), the events of a call already seen in this partition come from memory instead of a
 * re-load: the memory of a partition is valid only while batches follow each other (a batch
 * starting where the remembered one ended; otherwise — another worker took a batch, a rebuild
 * reset the checkpoints — it is dropped), and it is updated only once a batch has committed.
 * Calls the memory cannot vouch for are re-loaded from the store, as without it.
 */
export class CallSessionsProjection implements Projection {
  readonly name = 'call-sessions';
  readonly tables = ['call_legs', 'call_sessions'];
  readonly wantsPayloads = true;
  /** Per partition, the events of the calls folded, by `tenant/source/callKey`. */
  private readonly memories: PartitionMemories<CallEvent[]>;
  /** Calls of the runner's batches folded from memory (or known to be new), and re-loaded from the store. */
  readonly stats = { fromMemory: 0, reloaded: 0 };

  /** `memoryEvents`: how many events to remember across partitions (0: re-load every call). */
  constructor(options: { memoryEvents?: number } = {}) {
    const n = options.memoryEvents ?? MEMORY_EVENTS;
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`memoryEvents must be a whole number >= 0, not ${n}`);
    this.memories = new PartitionMemories<CallEvent[]>(n, (events) => events.length, MAX_FORGOTTEN);
  }

  async apply(client: PoolClient, events: readonly StoredEvent[], now: Date, batch?: BatchInfo): Promise<void> {
    if (!batch?.payloads) return this.applyByKeys(client, events, now);
    const memory = this.memories.for(batch);
    const touched = new Map<string, { key: CallKey; vendor: string; batch: CallEvent[] }>();
    for (const e of events) {
      if (!e.callKey) continue;
      const k = `${e.tenantId}/${e.sourceId}/${e.callKey}`;
      let t = touched.get(k);
      if (!t) {
        t = { key: { tenantId: e.tenantId, sourceId: e.sourceId, callKey: e.callKey }, vendor: e.vendor, batch: [] };
        touched.set(k, t);
      }
      t.batch.push(toCallEvent(e));
    }
    if (touched.size === 0) return this.memories.commit(memory, batch, () => []);
    // What is known of each call before the batch, taken now: while this batch awaits the
    // database, another partition's commit may make the memory forget calls.
    const before = new Map<string, readonly CallEvent[]>();
    const unknown: CallKey[] = [];
    for (const [k, t] of touched) {
      const remembered = memory.entries.get(k);
      if (remembered) before.set(k, remembered);
      else if (memory.knownAbsent(k)) before.set(k, []);
      else unknown.push(t.key);
    }
    this.stats.fromMemory += touched.size - unknown.length;
    this.stats.reloaded += unknown.length;
    const stored = unknown.length ? await loadCalls(client, unknown, batch) : new Map<string, LoadedCall>();
    const contexts = await sourceContexts(client, [...new Set([...touched.values()].map((t) => t.key.sourceId))], now);
    const merged = new Map<string, CallEvent[]>();
    const out: CallRow[] = [];
    for (const [k, t] of touched) {
      const base = before.get(k) ?? stored.get(k)?.events ?? [];
      const known = new Set(base.map((e) => e.position));
      const all = base.concat(t.batch.filter((e) => !known.has(e.position)));
      merged.set(k, all);
      const ctx = contexts.get(t.key.sourceId);
      if (!ctx) continue;
      const folded = foldCall(t.key.callKey, all, ctx);
      if (!folded) continue;
      out.push({
        tenantId: t.key.tenantId,
        sourceId: t.key.sourceId,
        vendor: t.vendor,
        eventCount: all.length,
        ...folded,
      });
    }
    await writeCalls(client, out);
    // Once committed, the touched calls' events join the memory.
    this.memories.commit(memory, batch, () => merged);
  }

  passedQuietly(batch: BatchInfo): void {
    this.memories.passedQuietly(batch);
  }

  /** Without the runner's batch: every touched call re-folded from its stored events. */
  private async applyByKeys(client: PoolClient, events: readonly StoredEvent[], now: Date): Promise<void> {
    const keys = new Map<string, CallKey>();
    for (const e of events) {
      if (!e.callKey) continue;
      keys.set(`${e.tenantId}/${e.sourceId}/${e.callKey}`, {
        tenantId: e.tenantId,
        sourceId: e.sourceId,
        callKey: e.callKey,
      });
    }
    if (keys.size === 0) return;
    await refold(client, [...keys.values()], now);
  }
}

interface LoadedCall {
  key: CallKey;
  vendor: string;
  events: CallEvent[];
}

/**
 * Every stored event of the given calls, by `tenant/source/callKey` (calls without events absent)
 * — but those of a runner's batch (`except`), which the caller has in hand with their payloads.
 */
async function loadCalls(
  client: PoolClient,
  keys: readonly CallKey[],
  except?: { from: Checkpoint; to: Checkpoint },
): Promise<Map<string, LoadedCall>> {
  const params: unknown[] = [keys.map((k) => k.tenantId), keys.map((k) => k.sourceId), keys.map((k) => k.callKey)];
  if (except) params.push(except.from.txId, except.from.position, except.to.txId, except.to.position);
  const { rows } = await client.query<LoadedEvent>(
    `SELECT e.tenant_id, e.source_id, e.call_key, e.position::text, e.vendor, e.type, ${epochMsSql('e.occurred_at')} AS occurred_ms,
            ${epochMsSql('e.received_at')} AS received_ms, e.dedup_key, e.payload
     FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, call_key)
     JOIN raw_events e ON e.tenant_id = k.tenant_id AND e.call_key = k.call_key AND e.source_id = k.source_id
     ${except ? 'WHERE NOT ((e.tx_id, e.position) > ($4::xid8, $5::bigint) AND (e.tx_id, e.position) <= ($6::xid8, $7::bigint))' : ''}`,
    params,
  );
  const calls = new Map<string, LoadedCall>();
  for (const r of rows) {
    const k = `${r.tenant_id}/${r.source_id}/${r.call_key}`;
    let call = calls.get(k);
    if (!call) {
      call = {
        key: { tenantId: r.tenant_id, sourceId: r.source_id, callKey: r.call_key },
        vendor: r.vendor,
        events: [],
      };
      calls.set(k, call);
    }
    call.events.push({
      position: r.position,
      vendor: r.vendor,
      type: r.type,
      // Date truncates fractions of a millisecond, as the store's batch read does (floor).
      occurredAt: r.occurred_ms === null ? null : new Date(r.occurred_ms),
      receivedAt: new Date(r.received_ms),
      payload: r.payload,
      contentKey: contentKey(r.dedup_key),
    });
  }
  return calls;
}

/** Re-folds the given calls from their stored events and writes them. */
export async function refold(client: PoolClient, keys: readonly CallKey[], now: Date): Promise<void> {
  const calls = await loadCalls(client, keys);
  const contexts = await sourceContexts(client, [...new Set(keys.map((k) => k.sourceId))], now);
  const out: CallRow[] = [];
  for (const call of calls.values()) {
    const ctx = contexts.get(call.key.sourceId);
    if (!ctx) continue;
    const folded = foldCall(call.key.callKey, call.events, ctx);
    if (!folded) continue;
    const { tenantId, sourceId } = call.key;
    out.push({ tenantId, sourceId, vendor: call.vendor, eventCount: call.events.length, ...folded });
  }
  await writeCalls(client, out);
}

async function sourceContexts(client: PoolClient, sourceIds: string[], now: Date): Promise<Map<string, FoldContext>> {
  const { rows } = await client.query<SourceRow>(
    `SELECT s.id, coalesce(s.timezone, t.timezone) AS timezone, coalesce(s.extension_pattern, t.extension_pattern) AS extension_pattern,
            s.queue_numbers
     FROM sources s JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ANY($1::uuid[])`,
    [sourceIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        timezone: r.timezone,
        extensionPattern: new RegExp(r.extension_pattern),
        queueNumbers: new Set(r.queue_numbers),
        now,
      },
    ]),
  );
}

/** Re-folds calls still in progress after six silent hours, which closes them; returns how many. */
export async function sweepSilentCalls(client: PoolClient, limit = 5000): Promise<number> {
  const { rows } = await client.query<{ tenant_id: string; source_id: string; vendor_call_id: string; now: Date }>(
    `SELECT tenant_id, source_id, vendor_call_id, now() AS now FROM call_sessions
     WHERE status = 'IN_PROGRESS' AND last_event_at < now() - interval '6 hours' LIMIT $1`,
    [limit],
  );
  if (rows.length === 0) return 0;
  await refold(
    client,
    rows.map((r) => ({ tenantId: r.tenant_id, sourceId: r.source_id, callKey: r.vendor_call_id })),
    rows[0].now,
  );
  // Closing a call changes its row without an event, so the call-costs projection would never
  // see it: rate the closed calls here, in the same transaction.
  await rateCalls(
    client,
    rows.map((r) => ({ tenantId: r.tenant_id, callId: callId(r.tenant_id, r.source_id, r.vendor_call_id) })),
  );
  return rows.length;
}

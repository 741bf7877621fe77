import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';
import { portsipSlaBreach } from '@app/vendors/portsip';
import { BatchInfo, Projection } from '../runner/projection';
import {
  QueueAttempt,
  QueueEvent,
  QueueFoldContext,
  foldQueueAttempts,
  queueMappings,
  splitQueueCallerStatus,
} from './queue-attempts.reducer';
import { BucketKey, recomputeBuckets } from './queue-stats.writer';
import { bucketStart } from './queue-stats';

/** Event types the queue fold reads, per vendor (everything else of a call is irrelevant to it). */
const FOLD_TYPES: Readonly<Record<string, readonly string[]>> = {
  portsip: ['queue_caller_status', 'queue_agent_status', 'queue_status', 'call_cdr'],
  voipcloud: ['queue_call', 'ring_group_call'],
};
const ALL_FOLD_TYPES = [...new Set(Object.values(FOLD_TYPES).flat())];
/** PortSIP payloads that may speak of several calls (and queue_status: of the id → number mapping). */
const MULTI_CALL_TYPES: ReadonlySet<string> = new Set(['queue_caller_status', 'queue_agent_status', 'queue_status']);
const SLA_BREACHED = 'queue_sla_breached';

export interface CallRef {
  tenantId: string;
  sourceId: string;
  callKey: string;
}

interface LoadedEvent {
  tenant_id: string;
  source_id: string;
  call_key: string;
  position: string;
  vendor: QueueEvent['vendor'];
  type: string;
  occurred_at: Date | null;
  received_at: Date;
  payload: unknown;
}

const refKey = (r: CallRef) => `${r.tenantId}/${r.sourceId}/${r.callKey}`;

/**
 * Queue attempts (one caller entering one queue once) and their 15-minute stats. Each batch
 * re-folds every call it touches from that call's stored queue events; PortSIP payloads naming
 * several callers are indexed per call (queue_event_calls) so a call's re-fold finds them, and a
 * newly learnt queue_id → number mapping re-folds the calls still labelled with the bare id.
 */
export class QueueAttemptsProjection implements Projection {
  readonly name = 'queue-attempts';
  readonly tables = [
    'queue_hour_stats',
    'queue_interval_stats',
    'queue_attempts',
    'queue_event_calls',
    'queue_mappings',
    'queue_sla_breaches',
  ];

  async apply(client: PoolClient, events: readonly StoredEvent[], _now?: Date, batch?: BatchInfo): Promise<void> {
    const calls = new Map<string, CallRef>();
    const withPayload: StoredEvent[] = [];
    for (const e of events) {
      const types = FOLD_TYPES[e.vendor];
      if (e.vendor === 'portsip' && (MULTI_CALL_TYPES.has(e.type) || e.type === SLA_BREACHED)) withPayload.push(e);
      if (e.callKey && types?.includes(e.type)) {
        const ref = { tenantId: e.tenantId, sourceId: e.sourceId, callKey: e.callKey };
        calls.set(refKey(ref), ref);
      }
    }
    if (withPayload.length)
      for (const ref of await this.indexPortsipPayloads(client, withPayload, batch?.payloads === true))
        calls.set(refKey(ref), ref);
    if (calls.size) await refoldQueueCalls(client, [...calls.values()]);
  }

  /**
   * Records what PortSIP queue payloads say beyond their own call: the calls they name, the
   * queue mappings they reveal, SLA breaches. Returns the calls to re-fold because of them. The
   * payloads come with the batch when the runner's read carried them (`inHand`: another
   * projection of the round wanted them), else from the store.
   */
  private async indexPortsipPayloads(
    client: PoolClient,
    events: readonly StoredEvent[],
    inHand: boolean,
  ): Promise<CallRef[]> {
    type Row = { position: string; received_at: Date; occurred_at: Date | null; payload: unknown };
    const rows: Row[] = inHand
      ? events.map((e) => ({
          position: e.position,
          received_at: e.receivedAt,
          occurred_at: e.occurredAt,
          payload: e.payload,
        }))
      : (
          await client.query<Row>(
            `SELECT e.position::text, e.received_at, e.occurred_at, e.payload
             FROM unnest($1::xid8[], $2::bigint[]) AS k(tx_id, position)
             JOIN raw_events e ON e.tx_id = k.tx_id AND e.position = k.position`,
            [events.map((e) => e.txId), events.map((e) => e.position)],
          )
        ).rows;
    const payloads = new Map(rows.map((r) => [r.position, r]));
    const named: Array<CallRef & { position: string; txId: string }> = [];
    const mappings: Array<{ e: StoredEvent; queueId: string; queueNumber: string; queueName: string | null }> = [];
    const breaches: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const e of events) {
      const row = payloads.get(e.position);
      if (!row) continue;
      if (e.type === SLA_BREACHED) {
        const b = portsipSlaBreach(row.payload);
        if (b.queueId === null) continue;
        const values = [
          e.tenantId,
          e.sourceId,
          e.position,
          b.queueId,
          b.caller,
          b.totalCallersBreached,
          b.slaSeconds,
          b.waitingCallers,
          b.at ?? row.occurred_at ?? row.received_at,
        ];
        values.forEach((v, i) => breaches[i].push(v));
        continue;
      }
      for (const session of new Set(splitQueueCallerStatus(row.payload).map((f) => f.sessionId))) {
        if (session !== e.callKey)
          named.push({
            tenantId: e.tenantId,
            sourceId: e.sourceId,
            callKey: session,
            position: e.position,
            txId: e.txId,
          });
      }
      if (e.type === 'queue_status') for (const m of queueMappings(row.payload)) mappings.push({ e, ...m });
    }
    const affected: CallRef[] = named;
    if (named.length) {
      await client.query(
        `INSERT INTO queue_event_calls (tenant_id, source_id, call_key, position, tx_id)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::xid8[])
         ON CONFLICT DO NOTHING`,
        [
          named.map((n) => n.tenantId),
          named.map((n) => n.sourceId),
          named.map((n) => n.callKey),
          named.map((n) => n.position),
          named.map((n) => n.txId),
        ],
      );
    }
    if (breaches[0].length) {
      await client.query(
        `INSERT INTO queue_sla_breaches (tenant_id, source_id, position, queue_id, caller, total_callers_breached, sla_seconds, waiting_callers, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::timestamptz[])
         ON CONFLICT DO NOTHING`,
        breaches,
      );
    }
    if (mappings.length) affected.push(...(await this.learnMappings(client, mappings, events[events.length - 1])));
    return affected;
  }

  /**
   * Keeps the latest mapping per (source, queue_id) — latest by the queue_status's own time, then
   * position, so the outcome does not depend on arrival order — and returns the calls whose
   * attempts carry a label the change affects (the bare id, or the old number).
   */
  private async learnMappings(
    client: PoolClient,
    mappings: Array<{ e: StoredEvent; queueId: string; queueNumber: string; queueName: string | null }>,
    last: StoredEvent,
  ): Promise<CallRef[]> {
    const { rows: changed } = await client.query<{
      tenant_id: string;
      source_id: string;
      queue_id: string;
      queue_number: string;
      old_number: string | null;
    }>(
      `WITH incoming AS (
         SELECT DISTINCT ON (source_id, queue_id) *
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[])
              AS m(tenant_id, source_id, queue_id, queue_number, queue_name, learnt_at, position)
         ORDER BY source_id, queue_id, learnt_at DESC, position DESC
       ), previous AS (
         SELECT p.source_id, p.queue_id, p.queue_number FROM queue_mappings p JOIN incoming USING (source_id, queue_id)
       ), upserted AS (
         INSERT INTO queue_mappings AS q (tenant_id, source_id, queue_id, queue_number, queue_name, learnt_at, position)
         SELECT tenant_id, source_id, queue_id, queue_number, queue_name, learnt_at, position FROM incoming
         ON CONFLICT (source_id, queue_id) DO UPDATE
           SET queue_number = excluded.queue_number, queue_name = excluded.queue_name,
               learnt_at = excluded.learnt_at, position = excluded.position
           WHERE (excluded.learnt_at, excluded.position) > (q.learnt_at, q.position)
         RETURNING q.tenant_id, q.source_id, q.queue_id, q.queue_number
       )
       SELECT u.tenant_id, u.source_id, u.queue_id, u.queue_number, p.queue_number AS old_number
       FROM upserted u LEFT JOIN previous p USING (source_id, queue_id)
       WHERE p.queue_number IS DISTINCT FROM u.queue_number`,
      [
        mappings.map((m) => m.e.tenantId),
        mappings.map((m) => m.e.sourceId),
        mappings.map((m) => m.queueId),
        mappings.map((m) => m.queueNumber),
        mappings.map((m) => m.queueName),
        mappings.map((m) => m.e.occurredAt ?? m.e.receivedAt),
        mappings.map((m) => m.e.position),
      ],
    );
    if (!changed.length) return [];
    // Calls with attempts under the bare id or the old number, and calls already applied whose
    // CDR names the number but read as no queue (the number was not known to be one). The second
    // set is a scan of the source's CDRs (once per newly learnt mapping), loosely matched on the
    // number as a JSON string or SIP user part: refolding a call needlessly is harmless.
    const { rows } = await client.query<{ tenant_id: string; source_id: string; call_key: string }>(
      `SELECT DISTINCT a.tenant_id, a.source_id, a.call_key
       FROM unnest($1::uuid[], $2::text[]) AS l(source_id, label)
       JOIN queue_attempts a ON a.source_id = l.source_id AND a.queue = l.label AND a.kind = 'queue'
       UNION
       SELECT DISTINCT e.tenant_id, e.source_id, e.call_key
       FROM unnest($3::uuid[], $4::uuid[], $5::text[]) AS n(tenant_id, source_id, number)
       JOIN raw_events e ON e.tenant_id = n.tenant_id AND e.source_id = n.source_id
       WHERE e.type = 'call_cdr' AND e.call_key IS NOT NULL AND (e.tx_id, e.position) <= ($6::xid8, $7::bigint)
         AND (e.payload::text LIKE '%"' || n.number || '"%' OR e.payload::text LIKE '%:' || n.number || '@%')`,
      [
        changed.flatMap((c) => (c.old_number ? [c.source_id, c.source_id] : [c.source_id])),
        changed.flatMap((c) => (c.old_number ? [c.queue_id, c.old_number] : [c.queue_id])),
        changed.map((c) => c.tenant_id),
        changed.map((c) => c.source_id),
        changed.map((c) => c.queue_number),
        last.txId,
        last.position,
      ],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, sourceId: r.source_id, callKey: r.call_key }));
  }
}

/**
 * Re-folds the queue attempts of the given calls from their stored events, replaces them, and
 * recomputes the stats of every bucket that lost or gained an attempt.
 */
export async function refoldQueueCalls(client: PoolClient, refs: readonly CallRef[]): Promise<void> {
  const args = [refs.map((k) => k.tenantId), refs.map((k) => k.sourceId), refs.map((k) => k.callKey), ALL_FOLD_TYPES];
  const { rows } = await client.query<LoadedEvent>(
    `SELECT k.tenant_id, k.source_id, k.call_key, e.position::text, e.vendor, e.type, e.occurred_at, e.received_at, e.payload
     FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, call_key)
     JOIN raw_events e ON e.tenant_id = k.tenant_id AND e.call_key = k.call_key AND e.source_id = k.source_id
     WHERE e.type = ANY($4::text[])
     UNION ALL
     SELECT k.tenant_id, k.source_id, k.call_key, e.position::text, e.vendor, e.type, e.occurred_at, e.received_at, e.payload
     FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, call_key)
     JOIN queue_event_calls c ON c.tenant_id = k.tenant_id AND c.source_id = k.source_id AND c.call_key = k.call_key
     JOIN raw_events e ON e.tx_id = c.tx_id AND e.position = c.position`,
    args,
  );
  const grouped = new Map<string, LoadedEvent[]>();
  for (const r of rows) {
    const k = refKey({ tenantId: r.tenant_id, sourceId: r.source_id, callKey: r.call_key });
    (grouped.get(k) ?? grouped.set(k, []).get(k)!).push(r);
  }
  const contexts = await foldContexts(client, [...new Set(refs.map((r) => r.sourceId))]);

  const cols: unknown[][] = Array.from({ length: 14 }, () => []);
  const touched: BucketKey[] = [];
  for (const ref of refs) {
    const group = grouped.get(refKey(ref));
    const ctx = contexts.get(ref.sourceId);
    if (!group || !ctx) continue;
    const seen = new Set<string>();
    const events: QueueEvent[] = [];
    for (const r of group) {
      if (seen.has(r.position)) continue; // a call's own event indexed as naming it too
      seen.add(r.position);
      events.push({
        position: r.position,
        vendor: r.vendor,
        type: r.type,
        occurredAt: r.occurred_at,
        receivedAt: r.received_at,
        payload: r.payload,
      });
    }
    for (const a of foldQueueAttempts(ref.callKey, events, ctx)) {
      pushAttempt(cols, ref, a);
      touched.push({ tenantId: ref.tenantId, queue: a.queue, bucketStart: bucketStart(a.enteredAt) });
    }
  }

  const { rows: removed } = await client.query<{ tenant_id: string; queue: string; bucket_start: Date }>(
    `DELETE FROM queue_attempts a USING unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, call_key)
     WHERE a.tenant_id = k.tenant_id AND a.source_id = k.source_id AND a.call_key = k.call_key
     RETURNING a.tenant_id, a.queue, a.bucket_start`,
    args.slice(0, 3),
  );
  for (const r of removed) touched.push({ tenantId: r.tenant_id, queue: r.queue, bucketStart: r.bucket_start });
  if (cols[0].length) {
    await client.query(
      `INSERT INTO queue_attempts (tenant_id, source_id, call_key, attempt_key, kind, queue, entered_at, bucket_start,
                                   left_at, outcome, wait_seconds, answered_by, talk_seconds, callback)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                            $8::timestamptz[], $9::timestamptz[], $10::text[], $11::int[], $12::text[], $13::int[], $14::boolean[])`,
      cols,
    );
  }
  await recomputeBuckets(client, touched);
}

function pushAttempt(cols: unknown[][], ref: CallRef, a: QueueAttempt): void {
  const values = [
    ref.tenantId,
    ref.sourceId,
    ref.callKey,
    a.attemptKey,
    a.kind,
    a.queue,
    a.enteredAt,
    bucketStart(a.enteredAt),
    a.leftAt,
    a.outcome,
    a.waitSeconds === null ? null : Math.round(a.waitSeconds),
    a.answeredBy,
    a.talkSeconds === null ? null : Math.round(a.talkSeconds),
    a.callback,
  ];
  values.forEach((v, i) => cols[i].push(v));
}

async function foldContexts(client: PoolClient, sourceIds: string[]): Promise<Map<string, QueueFoldContext>> {
  const { rows } = await client.query<{
    id: string;
    timezone: string;
    queue_numbers: string[];
    ids: string[] | null;
    numbers: string[] | null;
  }>(
    `SELECT s.id, coalesce(s.timezone, t.timezone) AS timezone, s.queue_numbers,
            (SELECT array_agg(m.queue_id ORDER BY m.queue_id) FROM queue_mappings m WHERE m.source_id = s.id) AS ids,
            (SELECT array_agg(m.queue_number ORDER BY m.queue_id) FROM queue_mappings m WHERE m.source_id = s.id) AS numbers
     FROM sources s JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ANY($1::uuid[])`,
    [sourceIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        timezone: r.timezone,
        queueNumbers: new Set(r.queue_numbers),
        queueIdToNumber: new Map((r.ids ?? []).map((id, i) => [id, r.numbers![i]])),
      },
    ]),
  );
}

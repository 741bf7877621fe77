import { PoolClient } from 'pg';
import { rateCalls } from '@app/billing';
import { StoredEvent } from '@app/event-store';
import { Projection } from '../runner/projection';
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

/**
 * One row per call. Each batch re-folds every call it touches from all of that call's stored
 * events, so duplicates, reordering and late events give the same row as a clean rebuild.
 */
export class CallSessionsProjection implements Projection {
  readonly name = 'call-sessions';
  readonly tables = ['call_legs', 'call_sessions'];

  async apply(client: PoolClient, events: readonly StoredEvent[], now: Date): Promise<void> {
    const keys = new Map<string, { tenantId: string; sourceId: string; callKey: string }>();
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

/** Re-folds the given calls from their stored events and writes them. */
export async function refold(
  client: PoolClient,
  keys: ReadonlyArray<{ tenantId: string; sourceId: string; callKey: string }>,
  now: Date,
): Promise<void> {
  const { rows } = await client.query<LoadedEvent>(
    `SELECT e.tenant_id, e.source_id, e.call_key, e.position::text, e.vendor, e.type, (extract(epoch FROM e.occurred_at) * 1000)::float8 AS occurred_ms,
            (extract(epoch FROM e.received_at) * 1000)::float8 AS received_ms, e.dedup_key, e.payload
     FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(tenant_id, source_id, call_key)
     JOIN raw_events e ON e.tenant_id = k.tenant_id AND e.call_key = k.call_key AND e.source_id = k.source_id`,
    [keys.map((k) => k.tenantId), keys.map((k) => k.sourceId), keys.map((k) => k.callKey)],
  );
  const contexts = await sourceContexts(client, [...new Set(keys.map((k) => k.sourceId))], now);
  const grouped = new Map<string, LoadedEvent[]>();
  for (const r of rows) {
    const k = `${r.tenant_id}/${r.source_id}/${r.call_key}`;
    (grouped.get(k) ?? grouped.set(k, []).get(k)!).push(r);
  }
  const out: CallRow[] = [];
  for (const group of grouped.values()) {
    const first = group[0];
    const ctx = contexts.get(first.source_id);
    if (!ctx) continue;
    const folded = foldCall(
      first.call_key,
      group.map((r) => ({
        position: r.position,
        vendor: r.vendor,
        type: r.type,
        occurredAt: r.occurred_ms === null ? null : new Date(r.occurred_ms),
        receivedAt: new Date(r.received_ms),
        payload: r.payload,
        contentKey: r.dedup_key.startsWith('h:') ? r.dedup_key : undefined,
      })),
      ctx,
    );
    if (!folded) continue;
    out.push({
      tenantId: first.tenant_id,
      sourceId: first.source_id,
      vendor: first.vendor,
      eventCount: group.length,
      ...folded,
    });
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

import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';
import { BatchInfo, Projection } from '../runner/projection';
import { mayNameDirectoryExtension } from './agent-event-types';
import { LoadedAgentEvent, loadPayloads } from './agent-events.reader';
import { DirectoryExtension, directoryExtensions, foldExtension } from './extension-directory.reducer';

interface ExtensionKey {
  tenantId: string;
  number: string;
}

/**
 * The extension directory (CONTRACT.md `Extension`): one row per tenant and extension number.
 *
 * Which events speak of which number is recorded in extension_event_refs (a PortSIP status push
 * may name several extensions and then has no `extension` key in raw_events). A number whose
 * refs grew is re-folded with foldExtension from ALL its events: the directory holds each
 * field's latest statement, and a field may have been stated once long ago (a name at creation),
 * so no shorter suffix of the events is safe to fold. A duplicate or replayed event adds no ref
 * and costs no re-fold. A number whose events say nothing usable has no row.
 */
export class ExtensionDirectoryProjection implements Projection {
  readonly name = 'extension-directory';
  readonly tables = ['extensions', 'extension_event_refs'];

  async apply(client: PoolClient, events: readonly StoredEvent[], now: Date, batch?: BatchInfo): Promise<void> {
    const wanted = events.filter((e) => mayNameDirectoryExtension(e.vendor, e.type));
    if (wanted.length === 0) return;
    const refs: Array<ExtensionKey & { position: string }> = [];
    for (const e of await loadPayloads(client, wanted, batch)) {
      for (const number of directoryExtensions(e)) {
        refs.push({ tenantId: e.tenantId, number, position: e.position });
      }
    }
    if (refs.length === 0) return;
    const { rows: added } = await client.query<{ tenant_id: string; number: string }>(
      `INSERT INTO extension_event_refs (tenant_id, number, position)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
       ON CONFLICT (tenant_id, number, position) DO NOTHING
       RETURNING tenant_id, number`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.number), refs.map((r) => r.position)],
    );
    const keys = new Map<string, ExtensionKey>();
    for (const r of added) keys.set(`${r.tenant_id}\u0000${r.number}`, { tenantId: r.tenant_id, number: r.number });
    if (keys.size) await refoldExtensions(client, [...keys.values()], now);
  }
}

/** Re-folds the given extensions from all their events and writes (or removes) their rows. */
export async function refoldExtensions(client: PoolClient, keys: readonly ExtensionKey[], now: Date): Promise<void> {
  const { rows } = await client.query<{
    number: string;
    tenant_id: string;
    source_id: string;
    position: string;
    vendor: LoadedAgentEvent['vendor'];
    type: string;
    occurred_at: Date | null;
    received_at: Date;
    payload: unknown;
  }>(
    `SELECT r.number, e.tenant_id, e.source_id, e.position::text, e.vendor, e.type, e.occurred_at, e.received_at, e.payload
     FROM unnest($1::uuid[], $2::text[]) AS k(tenant_id, number)
     JOIN extension_event_refs r ON r.tenant_id = k.tenant_id AND r.number = k.number
     JOIN raw_events e ON e.tenant_id = r.tenant_id AND e.position = r.position`,
    [keys.map((k) => k.tenantId), keys.map((k) => k.number)],
  );
  const grouped = new Map<string, { key: ExtensionKey; events: LoadedAgentEvent[] }>();
  for (const r of rows) {
    const k = `${r.tenant_id}\u0000${r.number}`;
    const group =
      grouped.get(k) ?? grouped.set(k, { key: { tenantId: r.tenant_id, number: r.number }, events: [] }).get(k)!;
    group.events.push({
      tenantId: r.tenant_id,
      sourceId: r.source_id,
      position: r.position,
      vendor: r.vendor,
      type: r.type,
      occurredAt: r.occurred_at,
      receivedAt: r.received_at,
      payload: r.payload,
    });
  }
  const upserts: Array<{ tenantId: string; sourceId: string; row: DirectoryExtension }> = [];
  for (const { key, events } of grouped.values()) {
    const row = foldExtension(key.number, events);
    if (row) upserts.push({ tenantId: key.tenantId, sourceId: latestSource(events), row });
  }
  // Numbers without a usable statement any more (possible only after a rebuild with other data).
  const kept = new Set(upserts.map((u) => `${u.tenantId}\u0000${u.row.number}`));
  const gone = keys.filter((k) => !kept.has(`${k.tenantId}\u0000${k.number}`));
  if (gone.length) {
    await client.query(
      `DELETE FROM extensions x USING unnest($1::uuid[], $2::text[]) AS k(tenant_id, number)
       WHERE x.tenant_id = k.tenant_id AND x.number = k.number`,
      [gone.map((k) => k.tenantId), gone.map((k) => k.number)],
    );
  }
  if (upserts.length === 0) return;
  await client.query(
    `INSERT INTO extensions (tenant_id, number, name, online, presence, call_status, last_seen_at, user_agent, ip,
                             removed, source_id, updated_at)
     SELECT *, $12::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[],
                                            $7::timestamptz[], $8::text[], $9::text[], $10::boolean[], $11::uuid[])
     ON CONFLICT (tenant_id, number) DO UPDATE SET
       name = excluded.name, online = excluded.online, presence = excluded.presence,
       call_status = excluded.call_status, last_seen_at = excluded.last_seen_at, user_agent = excluded.user_agent,
       ip = excluded.ip, removed = excluded.removed, source_id = excluded.source_id, updated_at = excluded.updated_at`,
    [
      upserts.map((u) => u.tenantId),
      upserts.map((u) => u.row.number),
      upserts.map((u) => u.row.name),
      upserts.map((u) => u.row.online),
      upserts.map((u) => u.row.presence),
      upserts.map((u) => u.row.callStatus),
      upserts.map((u) => u.row.lastSeenAt),
      upserts.map((u) => u.row.userAgent),
      upserts.map((u) => u.row.ip),
      upserts.map((u) => u.row.removed),
      upserts.map((u) => u.sourceId),
      now,
    ],
  );
}

/** The source of the latest event (by its time, then position): the PBX that last spoke of the number. */
function latestSource(events: readonly LoadedAgentEvent[]): string {
  let best = events[0];
  for (const e of events.slice(1)) {
    const a = (e.occurredAt ?? e.receivedAt).getTime();
    const b = (best.occurredAt ?? best.receivedAt).getTime();
    if (a > b || (a === b && BigInt(e.position) > BigInt(best.position))) best = e;
  }
  return best.sourceId;
}

import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';
import type { BatchInfo } from '../runner/projection';
import type { AgentContext, AgentEvent } from './agent-segments.reducer';

/** A stored event with its payload and the keys that place it. */
export interface LoadedAgentEvent extends AgentEvent {
  tenantId: string;
  sourceId: string;
}

/**
 * The payloads of batch events: those the batch carries (`batch.payloads`: a projection of the
 * runner's round wanted them), else loaded by position, the leading column of the primary key:
 * one index probe per monthly partition. (received_at cannot narrow it: a JS Date has no
 * microseconds, so it never equals the stored value.)
 */
export async function loadPayloads(
  client: PoolClient,
  events: readonly StoredEvent[],
  batch?: BatchInfo,
): Promise<LoadedAgentEvent[]> {
  if (events.length === 0) return [];
  if (batch?.payloads) {
    return events.map((e) => ({
      tenantId: e.tenantId,
      sourceId: e.sourceId,
      position: e.position,
      vendor: e.vendor as AgentEvent['vendor'],
      type: e.type,
      occurredAt: e.occurredAt,
      receivedAt: e.receivedAt,
      payload: e.payload,
    }));
  }
  const { rows } = await client.query<{
    tenant_id: string;
    source_id: string;
    position: string;
    vendor: AgentEvent['vendor'];
    type: string;
    occurred_at: Date | null;
    received_at: Date;
    payload: unknown;
  }>(
    `SELECT e.tenant_id, e.source_id, e.position::text, e.vendor, e.type, e.occurred_at, e.received_at, e.payload
     FROM unnest($1::uuid[], $2::bigint[]) AS k(tenant_id, position)
     JOIN raw_events e ON e.tenant_id = k.tenant_id AND e.position = k.position`,
    [events.map((e) => e.tenantId), events.map((e) => e.position)],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    sourceId: r.source_id,
    position: r.position,
    vendor: r.vendor,
    type: r.type,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    payload: r.payload,
  }));
}

/**
 * What agentChanges needs per source: the numbering plan and zone (the source's, else its
 * tenant's) and the numbers that are queues, exactly as the call-sessions projection reads them.
 * queueIds is left out on purpose: queue ids are mapped in SQL (agent_queue_labels) so that a
 * mapping learnt later relabels the changes already stored.
 */
export async function agentContexts(
  client: PoolClient,
  sourceIds: readonly string[],
): Promise<Map<string, AgentContext>> {
  const { rows } = await client.query<{
    id: string;
    timezone: string;
    extension_pattern: string;
    queue_numbers: string[];
  }>(
    `SELECT s.id, coalesce(s.timezone, t.timezone) AS timezone,
            coalesce(s.extension_pattern, t.extension_pattern) AS extension_pattern, s.queue_numbers
     FROM sources s JOIN tenants t ON t.id = s.tenant_id WHERE s.id = ANY($1::uuid[])`,
    [[...new Set(sourceIds)]],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        timezone: r.timezone,
        extensionPattern: new RegExp(r.extension_pattern),
        queueNumbers: new Set(r.queue_numbers),
      },
    ]),
  );
}

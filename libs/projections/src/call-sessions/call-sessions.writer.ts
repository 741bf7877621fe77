import { createHash } from 'node:crypto';
import { PoolClient } from 'pg';
import { CallLeg, CallSession } from './call-sessions.reducer';

/** A folded call with the keys that place it in the read model. */
export interface CallRow {
  tenantId: string;
  sourceId: string;
  vendor: string;
  eventCount: number;
  call: CallSession;
  legs: CallLeg[];
}

/** The stable id of a call: the same (tenant, source, vendor call id) always gives the same UUID. */
export function callId(tenantId: string, sourceId: string, vendorCallId: string): string {
  const h = createHash('sha256').update(`${tenantId}\u0000${sourceId}\u0000${vendorCallId}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50; // name-based UUID (version 5 layout)
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const CALL_COLUMNS = [
  ['id', 'uuid'],
  ['tenant_id', 'uuid'],
  ['source_id', 'uuid'],
  ['vendor', 'text'],
  ['vendor_call_id', 'text'],
  ['session_id', 'text'],
  ['direction', 'text'],
  ['status', 'text'],
  ['disposition', 'text'],
  ['caller_number', 'text'],
  ['caller_name', 'text'],
  ['callee_number', 'text'],
  ['did_number', 'text'],
  ['answered_by', 'text'],
  ['queue', 'text'],
  ['ring_group', 'text'],
  ['trunk', 'text'],
  ['end_reason', 'text'],
  ['digits', 'text'],
  ['started_at', 'timestamptz'],
  ['answered_at', 'timestamptz'],
  ['ended_at', 'timestamptz'],
  ['ring_seconds', 'int'],
  ['talk_seconds', 'int'],
  ['hold_seconds', 'int'],
  ['duration_seconds', 'int'],
  ['recording_url', 'text'],
  ['last_event_at', 'timestamptz'],
  ['event_count', 'int'],
] as const;

const UPSERT_CALLS = `
INSERT INTO call_sessions (${CALL_COLUMNS.map(([c]) => c).join(', ')})
SELECT * FROM unnest(${CALL_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
ON CONFLICT (tenant_id, source_id, vendor_call_id) DO UPDATE SET
${CALL_COLUMNS.filter(([c]) => !['id', 'tenant_id', 'source_id', 'vendor_call_id'].includes(c))
  .map(([c]) => `  ${c} = EXCLUDED.${c}`)
  .join(',\n')}`;

const LEG_COLUMNS = [
  ['tenant_id', 'uuid'],
  ['call_id', 'uuid'],
  ['ordinal', 'int'],
  ['destination', 'text'],
  ['kind', 'text'],
  ['status', 'text'],
  ['started_at', 'timestamptz'],
  ['answered_at', 'timestamptz'],
  ['ended_at', 'timestamptz'],
  ['ring_seconds', 'int'],
  ['talk_seconds', 'int'],
  ['end_reason', 'text'],
] as const;

const INSERT_LEGS = `
INSERT INTO call_legs (${LEG_COLUMNS.map(([c]) => c).join(', ')})
SELECT * FROM unnest(${LEG_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Upserts folded calls and replaces their legs: set-based, one statement each. */
export async function writeCalls(client: PoolClient, rows: readonly CallRow[]): Promise<void> {
  if (rows.length === 0) return;
  const calls: unknown[][] = CALL_COLUMNS.map(() => []);
  const legs: unknown[][] = LEG_COLUMNS.map(() => []);
  const ids: string[] = [];
  const tenants: string[] = [];
  for (const r of rows) {
    const c = r.call;
    const id = callId(r.tenantId, r.sourceId, c.vendorCallId);
    ids.push(id);
    tenants.push(r.tenantId);
    const values = [
      id,
      r.tenantId,
      r.sourceId,
      r.vendor,
      c.vendorCallId,
      c.sessionId,
      c.direction,
      c.status,
      c.disposition,
      c.callerNumber,
      c.callerName,
      c.calleeNumber,
      c.didNumber,
      c.answeredBy,
      c.queue,
      c.ringGroup,
      c.trunk,
      c.endReason,
      c.digits,
      iso(c.startedAt),
      iso(c.answeredAt),
      iso(c.endedAt),
      c.ringSeconds,
      c.talkSeconds,
      c.holdSeconds,
      c.durationSeconds,
      c.recordingUrl,
      iso(c.lastEventAt),
      r.eventCount,
    ];
    values.forEach((v, i) => calls[i].push(v));
    for (const l of r.legs) {
      [
        r.tenantId,
        id,
        l.ordinal,
        l.destination,
        l.kind,
        l.status,
        iso(l.startedAt),
        iso(l.answeredAt),
        iso(l.endedAt),
        l.ringSeconds,
        l.talkSeconds,
        l.endReason,
      ].forEach((v, i) => legs[i].push(v));
    }
  }
  await client.query(UPSERT_CALLS, calls);
  await client.query(
    'DELETE FROM call_legs WHERE (tenant_id, call_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))',
    [tenants, ids],
  );
  if (legs[0].length) await client.query(INSERT_LEGS, legs);
}

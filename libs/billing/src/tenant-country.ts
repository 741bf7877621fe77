import { Queryable } from '@app/platform';
import { lockRating, rateCalls } from './call-costs.writer';
import { normaliseNumber } from './phone-numbers';

const CHUNK = 5000;

export interface CountryChangeResult {
  /** Rated calls whose costs were computed again with the new country. */
  rerated: number;
  /** Imported carrier records whose numbers were normalised again from their raw text. */
  carrierRecords: number;
}

/**
 * After a tenant's default country changed (tenant:update --country): national numbers now read
 * differently, so every rated call of the tenant is rated again from its call_sessions row and
 * every imported carrier record gets its E.164 numbers again from the raw text kept at import.
 * Runs in the caller's transaction, which must already hold the tenants row with the new
 * country; takes the tenant's exclusive rating lock, so rate imports and rating of new calls
 * wait. Reconciliation runs already finished keep their results: run them again.
 */
export async function applyTenantCountryChange(client: Queryable, tenantId: string): Promise<CountryChangeResult> {
  await lockRating(client, [tenantId], 'exclusive');
  const { rows: country } = await client.query<{ country: string | null }>(
    'SELECT country FROM tenants WHERE id = $1',
    [tenantId],
  );
  const cc = country[0]?.country ?? null;

  let rerated = 0;
  let afterCall = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await client.query<{ call_id: string }>(
      'SELECT call_id FROM call_costs WHERE tenant_id = $1 AND call_id > $2 ORDER BY call_id LIMIT $3',
      [tenantId, afterCall, CHUNK],
    );
    if (!rows.length) break;
    rerated += await rateCalls(
      client,
      rows.map((r) => ({ tenantId, callId: r.call_id })),
    );
    afterCall = rows[rows.length - 1].call_id;
  }

  let carrierRecords = 0;
  let after: { importId: string; line: number } = { importId: '00000000-0000-0000-0000-000000000000', line: -1 };
  for (;;) {
    const { rows } = await client.query<{ import_id: string; line: number; from_raw: string | null; to_raw: string }>(
      `SELECT import_id, line, from_raw, to_raw FROM carrier_records
       WHERE tenant_id = $1 AND (import_id, line) > ($2::uuid, $3::int)
       ORDER BY import_id, line LIMIT $4`,
      [tenantId, after.importId, after.line, CHUNK],
    );
    if (!rows.length) break;
    const result = await client.query(
      `UPDATE carrier_records r SET from_number = u.from_number, to_number = u.to_number
       FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[]) AS u(import_id, line, from_number, to_number)
       WHERE r.tenant_id = $1 AND r.import_id = u.import_id AND r.line = u.line
         AND (r.from_number IS DISTINCT FROM u.from_number OR r.to_number IS DISTINCT FROM u.to_number)`,
      [
        tenantId,
        rows.map((r) => r.import_id),
        rows.map((r) => r.line),
        rows.map((r) => normaliseNumber(r.from_raw, cc)),
        rows.map((r) => normaliseNumber(r.to_raw, cc)),
      ],
    );
    carrierRecords += result.rowCount ?? 0;
    const last = rows[rows.length - 1];
    after = { importId: last.import_id, line: last.line };
  }
  return { rerated, carrierRecords };
}

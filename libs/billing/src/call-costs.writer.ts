import { Queryable } from '@app/platform';
import { normaliseNumber } from './phone-numbers';

/** A call to (re)rate: the call_sessions row's keys. */
export interface CallKey {
  tenantId: string;
  callId: string;
}

const RATING_LOCK = 0x62696c6c; // "bill"

/**
 * Serialises rating against rate imports per tenant: an import (exclusive) and its re-rating
 * commit before any projection batch (shared) rates that tenant's calls again, so a batch never
 * writes a cost computed from the rates an import has just replaced. Transaction-scoped; taken
 * in hash order so two batches never wait on each other in a cycle.
 */
export async function lockRating(client: Queryable, tenantIds: Iterable<string>, mode: 'shared' | 'exclusive') {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await client.query(
    `SELECT ${fn}($1, h) FROM (SELECT DISTINCT hashtext(t) AS h FROM unnest($2::text[]) AS t ORDER BY 1) AS x`,
    [RATING_LOCK, [...new Set(tenantIds)]],
  );
}

/** Columns of call_costs written by rating, in order. */
const COLUMNS = [
  'tenant_id',
  'call_id',
  'source_id',
  'carrier',
  'started_at',
  'answered_at',
  'vendor_call_id',
  'session_id',
  'from_number',
  'to_number',
  'talk_seconds',
  'billable_seconds',
  'rate_prefix',
  'rate_effective_from',
  'cost',
  'currency',
  'problem',
] as const;

/**
 * The CTEs that rate the calls `source` selects (it yields the call columns up to talk_seconds,
 * and problem) into `rated`: the call_costs row of each.
 *
 * The rate is the longest prefix of to_number among the carrier's rates in effect at started_at,
 * then the latest effective_from of that prefix. Set-based: every call joins the rates whose
 * prefix is `left(to_number, n)` for each prefix length n the plan actually has (a handful), one
 * hash or index join for the whole set, then DISTINCT ON keeps the best per call. This is several
 * times faster than a per-call index lookup over all prefixes (billing_best_rate) on large sets.
 * Billable seconds and cost come from billing_billable_seconds and billing_cost (exact numeric).
 */
function ratedSql(source: string): string {
  return `
WITH k AS MATERIALIZED (${source}),
plans AS MATERIALIZED (
  -- The prefix lengths each carrier's plan has, by a loose scan of rates_length_idx (a probe per
  -- length, not a pass over 100k rates).
  SELECT p.tenant_id, p.carrier, array(
    WITH RECURSIVE l(len) AS (
      SELECT min(length(prefix)) FROM rates WHERE tenant_id = p.tenant_id AND carrier = p.carrier
      UNION ALL
      SELECT (SELECT min(length(prefix)) FROM rates
              WHERE tenant_id = p.tenant_id AND carrier = p.carrier AND length(prefix) > l.len)
      FROM l WHERE l.len IS NOT NULL)
    SELECT len FROM l WHERE len IS NOT NULL) AS lens
  FROM (SELECT DISTINCT tenant_id, carrier FROM k WHERE carrier IS NOT NULL) AS p
),
-- Each call's candidate prefixes: its number cut at every length its carrier's plan has.
cand AS MATERIALIZED (
  SELECT k.call_id, k.tenant_id, k.carrier, k.started_at, left(k.to_number, l.len) AS prefix
  FROM k
  JOIN plans p ON p.tenant_id = k.tenant_id AND p.carrier = k.carrier
  CROSS JOIN LATERAL unnest(p.lens) AS l(len)
  WHERE l.len <= length(k.to_number)
),
best AS (
  SELECT DISTINCT ON (c.call_id) c.call_id, r.prefix, r.effective_from, r.rate_per_minute, r.connect_fee,
         r.first_increment, r.next_increment, r.currency
  FROM cand c
  JOIN rates r ON r.tenant_id = c.tenant_id AND r.carrier = c.carrier AND r.prefix = c.prefix
              AND r.effective_from <= c.started_at
  ORDER BY c.call_id, length(r.prefix) DESC, r.effective_from DESC
),
rated AS (
SELECT k.tenant_id, k.call_id, k.source_id, k.carrier, k.started_at, k.answered_at, k.vendor_call_id, k.session_id,
       k.from_number, k.to_number, k.talk_seconds,
       CASE WHEN b.prefix IS NOT NULL THEN billing_billable_seconds(k.talk_seconds, b.first_increment, b.next_increment)
       END AS billable_seconds,
       b.prefix AS rate_prefix, b.effective_from AS rate_effective_from,
       CASE WHEN b.prefix IS NOT NULL THEN
         billing_cost(billing_billable_seconds(k.talk_seconds, b.first_increment, b.next_increment), b.rate_per_minute, b.connect_fee)
       END AS cost,
       b.currency,
       coalesce(k.problem, CASE WHEN b.prefix IS NULL THEN 'no rate for the destination at the call''s start' END) AS problem
FROM k LEFT JOIN best b ON b.call_id = k.call_id
)`;
}

const SET_RATED = COLUMNS.filter((c) => c !== 'tenant_id' && c !== 'call_id');

/** Rates the calls `source` selects and writes them, replacing any earlier row of each call. */
function rateAndUpsertSql(source: string): string {
  return `${ratedSql(source)}
INSERT INTO call_costs (${COLUMNS.join(', ')})
SELECT * FROM rated
ON CONFLICT (tenant_id, call_id) DO UPDATE SET
${SET_RATED.map((c) => `  ${c} = EXCLUDED.${c}`).join(',\n')}`;
}

/** Rates rows of call_costs that `source` selects and updates them in place (re-rating). */
function rateAndUpdateSql(source: string): string {
  return `${ratedSql(source)}
UPDATE call_costs t SET (${SET_RATED.join(', ')}) = (${SET_RATED.map((c) => `r.${c}`).join(', ')})
FROM rated r
WHERE t.tenant_id = r.tenant_id AND t.call_id = r.call_id`;
}

const UPSERT_CALLS = rateAndUpsertSql(`
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::int[], $12::text[])
    AS u(tenant_id, call_id, source_id, carrier, started_at, answered_at, vendor_call_id, session_id, from_number,
         to_number, talk_seconds, problem)`);

const RERATE = rateAndUpdateSql(`
  SELECT tenant_id, call_id, source_id, carrier, started_at, answered_at, vendor_call_id, session_id, from_number,
         to_number, talk_seconds, CASE WHEN to_number IS NULL THEN problem END AS problem
  FROM call_costs
  WHERE tenant_id = $1 AND carrier = $2 AND started_at >= $3`);

interface CallToRate {
  id: string;
  tenant_id: string;
  source_id: string;
  direction: string;
  status: string;
  talk_seconds: number | null;
  started_at: Date;
  answered_at: Date | null;
  caller_number: string | null;
  destination: string | null;
  trunk: string | null;
  vendor_call_id: string;
  session_id: string | null;
  source_carrier: string | null;
  country: string | null;
}

/** Whether a call is rated at all (METRICS.md "Billing"). */
export function isBillable(call: { direction: string; status: string; talkSeconds: number | null }): boolean {
  return (
    (call.direction === 'OUTBOUND' || call.direction === 'TRANSIT') &&
    call.status === 'COMPLETED' &&
    (call.talkSeconds ?? 0) > 0
  );
}

/** The carrier of a call: its source's configured carrier, else its trunk (METRICS.md). */
export function carrierOf(sourceCarrier: string | null, trunk: string | null): string | null {
  return sourceCarrier?.trim() || trunk?.trim() || null;
}

/**
 * Rates the given calls from their current call_sessions rows and writes call_costs: billable
 * candidates (completed OUTBOUND/TRANSIT calls with talk > 0) get a row, replacing any earlier
 * one; any other call loses its row. Idempotent — rating a call twice writes the same row, so
 * re-rating never adds a second charge. Runs in the caller's transaction; returns rows written.
 *
 * The destination is the callee, or for TRANSIT calls the external leg the call was routed out
 * to (the first answered one). Numbers are normalised to E.164 in the tenant's default country.
 */
export async function rateCalls(client: Queryable, keys: readonly CallKey[]): Promise<number> {
  if (keys.length === 0) return 0;
  await lockRating(
    client,
    keys.map((k) => k.tenantId),
    'shared',
  );
  const { rows } = await client.query<CallToRate>(
    `SELECT c.id, c.tenant_id, c.source_id, c.direction, c.status, c.talk_seconds, c.started_at, c.answered_at,
            c.caller_number, c.trunk, c.vendor_call_id, c.session_id, s.carrier AS source_carrier, t.country,
            CASE WHEN c.direction = 'TRANSIT' THEN
              coalesce((SELECT l.destination FROM call_legs l
                        WHERE l.tenant_id = c.tenant_id AND l.call_id = c.id AND l.kind = 'external'
                        ORDER BY l.answered_at IS NULL, l.ordinal LIMIT 1), c.callee_number)
            ELSE c.callee_number END AS destination
     FROM unnest($1::uuid[], $2::uuid[]) AS k(tenant_id, id)
     -- One primary-key probe per call whatever the statistics say: planned as a join, a batch of
     -- a fast-growing table (catch-up, steady ingest) was read with a scan of all call_sessions.
     CROSS JOIN LATERAL (
       SELECT * FROM call_sessions c WHERE c.tenant_id = k.tenant_id AND c.id = k.id LIMIT 1
     ) c
     JOIN sources s ON s.id = c.source_id
     JOIN tenants t ON t.id = c.tenant_id`,
    [keys.map((k) => k.tenantId), keys.map((k) => k.callId)],
  );
  const billable = rows.filter((r) =>
    isBillable({ direction: r.direction, status: r.status, talkSeconds: r.talk_seconds }),
  );
  const keep = new Set(billable.map((r) => r.id));
  const gone = keys.filter((k) => !keep.has(k.callId));
  if (gone.length)
    await client.query(
      `DELETE FROM call_costs WHERE (tenant_id, call_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))`,
      [gone.map((k) => k.tenantId), gone.map((k) => k.callId)],
    );
  if (billable.length === 0) return 0;
  const columns: unknown[][] = Array.from({ length: 12 }, () => []);
  for (const r of billable) {
    const carrier = carrierOf(r.source_carrier, r.trunk);
    const to = normaliseNumber(r.destination, r.country);
    const problem = !carrier
      ? 'no carrier: the source has none configured and the call names no trunk'
      : !to
        ? 'the destination is not a phone number'
        : null;
    [
      r.tenant_id,
      r.id,
      r.source_id,
      carrier,
      r.started_at,
      r.answered_at,
      r.vendor_call_id,
      r.session_id,
      normaliseNumber(r.caller_number, r.country),
      to,
      r.talk_seconds,
      problem,
    ].forEach((v, i) => columns[i].push(v));
  }
  const result = await client.query(UPSERT_CALLS, columns);
  return result.rowCount ?? 0;
}

/**
 * Re-rates the calls of a tenant's carrier that started at or after `since` (null: all) from
 * their stored call_costs rows, replacing each cost. For rate imports: the caller holds the
 * tenant's exclusive rating lock (lockRating). Returns how many calls were re-rated.
 */
export async function rerateCarrier(
  client: Queryable,
  tenantId: string,
  carrier: string,
  since: Date | null,
): Promise<number> {
  await client.query(`SET LOCAL work_mem = '256MB'`); // a month of calls sorted in memory
  const result = await client.query(RERATE, [tenantId, carrier, since ?? '-infinity']);
  return result.rowCount ?? 0;
}

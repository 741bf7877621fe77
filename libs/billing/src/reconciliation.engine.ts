import { Queryable } from '@app/platform';

/** What a run compares: one tenant's carrier over a period, with its tolerances. */
export interface ReconciliationSettings {
  tenantId: string;
  runId: string;
  carrier: string;
  from: Date;
  to: Date;
  /** Largest |carrier start − our answer time| for a match by numbers, seconds (default 5). */
  matchToleranceSeconds: number;
  /** Largest |carrier duration − our talk seconds| still MATCHED, seconds (default 1). */
  durationToleranceSeconds: number;
  /** Largest |carrier cost − expected cost| still MATCHED, a decimal string (default "0.001"). */
  costTolerance: string;
}

/** The counts and totals of a finished run (money as exact decimal strings). */
export interface ReconciliationTotals {
  matched: number;
  durationMismatch: number;
  costMismatch: number;
  missingInCarrier: number;
  missingInOurs: number;
  expectedTotal: string;
  billedTotal: string;
  currency: string | null;
}

/** Time of each step of a run, for logs and the benchmark. */
export type StepTimes = Record<string, number>;

/**
 * How far outside the period records are loaded so a call at the border is not reported missing
 * on one side: the match tolerance, and on our side an hour of ringing before the answer.
 */
const RING_MARGIN = '1 hour';

/**
 * Matches a carrier's records to our rated calls and writes the run's items (METRICS.md "Billing").
 * Set-based, in the caller's transaction, with temporary tables dropped at commit:
 *
 * 1. Load our calls of the carrier (call_costs) and the carrier's records (carrier_records) of the
 *    period, plus a margin on both sides; number each side densely in a fixed order.
 * 2. Candidate pairs by call id: the carrier's call_id equals our vendor call id or session id.
 *    Resolve one-to-one, closest start time first (below).
 * 3. Candidate pairs among what is left, by numbers and time: same normalised destination, the
 *    same caller when both sides know it, and |carrier start − our answer time| <= tolerance. A
 *    band join made an equi-join: times fall into buckets as wide as the tolerance, and a call
 *    joins the buckets before, at and after its own (one hash join, no quadratic scans of busy
 *    numbers). Resolved one-to-one the same way.
 * 4. Classify each pair (DURATION_MISMATCH over the duration tolerance — also when the cost differs
 *    too —, else COST_MISMATCH when the carrier's cost differs from ours by more than the cost
 *    tolerance or we could not rate the call, else MATCHED); unpaired carrier records are
 *    MISSING_IN_OURS, unpaired calls MISSING_IN_CARRIER. A pair belongs to the period of its
 *    carrier record (the invoice's), an unpaired call to the period of its start.
 *
 * One-to-one, closest first, is the greedy matching over candidate pairs ordered by (|Δt|, our
 * number, carrier number). It is computed in rounds: every pair that is the best candidate of both
 * its call and its record is taken (such a pair is exactly one greedy would take, as no better
 * pair touches either end), their other candidates dropped, repeat. Almost everything resolves in
 * the first round; each round takes at least the best remaining pair, so it always ends.
 */
export async function reconcile(
  client: Queryable,
  s: ReconciliationSettings,
  times: StepTimes = {},
): Promise<ReconciliationTotals> {
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      times[name] = (times[name] ?? 0) + (Date.now() - t0) / 1000;
    }
  };
  const tol = `make_interval(secs => ${Number(s.matchToleranceSeconds)})`;
  const base = [s.tenantId, s.carrier, s.from, s.to];

  // Sorts and hash joins of a million rows stay in memory; a dozen large statements would each
  // pay JIT compilation for plans that are mostly sorts and hashes.
  await client.query(`SET LOCAL work_mem = '256MB'`);
  await client.query(`SET LOCAL jit = off`);
  await step('load', async () => {
    await client.query(
      `CREATE TEMP TABLE rec_ours ON COMMIT DROP AS
       SELECT (row_number() OVER (ORDER BY started_at, call_id))::int AS oi,
              call_id, vendor_call_id, session_id, from_number, to_number,
              extract(epoch FROM coalesce(answered_at, started_at))::float8 AS t,
              started_at, talk_seconds, cost, (started_at >= $3 AND started_at < $4) AS in_period
       FROM call_costs
       WHERE tenant_id = $1 AND carrier = $2
         AND started_at >= $3::timestamptz - ${tol} - interval '${RING_MARGIN}' AND started_at < $4::timestamptz + ${tol}`,
      base,
    );
    await client.query(
      `CREATE TEMP TABLE rec_theirs ON COMMIT DROP AS
       SELECT (row_number() OVER (ORDER BY started_at, import_id, line))::int AS ci,
              import_id, line, carrier_call_id, from_number, to_number, extract(epoch FROM started_at)::float8 AS t,
              started_at, duration_seconds, cost, (started_at >= $3 AND started_at < $4) AS in_period
       FROM carrier_records
       WHERE tenant_id = $1 AND carrier = $2
         AND started_at >= $3::timestamptz - ${tol} AND started_at < $4::timestamptz + ${tol} + interval '${RING_MARGIN}'`,
      base,
    );
    await client.query(`ANALYZE rec_ours`);
    await client.query(`ANALYZE rec_theirs`);
    await client.query(
      `CREATE TEMP TABLE rec_edges (oi int NOT NULL, ci int NOT NULL, w float8 NOT NULL) ON COMMIT DROP`,
    );
    await client.query(
      `CREATE TEMP TABLE rec_pairs (oi int NOT NULL, ci int NOT NULL, matched_by text NOT NULL, round int NOT NULL) ON COMMIT DROP`,
    );
  });

  let round = 0;
  const resolve = async (matchedBy: 'CALL_ID' | 'NUMBERS_AND_TIME') => {
    await client.query(`ANALYZE rec_edges`);
    for (;;) {
      round++;
      const taken = await client.query(
        `INSERT INTO rec_pairs (oi, ci, matched_by, round)
         SELECT oi, ci, $1, $2 FROM (
           SELECT oi, ci, row_number() OVER (PARTITION BY oi ORDER BY w, ci) AS ro,
                          row_number() OVER (PARTITION BY ci ORDER BY w, oi) AS rc
           FROM rec_edges) AS ranked
         WHERE ro = 1 AND rc = 1`,
        [matchedBy, round],
      );
      if (!taken.rowCount) return;
      const left = await client.query(
        `DELETE FROM rec_edges
         WHERE oi IN (SELECT oi FROM rec_pairs WHERE round = $1) OR ci IN (SELECT ci FROM rec_pairs WHERE round = $1)`,
        [round],
      );
      times.rounds = (times.rounds ?? 0) + 1;
      if (left.rowCount === 0) return;
    }
  };

  await step('match by call id', async () => {
    // Each call under each of its ids (a session id equal to the call id counted once): one join.
    await client.query(
      `INSERT INTO rec_edges (oi, ci, w)
       SELECT o.oi, c.ci, abs(o.t - c.t)
       FROM rec_theirs c
       JOIN (SELECT oi, t, vendor_call_id AS id FROM rec_ours
             UNION ALL
             SELECT oi, t, session_id FROM rec_ours WHERE session_id IS NOT NULL AND session_id <> vendor_call_id) AS o
         ON o.id = c.carrier_call_id
       WHERE c.carrier_call_id IS NOT NULL`,
    );
    await resolve('CALL_ID');
    await client.query(`ANALYZE rec_pairs`);
  });

  await step('match by numbers and time', async () => {
    await client.query(
      `INSERT INTO rec_edges (oi, ci, w)
       SELECT o.oi, c.ci, abs(o.t - c.t)
       FROM (SELECT ci, to_number, from_number, t, floor(t / $1)::bigint AS b
             FROM rec_theirs c
             WHERE to_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rec_pairs p WHERE p.ci = c.ci)) AS c
       JOIN (SELECT oi, to_number, from_number, t, floor(t / $1)::bigint + d AS b
             FROM rec_ours o CROSS JOIN (VALUES (-1), (0), (1)) AS v(d)
             WHERE to_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rec_pairs p WHERE p.oi = o.oi)) AS o
         ON o.to_number = c.to_number AND o.b = c.b
       WHERE abs(o.t - c.t) <= $2
         AND (o.from_number IS NULL OR c.from_number IS NULL OR o.from_number = c.from_number)`,
      [Math.max(1, s.matchToleranceSeconds), s.matchToleranceSeconds],
    );
    await resolve('NUMBERS_AND_TIME');
    await client.query(`ANALYZE rec_pairs`);
  });

  const totals = await step('classify and write items', async () => {
    // One pass: pairs with their call and record, calls without a pair, records without one (a
    // full join instead of anti-joins), numbered in time order.
    const { rows } = await client.query<{
      matched: number;
      duration_mismatch: number;
      cost_mismatch: number;
      missing_in_carrier: number;
      missing_in_ours: number;
      expected_total: string;
      billed_total: string;
    }>(
      `WITH written AS (
         INSERT INTO reconciliation_items (tenant_id, run_id, item_no, status, matched_by, call_id, carrier_import_id,
           carrier_line, carrier_call_id, from_number, to_number, started_at, carrier_started_at, our_seconds,
           carrier_seconds, expected_cost, carrier_cost)
         SELECT $1, $2,
                row_number() OVER (ORDER BY coalesce(o.started_at, c.started_at), o.call_id, c.import_id, c.line),
                CASE WHEN o.oi IS NULL THEN 'MISSING_IN_OURS'
                     WHEN c.ci IS NULL THEN 'MISSING_IN_CARRIER'
                     WHEN abs(o.talk_seconds - c.duration_seconds) > $3 THEN 'DURATION_MISMATCH'
                     WHEN c.cost IS NOT NULL AND (o.cost IS NULL OR abs(o.cost - c.cost) > $4::numeric) THEN 'COST_MISMATCH'
                     ELSE 'MATCHED' END,
                p.matched_by, o.call_id, c.import_id, c.line, c.carrier_call_id,
                coalesce(o.from_number, c.from_number), coalesce(o.to_number, c.to_number),
                o.started_at, c.started_at, o.talk_seconds, c.duration_seconds, o.cost, c.cost
         FROM rec_pairs p
         RIGHT JOIN rec_ours o ON o.oi = p.oi
         FULL JOIN rec_theirs c ON c.ci = p.ci
         WHERE CASE WHEN c.ci IS NOT NULL THEN c.in_period ELSE o.in_period END
         RETURNING status, expected_cost, carrier_cost
       )
       SELECT count(*) FILTER (WHERE status = 'MATCHED')::int AS matched,
              count(*) FILTER (WHERE status = 'DURATION_MISMATCH')::int AS duration_mismatch,
              count(*) FILTER (WHERE status = 'COST_MISMATCH')::int AS cost_mismatch,
              count(*) FILTER (WHERE status = 'MISSING_IN_CARRIER')::int AS missing_in_carrier,
              count(*) FILTER (WHERE status = 'MISSING_IN_OURS')::int AS missing_in_ours,
              coalesce(sum(expected_cost), 0)::text AS expected_total,
              coalesce(sum(carrier_cost), 0)::text AS billed_total
       FROM written`,
      [s.tenantId, s.runId, s.durationToleranceSeconds, s.costTolerance],
    );
    return rows[0];
  });
  const { rows: currency } = await client.query<{ currency: string }>(
    `SELECT DISTINCT currency FROM rates WHERE tenant_id = $1 AND carrier = $2 AND currency IS NOT NULL LIMIT 2`,
    [s.tenantId, s.carrier],
  );
  return {
    matched: totals.matched,
    durationMismatch: totals.duration_mismatch,
    costMismatch: totals.cost_mismatch,
    missingInCarrier: totals.missing_in_carrier,
    missingInOurs: totals.missing_in_ours,
    expectedTotal: totals.expected_total,
    billedTotal: totals.billed_total,
    currency: currency.length === 1 ? currency[0].currency : null,
  };
}

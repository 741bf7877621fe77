import { Queryable } from '@app/platform';
import { isUuid, validFirst } from './calls.query';
import { ReportInputError } from './intervals';

/** CONTRACT.md `ReconciliationStatus`, in the order a report lists them. */
export const RECONCILIATION_STATUSES = [
  'MATCHED',
  'DURATION_MISMATCH',
  'COST_MISMATCH',
  'MISSING_IN_CARRIER',
  'MISSING_IN_OURS',
] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];
/** CONTRACT.md `RunStatus` of a reconciliation run. */
export type ReconciliationRunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** CONTRACT.md `ReconciliationRun`, with its settings and timings. Money: exact decimal strings. */
export interface ReconciliationRunRow {
  id: string;
  carrier: string;
  status: ReconciliationRunStatus;
  from: Date;
  to: Date;
  matched: number;
  durationMismatch: number;
  costMismatch: number;
  missingInCarrier: number;
  missingInOurs: number;
  /** Sum of our expected costs over the run's items. */
  expectedTotal: string;
  /** Sum of the carrier's costs over the run's items. */
  billedTotal: string;
  /** billedTotal − expectedTotal: positive when the carrier billed more than expected. */
  difference: string;
  currency: string | null;
  matchToleranceSeconds: number;
  durationToleranceSeconds: number;
  costTolerance: string;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** CONTRACT.md `ReconciliationItem`, one compared record. */
export interface ReconciliationItemRow {
  /** Opaque: pass as `after` to continue after this item. */
  cursor: string;
  status: ReconciliationStatus;
  /** How the pair was found: CALL_ID or NUMBERS_AND_TIME; null for a missing record. */
  matchedBy: string | null;
  /** Our call (null when MISSING_IN_OURS). */
  callId: string | null;
  carrierCallId: string | null;
  /** E.164 digits (ours when we have the call, else the carrier's). */
  from: string | null;
  to: string | null;
  /** Our call's start, or the carrier's start when we have no call. */
  startedAt: Date | null;
  carrierStartedAt: Date | null;
  ourSeconds: number | null;
  carrierSeconds: number | null;
  expectedCost: string | null;
  carrierCost: string | null;
  /** carrierCost − expectedCost when both are known. */
  difference: string | null;
  /** The carrier file and line the record came from. */
  carrierImportId: string | null;
  carrierLine: number | null;
}

/**
 * Columns of the reconciliation CSV export, in order (the fields of ReconciliationItemRow
 * without the cursor), for libs/exports.
 */
export const RECONCILIATION_ITEM_COLUMNS = [
  'status',
  'matchedBy',
  'callId',
  'carrierCallId',
  'from',
  'to',
  'startedAt',
  'carrierStartedAt',
  'ourSeconds',
  'carrierSeconds',
  'expectedCost',
  'carrierCost',
  'difference',
  'carrierImportId',
  'carrierLine',
] as const satisfies ReadonlyArray<keyof ReconciliationItemRow>;

interface RawRun {
  id: string;
  carrier: string;
  status: ReconciliationRunStatus;
  period_from: Date;
  period_to: Date;
  matched: number;
  duration_mismatch: number;
  cost_mismatch: number;
  missing_in_carrier: number;
  missing_in_ours: number;
  expected_total: string;
  billed_total: string;
  difference: string;
  currency: string | null;
  match_tolerance_seconds: number;
  duration_tolerance_seconds: number;
  cost_tolerance: string;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A tenant's reconciliation run by id; null when it is not the tenant's (or the id is no UUID). */
export async function reconciliationRun(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<ReconciliationRunRow | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query<RawRun>(
    `SELECT id, carrier, status, period_from, period_to, matched, duration_mismatch, cost_mismatch, missing_in_carrier,
            missing_in_ours, expected_total::text, billed_total::text, (billed_total - expected_total)::text AS difference,
            currency, match_tolerance_seconds, duration_tolerance_seconds, cost_tolerance::text, error, created_at,
            started_at, finished_at
     FROM reconciliation_runs WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id.toLowerCase()],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    carrier: r.carrier,
    status: r.status,
    from: r.period_from,
    to: r.period_to,
    matched: r.matched,
    durationMismatch: r.duration_mismatch,
    costMismatch: r.cost_mismatch,
    missingInCarrier: r.missing_in_carrier,
    missingInOurs: r.missing_in_ours,
    expectedTotal: r.expected_total,
    billedTotal: r.billed_total,
    difference: r.difference,
    currency: r.currency,
    matchToleranceSeconds: r.match_tolerance_seconds,
    durationToleranceSeconds: r.duration_tolerance_seconds,
    costTolerance: r.cost_tolerance,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const BASE64URL = /^[A-Za-z0-9_-]{1,40}$/;

/** The cursor of an item: base64url of its position in the run. */
function encodeItemCursor(itemNo: number): string {
  return Buffer.from(JSON.stringify({ n: itemNo }), 'utf8').toString('base64url');
}

function decodeItemCursor(after: string): number {
  const fail = (): never => {
    throw new ReportInputError('after', 'after is not a cursor returned by this API');
  };
  if (!BASE64URL.test(after)) return fail();
  try {
    const parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown;
    const n = (parsed as { n?: unknown })?.n;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 31) return n;
  } catch {
    // fall through
  }
  return fail();
}

interface RawItem {
  item_no: number;
  status: ReconciliationStatus;
  matched_by: string | null;
  call_id: string | null;
  carrier_call_id: string | null;
  from_number: string | null;
  to_number: string | null;
  started_at: Date | null;
  carrier_started_at: Date | null;
  our_seconds: number | null;
  carrier_seconds: number | null;
  expected_cost: string | null;
  carrier_cost: string | null;
  difference: string | null;
  carrier_import_id: string | null;
  carrier_line: number | null;
}

const ITEM_SQL = `SELECT item_no, status, matched_by, call_id, carrier_call_id, from_number, to_number,
  coalesce(started_at, carrier_started_at) AS started_at, carrier_started_at, our_seconds, carrier_seconds,
  expected_cost::text, carrier_cost::text, (carrier_cost - expected_cost)::text AS difference, carrier_import_id, carrier_line
  FROM reconciliation_items`;

const toItem = (r: RawItem): ReconciliationItemRow => ({
  cursor: encodeItemCursor(r.item_no),
  status: r.status,
  matchedBy: r.matched_by,
  callId: r.call_id,
  carrierCallId: r.carrier_call_id,
  from: r.from_number,
  to: r.to_number,
  startedAt: r.started_at,
  carrierStartedAt: r.carrier_started_at,
  ourSeconds: r.our_seconds,
  carrierSeconds: r.carrier_seconds,
  expectedCost: r.expected_cost,
  carrierCost: r.carrier_cost,
  difference: r.difference,
  carrierImportId: r.carrier_import_id,
  carrierLine: r.carrier_line,
});

/**
 * A page of a run's items in their fixed order (by start time), optionally of one status, after
 * the cursor `after`. Keyset-paged on the primary key (or the status index): every page is an
 * index range, however deep. A run that is not the tenant's, or not finished, has no items.
 */
export async function reconciliationItems(
  db: Queryable,
  tenantId: string,
  args: { runId: string; status?: string | null; first?: number | null; after?: string | null },
): Promise<ReconciliationItemRow[]> {
  if (!isUuid(args.runId)) throw new ReportInputError('runId', 'runId is not a reconciliation run id');
  if (args.status != null && !(RECONCILIATION_STATUSES as readonly string[]).includes(args.status))
    throw new ReportInputError('status', `status must be one of ${RECONCILIATION_STATUSES.join(', ')}`);
  const first = validFirst(args.first);
  const after = args.after == null ? -1 : decodeItemCursor(args.after);
  const params: unknown[] = [tenantId, args.runId.toLowerCase(), after, first];
  const status = args.status == null ? '' : `AND status = $${params.push(args.status)}`;
  const { rows } = await db.query<RawItem>(
    `${ITEM_SQL} WHERE tenant_id = $1 AND run_id = $2 AND item_no > $3 ${status} ORDER BY item_no LIMIT $4`,
    params,
  );
  return rows.map(toItem);
}

/**
 * Every item of a run, in order, read in pages (for CSV exports: constant memory whatever the
 * run's size). `db` should hold one snapshot (a REPEATABLE READ or read-only transaction).
 */
export async function* allReconciliationItems(
  db: Queryable,
  tenantId: string,
  runId: string,
  pageSize = 5000,
): AsyncGenerator<ReconciliationItemRow> {
  if (!isUuid(runId)) throw new ReportInputError('runId', 'runId is not a reconciliation run id');
  let after = -1;
  for (;;) {
    const { rows } = await db.query<RawItem>(
      `${ITEM_SQL} WHERE tenant_id = $1 AND run_id = $2 AND item_no > $3 ORDER BY item_no LIMIT $4`,
      [tenantId, runId.toLowerCase(), after, pageSize],
    );
    for (const r of rows) yield toItem(r);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1].item_no;
  }
}

import { Queryable } from '@app/platform';
import { ReportInputError } from './intervals';

/** CONTRACT.md `Direction`. */
export const DIRECTIONS = ['INBOUND', 'OUTBOUND', 'INTERNAL', 'TRANSIT', 'UNKNOWN'] as const;
export type Direction = (typeof DIRECTIONS)[number];
/** CONTRACT.md `Disposition`. */
export const DISPOSITIONS = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'FAILED', 'ABANDONED', 'VOICEMAIL'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
/** CONTRACT.md `CallStatus`. */
export const CALL_STATUSES = ['IN_PROGRESS', 'COMPLETED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Default and largest page size of `calls`. */
export const DEFAULT_CALLS_PAGE = 50;
export const MAX_CALLS_PAGE = 500;
/** Longest accepted text filter value (queue, agent, number). */
const MAX_FILTER_TEXT = 200;

/**
 * CONTRACT.md `CallFilter`. Every field is optional; the given ones are combined with AND.
 * `from`/`to` accept a Date (the GraphQL DateTime scalar) or an ISO 8601 string with offset (a
 * filter stored as JSON, e.g. by an export schedule).
 */
export interface CallFilter {
  from?: Date | string | null;
  to?: Date | string | null;
  direction?: Direction | null;
  disposition?: Disposition | null;
  queue?: string | null;
  agent?: string | null;
  number?: string | null;
  sourceId?: string | null;
  status?: CallStatus | null;
}

/** A CallFilter after validation: dates parsed, text trimmed, numbers expanded to their variants. */
export interface ValidCallFilter {
  from: Date | null;
  to: Date | null;
  direction: Direction | null;
  disposition: Disposition | null;
  queue: string | null;
  agent: string | null;
  /** The number as given and with its leading '+' added or removed. */
  numbers: string[] | null;
  sourceId: string | null;
  status: CallStatus | null;
}

/** One row of CONTRACT.md `Call` (without `legs`/`events`, which are loaded in batches). */
export interface CallRow {
  id: string;
  vendor: string;
  sourceId: string;
  vendorCallId: string;
  sessionId: string | null;
  direction: Direction;
  status: CallStatus;
  disposition: Disposition | null;
  callerNumber: string | null;
  callerName: string | null;
  calleeNumber: string | null;
  didNumber: string | null;
  answeredBy: string | null;
  queue: string | null;
  ringGroup: string | null;
  trunk: string | null;
  endReason: string | null;
  digits: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  holdSeconds: number | null;
  durationSeconds: number | null;
  // Billing (call_costs, the call-costs projection): null for calls that are not rated (not
  // OUTBOUND/TRANSIT, not completed, no talk time); cost and ratePrefix null when no rate applies.
  billableSeconds: number | null;
  cost: string | null;
  currency: string | null;
  ratePrefix: string | null;
  carrier: string | null;
}

/** A CallRow of a `calls` page, with the cursor of its edge. */
export interface CallEdgeRow extends CallRow {
  cursor: string;
}

/** A page of `calls` (CONTRACT.md `CallConnection`). */
export interface CallPage {
  rows: CallEdgeRow[];
  hasNextPage: boolean;
  /** The cursor of the last row; null on an empty page. */
  endCursor: string | null;
  /** Calls matching the filter, on every page (not only this one). */
  totalCount: number | null;
}

/** One row of CONTRACT.md `CallLeg`. */
export interface CallLegRow {
  destination: string;
  kind: string;
  status: string | null;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  endReason: string | null;
}

/** One row of CONTRACT.md `StoredEvent`. */
export interface StoredEventRow {
  /** raw_events.position (a bigint, hence a string). */
  position: string;
  type: string;
  occurredAt: Date | null;
  receivedAt: Date;
  /** The exact bytes received, decoded as UTF-8. */
  payload: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its canonical text form (what PostgreSQL's uuid prints). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

// ---------------------------------------------------------------------------------------------
// Input validation (pure)
// ---------------------------------------------------------------------------------------------

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function dateField(field: 'from' | 'to', value: Date | string | null | undefined): Date | null {
  if (value == null) return null;
  const date = typeof value === 'string' && ISO_WITH_OFFSET.test(value) ? new Date(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new ReportInputError(field, `${field} is not a valid date (ISO 8601 with offset)`);
  return date;
}

function enumField<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | null {
  if (value == null) return null;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new ReportInputError(field, `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function textField(field: string, value: unknown): string | null {
  if (value == null) return null;
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.length === 0 || text.length > MAX_FILTER_TEXT)
    throw new ReportInputError(field, `${field} must be a non-empty string of at most ${MAX_FILTER_TEXT} characters`);
  return text;
}

/**
 * Numbers are stored as the PBX sent them or normalised to E.164, so `61290000000` and
 * `+61290000000` must find the same call: the value is matched with and without a leading '+'.
 */
export function numberVariants(number: string): string[] {
  return number.startsWith('+') ? [number, number.slice(1)] : [number, `+${number}`];
}

/** Validates a CallFilter (ReportInputError naming the field otherwise). */
export function validCallFilter(filter: CallFilter | null | undefined): ValidCallFilter {
  const f = filter ?? {};
  const from = dateField('from', f.from);
  const to = dateField('to', f.to);
  if (from && to && from.getTime() >= to.getTime()) throw new ReportInputError('to', 'from must be before to');
  if (f.sourceId != null && !isUuid(f.sourceId)) throw new ReportInputError('sourceId', 'sourceId is not a UUID');
  const number = textField('number', f.number);
  return {
    from,
    to,
    direction: enumField('direction', f.direction, DIRECTIONS),
    disposition: enumField('disposition', f.disposition, DISPOSITIONS),
    status: enumField('status', f.status, CALL_STATUSES),
    queue: textField('queue', f.queue),
    agent: textField('agent', f.agent),
    numbers: number === null ? null : numberVariants(number),
    sourceId: f.sourceId == null ? null : f.sourceId.toLowerCase(),
  };
}

/** The page size: DEFAULT_CALLS_PAGE when absent, else an integer in 1..MAX_CALLS_PAGE. */
export function validFirst(first: number | null | undefined): number {
  if (first == null) return DEFAULT_CALLS_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_CALLS_PAGE)
    throw new ReportInputError('first', `first must be between 1 and ${MAX_CALLS_PAGE}`);
  return first;
}

// ---------------------------------------------------------------------------------------------
// Cursors (pure)
// ---------------------------------------------------------------------------------------------

/** A position in the (started_at DESC, id DESC) order: the last row a client has seen. */
export interface CallCursor {
  /**
   * started_at in UTC with microseconds, as PostgreSQL formats it (a JS Date keeps only
   * milliseconds, and a rounded key would skip or repeat calls started in the same millisecond).
   */
  startedAt: string;
  id: string;
}

// Four-digit years: PostgreSQL's to_char prints more only after 9999, which no PBX sends.
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BAD_CURSOR = 'after is not a cursor returned by this API';

/**
 * The opaque cursor of a row: base64url of `{"s": startedAt, "i": id}`. Not signed: it only
 * says where to continue in the caller's own tenant (every query is bounded by tenant_id, and by
 * row-level security in the API), so a forged cursor can at most start a page elsewhere.
 */
export function encodeCursor(cursor: CallCursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.startedAt, i: cursor.id }), 'utf8').toString('base64url');
}

/** Decodes a cursor of encodeCursor; anything else is ReportInputError('after'). */
export function decodeCursor(after: string): CallCursor {
  const fail = (): never => {
    throw new ReportInputError('after', BAD_CURSOR);
  };
  if (typeof after !== 'string' || after.length === 0 || after.length > 200 || !BASE64URL.test(after)) fail();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    return fail();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail();
  const { s, i, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof s !== 'string' || !CURSOR_TIME.test(s) || !isUuid(i)) return fail();
  // The pattern lets through impossible dates (02-30, 25:00) that PostgreSQL would reject with a
  // server error; a valid one survives the round trip through Date unchanged (to the second).
  const date = new Date(`${s.slice(0, -8)}Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19) !== s.slice(0, 19)) fail();
  return { startedAt: s, id: i.toLowerCase() };
}

/** The cursor to continue after; null/undefined is the first page (an empty string is not a cursor). */
function afterCursor(after: string | null | undefined): CallCursor | null {
  return after == null ? null : decodeCursor(after);
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

/** The SQL type a value is bound as. */
export type SqlType = 'uuid' | 'text' | 'text[]' | 'timestamptz';

/**
 * Binds a value into a query and returns the SQL expression that stands for it, typed. listCalls
 * binds numbered parameters (`$n::type`); a CSV export runs the same conditions in a COPY
 * statement, which cannot take parameters, and binds the values another way (libs/exports).
 */
export type BindValue = (value: unknown, type: SqlType) => string;

/** Binds values as numbered parameters appended to `params`. */
export function bindParams(params: unknown[]): BindValue {
  return (value, type) => `$${params.push(value)}::${type}`;
}

/**
 * The WHERE conditions of a tenant's calls matching a filter, on `call_sessions c`, with every
 * value bound through `bind`. Pure: exported for the unit tests and the calls export.
 */
export function callsWhere(tenantId: string, f: ValidCallFilter, bind: BindValue): string[] {
  const tenant = bind(tenantId, 'uuid');
  const where = [`c.tenant_id = ${tenant}`];
  if (f.from) where.push(`c.started_at >= ${bind(f.from, 'timestamptz')}`);
  if (f.to) where.push(`c.started_at < ${bind(f.to, 'timestamptz')}`);
  if (f.direction) where.push(`c.direction = ${bind(f.direction, 'text')}`);
  if (f.disposition) where.push(`c.disposition = ${bind(f.disposition, 'text')}`);
  if (f.status) where.push(`c.status = ${bind(f.status, 'text')}`);
  if (f.queue) where.push(`c.queue = ${bind(f.queue, 'text')}`);
  if (f.sourceId) where.push(`c.source_id = ${bind(f.sourceId, 'uuid')}`);
  if (f.agent) {
    // The agent's calls: those it answered, and those it was offered (rung as an extension leg,
    // e.g. a queue or ring-group member that did not pick up). `l.tenant_id = <tenant>` rather
    // than `= c.tenant_id`: the planner hashes this subquery once per statement, and the constant
    // bounds that scan to the tenant's legs (the primary key's prefix) instead of every tenant's.
    const agent = bind(f.agent, 'text');
    where.push(
      `(c.answered_by = ${agent} OR EXISTS (SELECT 1 FROM call_legs l WHERE l.tenant_id = ${tenant} ` +
        `AND l.call_id = c.id AND l.kind = 'extension' AND l.destination = ${agent}))`,
    );
  }
  if (f.numbers) {
    const numbers = bind(f.numbers, 'text[]');
    where.push(
      `(c.caller_number = ANY(${numbers}) OR c.callee_number = ANY(${numbers}) OR c.did_number = ANY(${numbers}))`,
    );
  }
  return where;
}

/** How a value of a Call field is typed: what GraphQL returns and how the calls CSV writes it. */
export type CallFieldKind = 'uuid' | 'text' | 'int' | 'decimal' | 'timestamp';

/** One scalar field of CONTRACT.md `Call` and the SQL (on `call_sessions c`) it is read from. */
export interface CallField {
  name: keyof CallRow;
  sql: string;
  kind: CallFieldKind;
}

/**
 * The scalar fields of `Call`, in schema order: the columns of every calls listing (GraphQL) and
 * of the calls CSV export, read by the same SQL so that both always agree.
 */
export const CALL_FIELDS: readonly CallField[] = Object.freeze([
  { name: 'id', sql: 'c.id', kind: 'uuid' },
  { name: 'vendor', sql: 'c.vendor', kind: 'text' },
  { name: 'sourceId', sql: 'c.source_id', kind: 'uuid' },
  { name: 'vendorCallId', sql: 'c.vendor_call_id', kind: 'text' },
  { name: 'sessionId', sql: 'c.session_id', kind: 'text' },
  { name: 'direction', sql: 'c.direction', kind: 'text' },
  { name: 'status', sql: 'c.status', kind: 'text' },
  { name: 'disposition', sql: 'c.disposition', kind: 'text' },
  { name: 'callerNumber', sql: 'c.caller_number', kind: 'text' },
  { name: 'callerName', sql: 'c.caller_name', kind: 'text' },
  { name: 'calleeNumber', sql: 'c.callee_number', kind: 'text' },
  { name: 'didNumber', sql: 'c.did_number', kind: 'text' },
  { name: 'answeredBy', sql: 'c.answered_by', kind: 'text' },
  { name: 'queue', sql: 'c.queue', kind: 'text' },
  { name: 'ringGroup', sql: 'c.ring_group', kind: 'text' },
  { name: 'trunk', sql: 'c.trunk', kind: 'text' },
  { name: 'endReason', sql: 'c.end_reason', kind: 'text' },
  { name: 'digits', sql: 'c.digits', kind: 'text' },
  { name: 'startedAt', sql: 'c.started_at', kind: 'timestamp' },
  { name: 'answeredAt', sql: 'c.answered_at', kind: 'timestamp' },
  { name: 'endedAt', sql: 'c.ended_at', kind: 'timestamp' },
  { name: 'ringSeconds', sql: 'c.ring_seconds', kind: 'int' },
  { name: 'talkSeconds', sql: 'c.talk_seconds', kind: 'int' },
  { name: 'holdSeconds', sql: 'c.hold_seconds', kind: 'int' },
  { name: 'durationSeconds', sql: 'c.duration_seconds', kind: 'int' },
  // Billing: the call's rating in call_costs (CALLS_FROM joins it), null when it is not rated.
  { name: 'billableSeconds', sql: 'cc.billable_seconds', kind: 'int' },
  { name: 'cost', sql: 'cc.cost', kind: 'decimal' },
  { name: 'currency', sql: 'cc.currency', kind: 'text' },
  { name: 'ratePrefix', sql: 'cc.rate_prefix', kind: 'text' },
  { name: 'carrier', sql: 'cc.carrier', kind: 'text' },
] as const satisfies readonly CallField[]);

/** CALL_FIELDS as a select list whose rows are CallRows (money as an exact decimal string). */
const CALL_SELECT = CALL_FIELDS.map((f) => `${f.kind === 'decimal' ? `(${f.sql})::text` : f.sql} AS "${f.name}"`).join(
  ', ',
);

/** Calls with their rating (a primary-key probe per row; no row when the call is not rated). */
export const CALLS_FROM = `call_sessions c LEFT JOIN call_costs cc ON cc.tenant_id = c.tenant_id AND cc.call_id = c.id`;

/** The order of every calls listing: newest first; the keyset of the cursors. */
export const CALLS_ORDER = 'c.started_at DESC, c.id DESC';

/** The query of a calls listing: `select` over the tenant's calls matching `where`, in CALLS_ORDER. */
export function callsSql(select: string, where: readonly string[]): string {
  return `SELECT ${select} FROM ${CALLS_FROM} WHERE ${where.join(' AND ')} ORDER BY ${CALLS_ORDER}`;
}

// UTC with microseconds and a literal Z: exact, and independent of the session's TimeZone/DateStyle.
const CURSOR_TIME_SQL = `to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A page of a tenant's calls, newest first (started_at DESC, id DESC), after the cursor `after`.
 *
 * Keyset pagination: a cursor is the (started_at, id) of the last row seen, and the next page is
 * the rows strictly after it in that order. Calls that arrive later (newer, so before the cursor)
 * never shift a page the way an offset would: no row is repeated or skipped. A call whose
 * started_at changes while a client pages (a late event moving it) may of course move past the
 * cursor; the order is of the data as it is at each request.
 *
 * Plan (EXPLAIN ANALYZE, PostgreSQL 15, 2 tenants x 200k calls): every page — first or after a
 * cursor, unfiltered or with from/to, direction, disposition, queue, agent or number — is a Limit
 * over an Incremental Sort (presorted key started_at; it only orders ties by id, since the index
 * keeps id ASC) over an Index Scan on call_sessions_started_idx (tenant_id, started_at DESC, id),
 * with tenant, from/to and the cursor as Index Cond and the other filters as a per-row Filter:
 * ~0.1-0.4 ms per page. Rare values of the unindexed filters (number, agent) scan more of the
 * index before a page fills (a number matching 0.1 % of 200k calls: ~12 ms); `from`/`to` bound it.
 * The agent filter's legs lookup is a primary-key probe per candidate call, or one hashed scan of
 * the tenant's legs when the planner expects many candidates.
 * totalCount is a separate count over the same filter (skipped with `withTotalCount: false`, as
 * GraphQL does when the query does not ask for it): its cost grows with the matching rows,
 * so narrow `from`/`to` keep it cheap.
 */
export async function listCalls(
  db: Queryable,
  tenantId: string,
  args: { filter?: CallFilter | null; first?: number | null; after?: string | null; withTotalCount?: boolean },
): Promise<CallPage> {
  const filter = validCallFilter(args.filter);
  const first = validFirst(args.first);
  const cursor = afterCursor(args.after);

  const params: unknown[] = [];
  const bind = bindParams(params);
  const where = callsWhere(tenantId, filter, bind);
  const countParams = [...params];
  const countWhere = [...where];
  if (cursor) {
    const s = bind(cursor.startedAt, 'timestamptz');
    const i = bind(cursor.id, 'uuid');
    // The row comparison is the exact keyset condition. The plain `<=` repeats its first column so
    // that the index bound on started_at never depends on how the planner treats a row comparison
    // against an index whose id column runs the other way (ASC).
    where.push(`c.started_at <= ${s}`, `(c.started_at, c.id) < (${s}, ${i})`);
  }
  const limit = `$${params.push(first + 1)}`;

  const { rows } = await db.query<CallRow & { cursor_started_at: string }>(
    `${callsSql(`${CALL_SELECT}, ${CURSOR_TIME_SQL} AS cursor_started_at`, where)} LIMIT ${limit}`,
    params,
  );
  // The count costs as much as the matching rows: only when the caller reads it.
  const count =
    args.withTotalCount === false
      ? null
      : (
          await db.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM call_sessions c WHERE ${countWhere.join(' AND ')}`,
            countParams,
          )
        ).rows;

  const page = rows.slice(0, first).map(({ cursor_started_at, ...row }): CallEdgeRow => ({
    ...row,
    cursor: encodeCursor({ startedAt: cursor_started_at, id: row.id }),
  }));
  return {
    rows: page,
    hasNextPage: rows.length > first,
    endCursor: page.length > 0 ? page[page.length - 1].cursor : null,
    totalCount: count === null ? null : Number(count[0]?.n ?? 0),
  };
}

/** The distinct ids that can name a call; anything else simply names no call (never an SQL error). */
function callIds(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
}

/**
 * The tenant's calls with the given ids, for `call(id)` through a DataLoader: one query for
 * all ids. Keyed by the ids as passed; ids that are not UUIDs or not the tenant's are absent.
 */
export async function getCallsByIds(
  db: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, CallRow>> {
  const out = new Map<string, CallRow>();
  const wanted = callIds(ids);
  if (wanted.length === 0) return out;
  const { rows } = await db.query<CallRow>(
    `SELECT ${CALL_SELECT} FROM ${CALLS_FROM} WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[])`,
    [tenantId, wanted],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const row = isUuid(id) ? byId.get(id.toLowerCase()) : undefined;
    if (row) out.set(id, row);
  }
  return out;
}

/** Groups rows by call id into a map with an entry (possibly empty) for every requested id. */
function groupByCall<R extends { call_id: string }, T>(
  ids: readonly string[],
  rows: readonly R[],
  map: (r: R) => T,
): Map<string, T[]> {
  const byId = new Map<string, T[]>();
  for (const r of rows) {
    let list = byId.get(r.call_id);
    if (!list) byId.set(r.call_id, (list = []));
    list.push(map(r));
  }
  return new Map(ids.map((id) => [id, (isUuid(id) && byId.get(id.toLowerCase())) || []]));
}

/**
 * The legs of the tenant's calls (`Call.legs`), ordered by ordinal: one query for all calls.
 * Every requested id has an entry, empty when the call has no legs or is not the tenant's.
 */
export async function legsForCalls(
  db: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, CallLegRow[]>> {
  const wanted = callIds(ids);
  if (wanted.length === 0) return groupByCall(ids, [], () => null as never);
  const { rows } = await db.query<{
    call_id: string;
    destination: string;
    kind: string;
    status: string | null;
    started_at: Date | null;
    answered_at: Date | null;
    ended_at: Date | null;
    ring_seconds: number | null;
    talk_seconds: number | null;
    end_reason: string | null;
  }>(
    `SELECT l.call_id, l.destination, l.kind, l.status, l.started_at, l.answered_at, l.ended_at,
            l.ring_seconds, l.talk_seconds, l.end_reason
     FROM call_legs l
     WHERE l.tenant_id = $1 AND l.call_id = ANY($2::uuid[])
     ORDER BY l.call_id, l.ordinal`,
    [tenantId, wanted],
  );
  return groupByCall(ids, rows, (r) => ({
    destination: r.destination,
    kind: r.kind,
    status: r.status,
    startedAt: r.started_at,
    answeredAt: r.answered_at,
    endedAt: r.ended_at,
    ringSeconds: r.ring_seconds,
    talkSeconds: r.talk_seconds,
    endReason: r.end_reason,
  }));
}

/**
 * The stored events of the tenant's calls (`Call.events`): one query for all calls. A call's
 * events are the raw_events of its tenant and source whose call_key is its vendor call id — the
 * same set the call-sessions projection folds the call from. Ordered by occurred time (events
 * without one last), then position. `payload` is `raw` (the exact bytes received) decoded as
 * UTF-8; bytes that are not UTF-8 (stored, never refused) come out as U+FFFD.
 * Every requested id has an entry, empty when the call is unknown or not the tenant's.
 */
export async function eventsForCalls(
  db: Queryable,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, StoredEventRow[]>> {
  const wanted = callIds(ids);
  if (wanted.length === 0) return groupByCall(ids, [], () => null as never);
  // Both sides are bounded by the tenant: raw_events through raw_events_tenant_call_idx
  // (tenant_id, call_key), probed once per call.
  const { rows } = await db.query<{
    call_id: string;
    position: string;
    type: string;
    occurred_at: Date | null;
    received_at: Date;
    raw: Buffer;
  }>(
    `SELECT c.id AS call_id, e.position::text AS position, e.type, e.occurred_at, e.received_at, e.raw
     FROM call_sessions c
     JOIN raw_events e ON e.tenant_id = c.tenant_id AND e.source_id = c.source_id AND e.call_key = c.vendor_call_id
     WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[]) AND e.tenant_id = $1
     ORDER BY c.id, e.occurred_at NULLS LAST, e.position`,
    [tenantId, wanted],
  );
  return groupByCall(ids, rows, (r) => ({
    position: r.position,
    type: r.type,
    occurredAt: r.occurred_at,
    receivedAt: r.received_at,
    payload: r.raw.toString('utf8'),
  }));
}

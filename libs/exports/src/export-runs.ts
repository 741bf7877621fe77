import { Queryable } from '@app/platform';
import { ExportReportName, ExportSpec } from './export-request';

/** CONTRACT.md `RunStatus`. */
export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** One row of export_runs. */
export interface ExportRunRecord {
  id: string;
  tenantId: string;
  scheduleId: string | null;
  /** The time the schedule was due, for a scheduled run. */
  slotAt: Date | null;
  report: ExportReportName;
  spec: ExportSpec;
  from: Date | null;
  to: Date | null;
  timezone: string;
  gzip: boolean;
  status: RunStatus;
  attempts: number;
  rowCount: number | null;
  bytes: number | null;
  sha256: string | null;
  fileName: string | null;
  /** Relative to EXPORT_DIR. */
  filePath: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One row of export_schedules. */
export interface ExportScheduleRecord {
  id: string;
  tenantId: string;
  name: string;
  cron: string;
  timezone: string;
  report: ExportReportName;
  spec: ExportSpec;
  createdAt: Date;
}

const RUN_COLUMNS = `id, tenant_id, schedule_id, slot_at, report, request, range_from, range_to, timezone, gzip,
  status, attempts, row_count::float8 AS row_count, bytes::float8 AS bytes, sha256, file_name, file_path, error,
  created_at, started_at, finished_at`;

interface RawRun {
  id: string;
  tenant_id: string;
  schedule_id: string | null;
  slot_at: Date | null;
  report: ExportReportName;
  request: ExportSpec;
  range_from: Date | null;
  range_to: Date | null;
  timezone: string;
  gzip: boolean;
  status: RunStatus;
  attempts: number;
  row_count: number | null;
  bytes: number | null;
  sha256: string | null;
  file_name: string | null;
  file_path: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toRun(r: RawRun): ExportRunRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    scheduleId: r.schedule_id,
    slotAt: r.slot_at,
    report: r.report,
    spec: r.request,
    from: r.range_from,
    to: r.range_to,
    timezone: r.timezone,
    gzip: r.gzip,
    status: r.status,
    attempts: r.attempts,
    rowCount: r.row_count,
    bytes: r.bytes,
    sha256: r.sha256,
    fileName: r.file_name,
    filePath: r.file_path,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** What a new run is made of. */
export interface NewRun {
  tenantId: string;
  spec: ExportSpec;
  from: Date | null;
  to: Date | null;
  timezone: string;
  scheduleId?: string;
  slotAt?: Date;
}

const INSERT_RUN = `INSERT INTO export_runs (tenant_id, schedule_id, slot_at, report, request, range_from, range_to, timezone, gzip)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

function runValues(run: NewRun): unknown[] {
  return [
    run.tenantId,
    run.scheduleId ?? null,
    run.slotAt ?? null,
    run.spec.report,
    JSON.stringify(run.spec),
    run.from,
    run.to,
    run.timezone,
    run.spec.gzip,
  ];
}

/** Inserts a QUEUED run (in a tenant session, the row-level security check pins its tenant). */
export async function insertRun(db: Queryable, run: NewRun): Promise<ExportRunRecord> {
  const { rows } = await db.query<RawRun>(`${INSERT_RUN} RETURNING ${RUN_COLUMNS}`, runValues(run));
  return toRun(rows[0]);
}

/** The run of a schedule's due time: inserted once, found again by a retry or a duplicate job. */
export async function insertScheduledRun(db: Queryable, run: NewRun & { scheduleId: string; slotAt: Date }) {
  const inserted = await db.query<RawRun>(
    `${INSERT_RUN} ON CONFLICT (tenant_id, schedule_id, slot_at) WHERE schedule_id IS NOT NULL DO NOTHING
     RETURNING ${RUN_COLUMNS}`,
    runValues(run),
  );
  if (inserted.rows.length) return toRun(inserted.rows[0]);
  const { rows } = await db.query<RawRun>(
    `SELECT ${RUN_COLUMNS} FROM export_runs WHERE tenant_id = $1 AND schedule_id = $2 AND slot_at = $3`,
    [run.tenantId, run.scheduleId, run.slotAt],
  );
  return toRun(rows[0]);
}

/** A run by id (null when unknown, or another tenant's under row-level security). */
export async function getRun(db: Queryable, id: string): Promise<ExportRunRecord | null> {
  const { rows } = await db.query<RawRun>(`SELECT ${RUN_COLUMNS} FROM export_runs WHERE id = $1`, [id]);
  return rows.length ? toRun(rows[0]) : null;
}

/** A tenant's runs, newest first, after the run `after` (its id) when given. */
export async function listRuns(
  db: Queryable,
  tenantId: string,
  first: number,
  after: string | null,
): Promise<ExportRunRecord[]> {
  const { rows } = await db.query<RawRun>(
    `SELECT ${RUN_COLUMNS} FROM export_runs r
     WHERE r.tenant_id = $1
       AND ($3::uuid IS NULL OR (r.created_at, r.id) < (SELECT a.created_at, a.id FROM export_runs a
                                                        WHERE a.tenant_id = $1 AND a.id = $3))
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT $2`,
    [tenantId, first, after],
  );
  return rows.map(toRun);
}

/**
 * Marks a run RUNNING for one more attempt; null when there is nothing to do (unknown, already
 * SUCCEEDED or FAILED): a duplicate or late job then does nothing.
 */
export async function startRun(db: Queryable, id: string): Promise<ExportRunRecord | null> {
  const { rows } = await db.query<RawRun>(
    `UPDATE export_runs SET status = 'RUNNING', attempts = attempts + 1, started_at = now(), finished_at = NULL
     WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')
     RETURNING ${RUN_COLUMNS}`,
    [id],
  );
  return rows.length ? toRun(rows[0]) : null;
}

/** Records a finished file. */
export async function succeedRun(
  db: Queryable,
  id: string,
  file: { rowCount: number; bytes: number; sha256: string; fileName: string; filePath: string },
): Promise<void> {
  await db.query(
    `UPDATE export_runs SET status = 'SUCCEEDED', row_count = $2, bytes = $3, sha256 = $4, file_name = $5,
            file_path = $6, error = NULL, finished_at = now()
     WHERE id = $1`,
    [id, file.rowCount, file.bytes, file.sha256, file.fileName, file.filePath],
  );
}

/**
 * Records a failed attempt: FAILED with the reason when it was the last one, otherwise QUEUED
 * again (a retry is on its way) with the reason so far. Never touches a SUCCEEDED run.
 */
export async function failRun(db: Queryable, id: string, reason: string, final: boolean): Promise<string | null> {
  const { rows } = await db.query<{ report: string }>(
    `UPDATE export_runs SET status = $3, error = $2, finished_at = CASE WHEN $3 = 'FAILED' THEN now() END
     WHERE id = $1 AND status <> 'SUCCEEDED'
     RETURNING report`,
    [id, reason, final ? 'FAILED' : 'QUEUED'],
  );
  return rows[0]?.report ?? null;
}

/** Runs still QUEUED after `olderThanSeconds`: their job may have been lost (the queue is only a doorbell). */
export async function staleQueuedRuns(db: Queryable, olderThanSeconds: number, limit = 500): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM export_runs WHERE status = 'QUEUED' AND schedule_id IS NULL
       AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2`,
    [olderThanSeconds, limit],
  );
  return rows.map((r) => r.id);
}

/** Finished runs older than `days` (by finish time), oldest first. */
export async function expiredRuns(
  db: Queryable,
  days: number,
  limit = 500,
): Promise<Array<{ id: string; tenantId: string; filePath: string | null }>> {
  const { rows } = await db.query<{ id: string; tenant_id: string; file_path: string | null }>(
    `SELECT id, tenant_id, file_path FROM export_runs
     WHERE finished_at < now() - make_interval(days => $1) ORDER BY finished_at LIMIT $2`,
    [days, limit],
  );
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, filePath: r.file_path }));
}

export async function deleteRuns(db: Queryable, ids: readonly string[]): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM export_runs WHERE id = ANY($1::uuid[])`, [ids]);
  return rowCount ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

const SCHEDULE_COLUMNS = `id, tenant_id, name, cron, timezone, report, request, created_at`;

interface RawSchedule {
  id: string;
  tenant_id: string;
  name: string;
  cron: string;
  timezone: string;
  report: ExportReportName;
  request: ExportSpec;
  created_at: Date;
}

function toSchedule(r: RawSchedule): ExportScheduleRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    report: r.report,
    spec: r.request,
    createdAt: r.created_at,
  };
}

export async function insertSchedule(
  db: Queryable,
  s: { tenantId: string; name: string; cron: string; timezone: string; spec: ExportSpec },
): Promise<ExportScheduleRecord> {
  const { rows } = await db.query<RawSchedule>(
    `INSERT INTO export_schedules (tenant_id, name, cron, timezone, report, request)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SCHEDULE_COLUMNS}`,
    [s.tenantId, s.name, s.cron, s.timezone, s.spec.report, JSON.stringify(s.spec)],
  );
  return toSchedule(rows[0]);
}

export async function getSchedule(db: Queryable, id: string): Promise<ExportScheduleRecord | null> {
  const { rows } = await db.query<RawSchedule>(`SELECT ${SCHEDULE_COLUMNS} FROM export_schedules WHERE id = $1`, [id]);
  return rows.length ? toSchedule(rows[0]) : null;
}

/** Every schedule (of the tenant, in a tenant session), oldest first. */
export async function listSchedules(db: Queryable, tenantId: string | null): Promise<ExportScheduleRecord[]> {
  const { rows } = await db.query<RawSchedule>(
    `SELECT ${SCHEDULE_COLUMNS} FROM export_schedules WHERE ($1::uuid IS NULL OR tenant_id = $1)
     ORDER BY created_at, id`,
    [tenantId],
  );
  return rows.map(toSchedule);
}

/** Deletes a schedule; false when there is none with that id (for the tenant). */
export async function deleteSchedule(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM export_schedules WHERE id = $1`, [id]);
  return rowCount === 1;
}

/** The time of a schedule's latest run (null before its first). */
export async function lastSlot(db: Queryable, tenantId: string, scheduleId: string): Promise<Date | null> {
  const { rows } = await db.query<{ slot: Date | null }>(
    `SELECT max(slot_at) AS slot FROM export_runs WHERE tenant_id = $1 AND schedule_id = $2`,
    [tenantId, scheduleId],
  );
  return rows[0]?.slot ?? null;
}

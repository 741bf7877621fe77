import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, Metrics, PG_POOL, QUEUES, TenantDb, Queryable } from '@app/platform';
import { ReportInputError, isUuid, tenantZone, validZone } from '@app/reporting';
import { CsvWriter } from './csv/csv-writer';
import { ZoneClock } from './csv/zone-clock';
import { exportFileName, writeAtomically } from './export-file';
import { ExportRequestInput, exportPeriod, validExportRequest } from './export-request';
import {
  ExportRunRecord,
  ExportScheduleRecord,
  deleteRuns,
  deleteSchedule,
  expiredRuns,
  failRun,
  getRun,
  getSchedule,
  insertRun,
  insertSchedule,
  insertScheduledRun,
  lastSlot,
  listRuns,
  listSchedules,
  staleQueuedRuns,
  startRun,
  succeedRun,
} from './export-runs';
import {
  ExportFileGoneError,
  ExportNotReadyError,
  ExportRunNotFoundError,
  ExportUnavailableError,
} from './exports.errors';
import { reconciliationPeriod } from './reports/reconciliation.report';
import { REPORTS } from './reports/registry';
import { latestSlot, validCron } from './schedule/cron';

/** Names of the jobs of the `exports` queue. */
export const EXPORT_JOBS = { run: 'run', scheduled: 'scheduled', maintenance: 'maintenance' } as const;

/** A `run` job: one run, created by runExport or the CLI. */
export interface RunJobData {
  runId: string;
}
/** A `scheduled` job: a schedule's due time. `slot` and `runId` are added on its first attempt. */
export interface ScheduledJobData {
  scheduleId: string;
  slot?: string;
  runId?: string;
}

/** The BullMQ job scheduler of an export schedule. */
export const schedulerId = (scheduleId: string): string => `export-schedule-${scheduleId}`;
/** The id of the periodic retention and re-queue job. */
export const MAINTENANCE_SCHEDULER = 'exports-maintenance';
/** Runs still QUEUED this long are rung again (their job may be lost). */
const STALE_QUEUED_SECONDS = 120;

/** A schedule with its next due time from the queue. */
export interface ExportScheduleView extends ExportScheduleRecord {
  nextRunAt: Date | null;
}

/** A file ready to be served. */
export interface ExportDownload {
  path: string;
  fileName: string;
  bytes: number;
  sha256: string;
  gzip: boolean;
}

/** Whether retrying cannot help: the run is marked FAILED at once. */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof ReportInputError || error instanceof ExportUnavailableError;
}

/**
 * The reason a run failed, as its `error` says to the tenant: the message of an input or
 * availability problem, a short description of a storage or database one, never a stack, a
 * path or SQL (the worker log has the details).
 */
export function describeFailure(error: unknown): string {
  if (isPermanentFailure(error)) return (error as Error).message;
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOSPC') return 'no space left in the export directory';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'the export directory is not writable';
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `the export directory is not usable (${code})`;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `database error: ${(error as Error).message}`;
  return 'internal error (details in the worker log)';
}

/**
 * CSV exports: runs on request and on schedules, the files, their download and retention.
 * GraphQL and the CLI create runs and schedules (in the tenant's own session, so row-level
 * security checks the tenant); the worker's `exports` queue executes them.
 */
@Injectable()
export class ExportService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.exports) private readonly queue: Queue,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Options of every export job: retries with exponential backoff, bounded history. */
  get jobOptions(): JobsOptions {
    const { attempts, backoffMs } = this.config.exports;
    return {
      attempts,
      backoff: { type: 'exponential', delay: backoffMs },
      removeOnComplete: { age: 86_400, count: 1000 },
      removeOnFail: { age: 7 * 86_400 },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Runs on request (GraphQL runExport, CLI export:run)
  // -------------------------------------------------------------------------------------------

  /** Validates a request, records a QUEUED run (period resolved now) and rings the worker. */
  async requestRun(db: TenantDb, input: ExportRequestInput): Promise<ExportRunRecord> {
    const spec = validExportRequest(input);
    const run = await db.write(async (c) => {
      const zone = spec.timezone ?? (await tenantZone(c, db.tenantId));
      const period =
        spec.report === 'RECONCILIATION'
          ? await reconciliationPeriod(c, db.tenantId, spec.reconciliationRunId!)
          : exportPeriod(spec, zone, new Date());
      REPORTS[spec.report].check(spec, period);
      return insertRun(c, {
        tenantId: db.tenantId,
        spec,
        from: period?.from ?? null,
        to: period?.to ?? null,
        timezone: zone,
      });
    });
    await this.ring(run.id);
    return run;
  }

  /** Adds the job of a run (idempotent: its id is the run's). A queue outage is retried by maintenance. */
  async ring(runId: string): Promise<void> {
    try {
      await this.queue.add(EXPORT_JOBS.run, { runId } satisfies RunJobData, {
        ...this.jobOptions,
        jobId: `run-${runId}`,
      });
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'export queue unavailable; the run stays QUEUED and is rung again later');
    }
  }

  /** A run of the tenant, or null. */
  getRun(db: TenantDb, id: string): Promise<ExportRunRecord | null> {
    return isUuid(id) ? db.run((c) => getRun(c, id.toLowerCase())) : Promise.resolve(null);
  }

  /** The tenant's runs, newest first; `after` is the id of the last run of the previous page. */
  listRuns(
    db: TenantDb,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<ExportRunRecord[]> {
    const n = first ?? 50;
    if (!Number.isInteger(n) || n < 1 || n > 500)
      throw new ReportInputError('first', 'first must be between 1 and 500');
    if (after != null && !isUuid(after)) throw new ReportInputError('after', 'after must be the id of an export run');
    return db.run((c) => listRuns(c, db.tenantId, n, after?.toLowerCase() ?? null));
  }

  // -------------------------------------------------------------------------------------------
  // Schedules
  // -------------------------------------------------------------------------------------------

  /** Validates and stores a schedule, and creates its BullMQ job scheduler (cron in its zone). */
  async createSchedule(
    db: TenantDb,
    input: { name: string; cron: string; timezone: string; request: ExportRequestInput },
  ): Promise<ExportScheduleView> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length === 0 || name.length > 200)
      throw new ReportInputError('name', 'name must be a non-empty string of at most 200 characters');
    const zone = validZone(input.timezone);
    const cron = validCron(input.cron, zone, this.config.exports.minIntervalSeconds);
    const spec = validExportRequest(input.request, { schedule: true });
    if (spec.timezone !== null && spec.timezone !== zone)
      throw new ReportInputError(
        'request.timezone',
        `request.timezone must be left out or equal the schedule's timezone (${zone}): the schedule's zone decides both its times and its periods`,
      );
    REPORTS[spec.report].check(spec, exportPeriod(spec, zone, new Date()));
    const schedule = await db.write(async (c) => {
      const s = await insertSchedule(c, { tenantId: db.tenantId, name, cron, timezone: zone, spec });
      // Inside the transaction: a schedule the queue refused is not stored either.
      await this.upsertScheduler(s);
      return s;
    });
    return { ...schedule, nextRunAt: await this.nextRunAt(schedule.id) };
  }

  /** Deletes a schedule of the tenant and its job scheduler; false when there is no such schedule. */
  async deleteSchedule(db: TenantDb, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const deleted = await db.write((c) => deleteSchedule(c, id.toLowerCase()));
    if (deleted) await this.queue.removeJobScheduler(schedulerId(id.toLowerCase()));
    return deleted;
  }

  /** The tenant's schedules with their next due times. */
  async listSchedules(db: TenantDb): Promise<ExportScheduleView[]> {
    const schedules = await db.run((c) => listSchedules(c, db.tenantId));
    return Promise.all(schedules.map(async (s) => ({ ...s, nextRunAt: await this.nextRunAt(s.id) })));
  }

  /** When the queue will next run a schedule (past when it is overdue: no worker ran). */
  async nextRunAt(scheduleId: string): Promise<Date | null> {
    const scheduler = await this.queue.getJobScheduler(schedulerId(scheduleId));
    return scheduler?.next ? new Date(scheduler.next) : null;
  }

  private upsertScheduler(s: ExportScheduleRecord): Promise<unknown> {
    return this.queue.upsertJobScheduler(
      schedulerId(s.id),
      { pattern: s.cron, tz: s.timezone },
      { name: EXPORT_JOBS.scheduled, data: { scheduleId: s.id } satisfies ScheduledJobData, opts: this.jobOptions },
    );
  }

  /**
   * At worker start: every stored schedule must have its job scheduler. One that lost it (Redis
   * emptied, the schedule stored while the queue was down) gets it back, and — if a due time
   * passed since its last run — one catch-up job for the latest such time. A schedule whose
   * scheduler is there needs nothing: BullMQ keeps its one pending job, which runs once when a
   * worker comes back, however many times were missed.
   */
  async ensureSchedulers(now = new Date()): Promise<number> {
    let restored = 0;
    for (const s of await listSchedules(this.pool, null)) {
      if (await this.queue.getJobScheduler(schedulerId(s.id))) continue;
      await this.upsertScheduler(s);
      restored++;
      const latest = latestSlot(s.cron, s.timezone, now);
      const last = await lastSlot(this.pool, s.tenantId, s.id);
      if (latest && latest > s.createdAt && (!last || latest > last)) {
        await this.queue.add(
          EXPORT_JOBS.scheduled,
          { scheduleId: s.id, slot: latest.toISOString() } satisfies ScheduledJobData,
          { ...this.jobOptions, jobId: `catchup-${s.id}-${latest.getTime()}` },
        );
      }
    }
    if (restored) this.logger.info({ restored }, 'export schedulers restored');
    return restored;
  }

  /**
   * The run of a schedule's due time, created on the job's first attempt. The period is relative
   * to the due time, not to when the job runs, so a late run exports the period it was meant
   * for. A job that runs after several due times passed (no worker was running) stands for the
   * latest of them: one catch-up run, not one per missed time.
   */
  async scheduledRun(data: ScheduledJobData, dueMs: number | null): Promise<ExportRunRecord | null> {
    const schedule = await getSchedule(this.pool, data.scheduleId);
    if (!schedule) {
      // Deleted after its job was queued: stop its scheduler too, in case that was missed.
      await this.queue.removeJobScheduler(schedulerId(data.scheduleId));
      return null;
    }
    let slot = data.slot ? new Date(data.slot) : null;
    if (!slot) {
      const at = new Date(Math.max(dueMs ?? 0, Date.now()));
      slot = latestSlot(schedule.cron, schedule.timezone, at) ?? new Date(dueMs ?? at.getTime());
    }
    const zone = schedule.spec.timezone ?? schedule.timezone;
    const period = exportPeriod(schedule.spec, zone, slot);
    return insertScheduledRun(this.pool, {
      tenantId: schedule.tenantId,
      spec: schedule.spec,
      from: period?.from ?? null,
      to: period?.to ?? null,
      timezone: zone,
      scheduleId: schedule.id,
      slotAt: slot,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Executing a run (worker)
  // -------------------------------------------------------------------------------------------

  /**
   * Writes a run's file and records it; null when there was nothing to do (the run is unknown,
   * or already SUCCEEDED or FAILED). The report is read in the tenant's own read-only session,
   * so row-level security bounds it to the tenant whatever its SQL says. Throws on failure:
   * the caller records it (recordFailure) and BullMQ retries.
   */
  async execute(runId: string): Promise<ExportRunRecord | null> {
    const run = await startRun(this.pool, runId);
    if (!run) return null;
    const started = performance.now();
    const report = REPORTS[run.report];
    const period = run.from && run.to ? { from: run.from, to: run.to } : null;
    const fileName = exportFileName(report, period, run.timezone, run.gzip, run.id);
    const filePath = join(run.tenantId, run.id, fileName);
    let rowCount = 0;
    const file = await new TenantDb(this.pool, run.tenantId).stream(async (db) => {
      report.check(run.spec, period);
      const writer = new CsvWriter(new ZoneClock(run.timezone));
      writer.header(report.columns);
      const body = await report.body({
        db,
        tenantId: run.tenantId,
        spec: run.spec,
        period,
        zone: run.timezone,
        writer,
      });
      const written = await writeAtomically(body, join(this.config.exports.dir, filePath), run.gzip);
      rowCount = writer.rows;
      return written;
    });
    await succeedRun(this.pool, run.id, { rowCount, bytes: file.bytes, sha256: file.sha256, fileName, filePath });
    const seconds = (performance.now() - started) / 1000;
    this.metrics.exportRuns.inc({ report: run.report, outcome: 'succeeded' });
    this.metrics.exportRows.inc({ report: run.report }, rowCount);
    this.metrics.exportSeconds.observe({ report: run.report }, seconds);
    this.logger.info({ runId, report: run.report, rowCount, bytes: file.bytes, seconds }, 'export written');
    return { ...run, status: 'SUCCEEDED', rowCount, bytes: file.bytes, sha256: file.sha256, fileName, filePath };
  }

  /** Records a failed attempt: FAILED with the reason on the last one, else QUEUED for the retry. */
  async recordFailure(
    runId: string,
    error: unknown,
    attempt: { number: number; of: number },
  ): Promise<{ final: boolean; reason: string }> {
    const final = isPermanentFailure(error) || attempt.number >= attempt.of;
    const reason = describeFailure(error);
    const text = final ? reason : `attempt ${attempt.number} of ${attempt.of} failed: ${reason}; retrying`;
    if (!isPermanentFailure(error)) this.logger.error({ err: error, runId, attempt }, 'export attempt failed');
    const report = await failRun(this.pool, runId, text, final);
    if (report) this.metrics.exportRuns.inc({ report, outcome: final ? 'failed' : 'retried' });
    return { final, reason };
  }

  // -------------------------------------------------------------------------------------------
  // Download (API)
  // -------------------------------------------------------------------------------------------

  /** The file of a SUCCEEDED run of the tenant (errors: not found, not ready, gone). */
  async download(db: TenantDb, runId: string): Promise<ExportDownload> {
    const run = await this.getRun(db, runId);
    if (!run) throw new ExportRunNotFoundError(runId);
    if (run.status !== 'SUCCEEDED' || !run.filePath || !run.fileName) throw new ExportNotReadyError(run.id, run.status);
    const root = resolve(this.config.exports.dir);
    const path = resolve(root, run.filePath);
    if (relative(root, path).startsWith('..') || !path.startsWith(root + sep)) throw new ExportFileGoneError(run.id);
    try {
      await stat(path);
    } catch {
      throw new ExportFileGoneError(run.id);
    }
    return { path, fileName: run.fileName, bytes: run.bytes ?? 0, sha256: run.sha256 ?? '', gzip: run.gzip };
  }

  // -------------------------------------------------------------------------------------------
  // Maintenance (worker, periodic)
  // -------------------------------------------------------------------------------------------

  /**
   * Retention — runs finished more than EXPORT_RETENTION_DAYS ago are deleted with their files
   * — and the doorbell: runs still QUEUED after a while are rung again.
   */
  async maintenance(): Promise<{ deleted: number; rung: number }> {
    let deleted = 0;
    for (;;) {
      const expired = await expiredRuns(this.pool, this.config.exports.retentionDays);
      if (expired.length === 0) break;
      for (const r of expired) {
        if (isUuid(r.tenantId) && isUuid(r.id))
          await rm(join(this.config.exports.dir, r.tenantId, r.id), { recursive: true, force: true });
      }
      deleted += await deleteRuns(
        this.pool,
        expired.map((r) => r.id),
      );
    }
    const stale = await staleQueuedRuns(this.pool, STALE_QUEUED_SECONDS);
    for (const id of stale) await this.ring(id);
    if (deleted || stale.length) this.logger.info({ deleted, rung: stale.length }, 'export maintenance');
    return { deleted, rung: stale.length };
  }

  /** Schedules every 10 minutes of maintenance (idempotent). */
  async scheduleMaintenance(): Promise<void> {
    await this.queue.upsertJobScheduler(
      MAINTENANCE_SCHEDULER,
      { every: 10 * 60_000 },
      { name: EXPORT_JOBS.maintenance },
    );
  }

  /** A run by id outside any tenant session (the CLI, which runs as the operator). */
  runById(db: Queryable, id: string): Promise<ExportRunRecord | null> {
    return getRun(db, id);
  }
}

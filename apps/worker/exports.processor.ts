import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { Logger } from 'pino';
import { EXPORT_JOBS, ExportService, RunJobData, ScheduledJobData, isPermanentFailure } from '@app/exports';
import { APP_CONFIG, AppConfig, LOGGER, QUEUES, rateLimitedWarn } from '@app/platform';

type ExportJob = Job<RunJobData | ScheduledJobData | Record<string, never>>;

/** A scheduler's job id is `repeat:<scheduler id>:<due time in ms>`. */
function dueTimeOf(job: Job): number | null {
  const match = /^repeat:.+:(\d+)$/.exec(job.id ?? '');
  return match ? Number(match[1]) : null;
}

/** Runs export jobs: one run, a schedule's due time, or the periodic retention and re-queue. */
@Processor(QUEUES.exports)
export class ExportsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly warn: (err: unknown) => void;

  constructor(
    private readonly exports: ExportService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super();
    this.warn = rateLimitedWarn(logger, 'exports queue unavailable; retrying');
  }

  /** Backend outages surface here; one line per 10 s instead of a stack per retry. */
  @OnWorkerEvent('error')
  onError(err: unknown): void {
    this.warn(err);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker.concurrency = this.config.exports.concurrency;
    try {
      await this.exports.scheduleMaintenance();
      await this.exports.ensureSchedulers();
    } catch (error) {
      // The queue is down at start: the schedulers are still in it, or come back at next start.
      this.logger.warn({ err: error }, 'could not check export schedulers at start');
    }
  }

  async process(job: ExportJob): Promise<unknown> {
    switch (job.name) {
      case EXPORT_JOBS.maintenance:
        return this.exports.maintenance();
      case EXPORT_JOBS.run:
        return this.runOnce(job, (job.data as RunJobData).runId);
      case EXPORT_JOBS.scheduled: {
        const data = job.data as ScheduledJobData;
        const run = await this.exports.scheduledRun(data, dueTimeOf(job));
        if (!run) return null;
        // Retries keep the due time and run chosen now, whenever they happen.
        if (data.runId !== run.id) await job.updateData({ ...data, slot: run.slotAt!.toISOString(), runId: run.id });
        return this.runOnce(job, run.id);
      }
      default:
        throw new UnrecoverableError(`unknown export job "${job.name}"`);
    }
  }

  private async runOnce(job: ExportJob, runId: string): Promise<unknown> {
    try {
      const done = await this.exports.execute(runId);
      return done && { runId, rowCount: done.rowCount, bytes: done.bytes };
    } catch (error) {
      const attempt = { number: job.attemptsMade + 1, of: job.opts.attempts ?? 1 };
      const { reason } = await this.exports.recordFailure(runId, error, attempt);
      // A permanent failure is not retried.
      throw isPermanentFailure(error) ? new UnrecoverableError(reason) : error;
    }
  }

  /**
   * A job that failed without its own code seeing it (its worker died, and the job stalled
   * beyond BullMQ's limit) still marks its run FAILED.
   */
  @OnWorkerEvent('failed')
  async onFailed(job: ExportJob | undefined, error: Error): Promise<void> {
    const runId = (job?.data as Partial<RunJobData> | undefined)?.runId;
    if (!job || !runId || !/stalled/i.test(error?.message ?? '')) return;
    await this.exports
      .recordFailure(runId, error, { number: job.opts.attempts ?? 1, of: job.opts.attempts ?? 1 })
      .catch((e: unknown) => this.logger.error({ err: e, runId }, 'could not mark a stalled export run FAILED'));
  }
}

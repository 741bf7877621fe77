import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { LOGGER, PG_POOL } from '@app/platform';
import { ProcessOutcome, processRun, stalledRuns } from './reconciliation.runs';

/** How often the worker looks for runs whose job was lost or whose worker died. */
const SWEEP_EVERY_MS = 15_000;
/** A queued run gets this long for its job to start before the sweep runs it itself. */
const GRACE_SECONDS = 30;

/**
 * Processes reconciliation runs: for the billing queue's jobs, and — independent of the queue —
 * a periodic sweep that runs queued runs whose job never came (queue down when it was asked
 * for) and retries runs left RUNNING by a worker that died. The run row's lock makes a run
 * processed once whichever path gets there first.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** Runs this process is reconciling now (the queue's worker runs one at a time). */
  private active = 0;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Runs one queued run (a job of the billing queue). */
  async process(tenantId: string, runId: string): Promise<ProcessOutcome> {
    this.active++;
    try {
      return await this.run(tenantId, runId);
    } finally {
      this.active--;
    }
  }

  private run(tenantId: string, runId: string): Promise<ProcessOutcome> {
    return processRun(
      this.pool,
      { tenantId, runId },
      {
        onFinished: (run, totals, times) =>
          this.logger.info({ runId: run.id, carrier: run.carrier, totals, times }, 'reconciliation finished'),
        onFailed: (run, err) => this.logger.error({ runId: run.id, err }, 'reconciliation failed'),
      },
    );
  }

  private async sweep(): Promise<void> {
    try {
      // One heavy run at a time per process: a queued run waiting behind the job in progress is
      // not stalled, and its turn comes.
      if (this.active > 0) return;
      for (const run of await stalledRuns(this.pool, GRACE_SECONDS)) {
        if (this.active > 0) return;
        await this.process(run.tenantId, run.runId);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'reconciliation sweep failed; retrying on the next tick');
    }
  }
}

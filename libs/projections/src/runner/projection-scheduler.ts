import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, Metrics, PG_POOL, withTransaction } from '@app/platform';
import { sweepSilentCalls } from '../call-sessions/call-sessions.projection';
import { PROJECTIONS, Projection } from './projection';
import { ProjectionRunner, RunOutcome } from './projection-runner';

const LAG_EVERY_MS = 5000;
const SWEEP_EVERY_MS = 60_000;

/**
 * Runs projections for a partition (called by the doorbell's job processor), and — independent
 * of the queue — a catch-up loop that advances every partition periodically, refreshes lag
 * metrics and closes calls silent for six hours. The loop needs only PostgreSQL, so projections
 * keep up even while Redis is down or a BullMQ worker hangs after an outage.
 */
@Injectable()
export class ProjectionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private lastLag = 0;
  private lastSweep = 0;

  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(PROJECTIONS) private readonly projections: Projection[],
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.config.projections.catchUpMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Advances every projection on one partition until all are caught up or `budgetMs` is spent;
   * `more` when work is left. Each round is one shared transaction with one batch per projection
   * still behind (ProjectionRunner.applyTogether): projections at the same checkpoint read the
   * store once, and a projection with a long backlog (a new one catching up from the start, a
   * rebuild) holds a caught-up one back by at most one batch. A projection whose batch fails is
   * left for the next run and its error rethrown at the end; the others go on.
   */
  async runPartition(partition: number, budgetMs = 5000): Promise<RunOutcome['status']> {
    const deadline = Date.now() + budgetMs;
    let pending = this.projections;
    let failure: Error | undefined;
    while (pending.length) {
      const next: Projection[] = [];
      for (const o of await this.runner.applyTogether(pending, partition)) {
        if (o.readSeconds) this.metrics.projectionReadSeconds.observe(o.readSeconds);
        if (o.events !== 'busy')
          this.metrics.projectionBatchSeconds.observe({ projection: o.projection.name }, o.seconds);
        if (o.error) {
          failure ??= o.error;
          this.logger.warn({ err: o.error, projection: o.projection.name, partition }, 'projection batch failed');
          continue;
        }
        if (o.events === 'busy' || o.events === 0) continue;
        this.metrics.projectionEvents.inc({ projection: o.projection.name }, o.events);
        next.push(o.projection);
      }
      pending = next;
      if (pending.length && Date.now() >= deadline) break;
    }
    if (failure) throw failure;
    return pending.length ? 'more' : 'caught-up';
  }

  private async tick(): Promise<void> {
    try {
      for (let p = 0; p < this.config.projections.partitions && !this.stopping; p++) await this.runPartition(p, 1000);
      const now = Date.now();
      if (now - this.lastSweep >= SWEEP_EVERY_MS) {
        this.lastSweep = now;
        const closed = await withTransaction(this.pool, (client) => sweepSilentCalls(client));
        if (closed) this.logger.info({ closed }, 'closed calls silent for 6 hours');
      }
      if (now - this.lastLag >= LAG_EVERY_MS) {
        this.lastLag = now;
        for (const projection of this.projections) {
          for (const lag of await this.runner.lag(projection)) {
            const labels = { projection: projection.name, partition: String(lag.partition) };
            this.metrics.projectionLagPositions.set(labels, lag.positions);
            this.metrics.projectionLagSeconds.set(labels, lag.seconds);
          }
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'projection catch-up failed; retrying on the next tick');
    }
  }
}

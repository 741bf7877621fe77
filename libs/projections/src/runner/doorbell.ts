import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Logger } from 'pino';
import { tenantPartition } from '@app/event-store';
import { APP_CONFIG, AppConfig, LOGGER, Metrics, QUEUE_BACKEND, QUEUES, QueueBackend } from '@app/platform';

/** Job data of a projection run: one tenant partition. */
export interface ProjectionJob {
  partition: number;
}

const MAX_OUTSTANDING = 64;

/** A partition rung within the last interval: later rings wait for its end and go as one. */
interface Window {
  timer: NodeJS.Timeout;
  again: boolean;
}

/**
 * Rings the projection workers after a commit. Carries no event data (the store is the truth)
 * and never blocks or fails ingestion: with the queue down a ring is dropped and counted, and the
 * workers' catch-up loop finds the events anyway.
 *
 * Rings of one partition are coalesced: the first goes at once, any more within
 * `PROJECTION_DOORBELL_INTERVAL_MS` go as one ring at the end of that interval — always sent after
 * the commits that asked for it, so no commit is left without a ring after it. Under load a
 * commit every 2 ms would otherwise be a queue job (a Lua script on Redis, a job for a worker)
 * each; a worker that is running when a ring comes runs again anyway.
 */
@Injectable()
export class ProjectionDoorbell implements OnModuleDestroy {
  private readonly queue: Queue<ProjectionJob>;
  private outstanding = 0;
  private lastWarning = 0;
  private readonly windows = new Map<number, Window>();
  private readonly intervalMs: number;
  private idleWaiters: Array<() => void> = [];

  constructor(
    @Inject(QUEUE_BACKEND) backend: QueueBackend,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    // Its own connection that fails fast: a Redis outage must not queue rings in memory.
    const connection =
      backend.kind === 'redis'
        ? { ...backend.connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 }
        : backend.connection;
    this.queue = new Queue<ProjectionJob>(QUEUES.projections, {
      connection: connection as never,
      prefix: config.queue.prefix,
    });
    this.queue.on('error', () => undefined); // reported per ring below
    this.intervalMs = config.projections.doorbellIntervalMs;
  }

  /** Asks for a projection run of every partition holding one of these tenants. */
  ring(tenantIds: Iterable<string>): void {
    const partitions = new Set<number>();
    for (const t of tenantIds) partitions.add(tenantPartition(t, this.config.projections.partitions));
    for (const partition of partitions) this.ringPartition(partition);
  }

  /** Asks for a run of one partition; at most one runs and one waits per partition. */
  ringPartition(partition: number): void {
    const window = this.windows.get(partition);
    if (window) {
      window.again = true;
      return;
    }
    this.send(partition);
    this.open(partition);
  }

  private open(partition: number): void {
    if (this.intervalMs <= 0) return;
    const window: Window = {
      again: false,
      timer: setTimeout(() => {
        this.windows.delete(partition);
        if (window.again) this.ringPartition(partition);
      }, this.intervalMs),
    };
    this.windows.set(partition, window);
  }

  private send(partition: number): void {
    if (this.outstanding >= MAX_OUTSTANDING) return;
    this.metrics.doorbellRings.inc();
    this.outstanding++;
    this.queue
      .add(
        'run',
        { partition },
        { deduplication: { id: `p${partition}`, keepLastIfActive: true }, removeOnComplete: true, removeOnFail: 100 },
      )
      .catch((error: unknown) => {
        this.metrics.doorbellErrors.inc();
        if (Date.now() - this.lastWarning > 10000) {
          this.lastWarning = Date.now();
          this.logger.warn({ err: error }, 'projection doorbell failed; the catch-up loop will pick the events up');
        }
      })
      .finally(() => {
        if (--this.outstanding === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      });
  }

  /** Resolves once no ring is on its way to the queue. */
  private idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async onModuleDestroy(): Promise<void> {
    // Rings still waiting for their interval go now, so the last commits are not left to the
    // catch-up loop.
    const waiting = [...this.windows].filter(([, w]) => w.again).map(([partition]) => partition);
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
    for (const partition of waiting) this.send(partition);
    await this.idle();
    await this.queue.close().catch(() => undefined);
  }
}

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

/**
 * Rings the projection workers after a commit. Carries no event data (the store is the truth)
 * and never blocks or fails ingestion: with the queue down a ring is dropped and counted, and the
 * workers' catch-up loop finds the events anyway.
 */
@Injectable()
export class ProjectionDoorbell implements OnModuleDestroy {
  private readonly queue: Queue<ProjectionJob>;
  private outstanding = 0;
  private lastWarning = 0;

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
  }

  /** Asks for a projection run of every partition holding one of these tenants. */
  ring(tenantIds: Iterable<string>): void {
    const partitions = new Set<number>();
    for (const t of tenantIds) partitions.add(tenantPartition(t, this.config.projections.partitions));
    for (const partition of partitions) this.ringPartition(partition);
  }

  /** Asks for a run of one partition; at most one runs and one waits per partition. */
  ringPartition(partition: number): void {
    if (this.outstanding >= MAX_OUTSTANDING) return;
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
      .finally(() => this.outstanding--);
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}

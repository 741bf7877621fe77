import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Logger } from 'pino';
import { EventStoreMaintenance } from '@app/event-store';
import { APP_CONFIG, AppConfig, LOGGER, Metrics, QUEUES, rateLimitedWarn } from '@app/platform';

const HOURLY = 60 * 60 * 1000;

/** Keeps the event store's partitions ahead and prunes old dedup claims, hourly and at start. */
@Processor(QUEUES.maintenance)
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly maintenance: EventStoreMaintenance,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    super();
    this.warn = rateLimitedWarn(logger, 'maintenance queue unavailable; retrying');
  }

  private readonly warn: (err: unknown) => void;

  /** Backend outages surface here; one line per 10 s instead of a stack per retry. */
  @OnWorkerEvent('error')
  onError(err: unknown): void {
    this.warn(err);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler('event-store-maintenance', { every: HOURLY }, { name: 'event-store' });
  }

  async process(job: Job): Promise<{ partitionsCreated: number; dedupPruned: number }> {
    try {
      const partitionsCreated = await this.maintenance.ensurePartitions(this.config.eventStore.partitionMonthsAhead);
      const dedupPruned = await this.maintenance.pruneDedup(this.config.eventStore.dedupRetentionDays);
      this.metrics.maintenanceRuns.inc({ outcome: 'ok' });
      this.logger.info({ job: job.id, partitionsCreated, dedupPruned }, 'event-store maintenance done');
      return { partitionsCreated, dedupPruned };
    } catch (error) {
      this.metrics.maintenanceRuns.inc({ outcome: 'error' });
      throw error;
    }
  }
}

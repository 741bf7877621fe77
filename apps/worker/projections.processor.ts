import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { ProjectionJob, ProjectionScheduler } from '@app/projections';
import { Logger } from 'pino';
import { APP_CONFIG, AppConfig, LOGGER, QUEUES, rateLimitedWarn } from '@app/platform';

/** Runs the projections of one tenant partition when the doorbell rings. */
@Processor(QUEUES.projections)
export class ProjectionsProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly scheduler: ProjectionScheduler,
    @InjectQueue(QUEUES.projections) private readonly queue: Queue<ProjectionJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    this.warn = rateLimitedWarn(logger, 'projection queue unavailable; the catch-up loop keeps projections going');
  }

  private readonly warn: (err: unknown) => void;

  /** Backend outages surface here; one line per 10 s instead of a stack per retry. */
  @OnWorkerEvent('error')
  onError(err: unknown): void {
    this.warn(err);
  }

  onApplicationBootstrap(): void {
    // Partitions are the unit of parallelism; the advisory lock keeps each to one runner.
    this.worker.concurrency = this.config.projections.partitions;
  }

  async process(job: Job<ProjectionJob>): Promise<string> {
    const status = await this.scheduler.runPartition(job.data.partition);
    // Out of time with work left: ring again rather than hold the worker.
    if (status === 'more') {
      await this.queue.add('run', job.data, {
        deduplication: { id: `p${job.data.partition}`, keepLastIfActive: true },
        removeOnComplete: true,
      });
    }
    return status;
  }
}

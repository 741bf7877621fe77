import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { Job } from 'bullmq';
import { Logger } from 'pino';
import { ProcessOutcome, ReconciliationJob, ReconciliationService } from '@app/billing';
import { LOGGER, QUEUES, rateLimitedWarn } from '@app/platform';

/** Runs reconciliation runs queued by `startReconciliation` / `cli reconcile` (one at a time). */
@Processor(QUEUES.billing, { concurrency: 1 })
export class BillingProcessor extends WorkerHost {
  constructor(
    private readonly reconciliation: ReconciliationService,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    this.warn = rateLimitedWarn(logger, 'billing queue unavailable; the reconciliation sweep keeps runs going');
  }

  private readonly warn: (err: unknown) => void;

  /** Backend outages surface here; one line per 10 s instead of a stack per retry. */
  @OnWorkerEvent('error')
  onError(err: unknown): void {
    this.warn(err);
  }

  process(job: Job<ReconciliationJob>): Promise<ProcessOutcome> {
    return this.reconciliation.process(job.data.tenantId, job.data.runId);
  }
}

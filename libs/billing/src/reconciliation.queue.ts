import { Queue } from 'bullmq';

/** Job data of a reconciliation: which run (the run row holds everything else). */
export interface ReconciliationJob {
  tenantId: string;
  runId: string;
}

/** Job name on the `billing` queue. */
export const RECONCILE_JOB = 'reconcile';

/**
 * Rings the workers for a queued run. The job id is derived from the run, so a duplicate ring
 * collapses into the waiting job; the run row is the truth, and the workers' catch-up loop runs
 * queued runs whose ring was lost.
 */
export async function enqueueReconciliation(queue: Queue, job: ReconciliationJob): Promise<void> {
  await queue.add(RECONCILE_JOB, job, {
    jobId: `reconcile-${job.runId}`,
    removeOnComplete: true,
    removeOnFail: 100,
  });
}

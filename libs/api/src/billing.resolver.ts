import { InjectQueue } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { Args, Context, GraphQLISODateTime, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Queue } from 'bullmq';
import { Logger } from 'pino';
import { enqueueReconciliation, requestRun, validRunRequest } from '@app/billing';
import { LOGGER, QUEUES } from '@app/platform';
import { reconciliationItems, reconciliationRun } from '@app/reporting';
import { ApiContext, tenantDb } from './context';
import { ReconciliationItem, ReconciliationRun, ReconciliationStatus } from './models';

/** Reconciliation runs (docs/billing.md): start one, read its totals and its items. */
@Resolver()
export class BillingResolver {
  constructor(
    @InjectQueue(QUEUES.billing) private readonly queue: Queue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Query(() => ReconciliationRun, { nullable: true })
  reconciliationRun(
    @Context() ctx: ApiContext,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<ReconciliationRun | null> {
    const db = tenantDb(ctx);
    return db.run((c) => reconciliationRun(c, db.tenantId, id)) as Promise<ReconciliationRun | null>;
  }

  @Query(() => [ReconciliationItem])
  reconciliationItems(
    @Context() ctx: ApiContext,
    @Args('runId', { type: () => ID }) runId: string,
    @Args('status', { type: () => ReconciliationStatus, nullable: true }) status?: ReconciliationStatus,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<ReconciliationItem[]> {
    const db = tenantDb(ctx);
    return db.run((c) =>
      reconciliationItems(c, db.tenantId, { runId, status, first, after: after ?? null }),
    ) as Promise<ReconciliationItem[]>;
  }

  /**
   * Queues a reconciliation of the carrier over [from, to) and returns the run (QUEUED). Asking
   * again while an identical run is queued or running returns that run.
   */
  @Mutation(() => ReconciliationRun)
  async startReconciliation(
    @Context() ctx: ApiContext,
    @Args('carrier') carrier: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('matchToleranceSeconds', { type: () => Int, nullable: true }) matchToleranceSeconds?: number,
    @Args('durationToleranceSeconds', { type: () => Int, nullable: true }) durationToleranceSeconds?: number,
    @Args('costTolerance', { type: () => String, nullable: true }) costTolerance?: string,
  ): Promise<ReconciliationRun> {
    const db = tenantDb(ctx);
    const request = validRunRequest({
      tenantId: db.tenantId,
      carrier,
      from,
      to,
      matchToleranceSeconds,
      durationToleranceSeconds,
      costTolerance,
    });
    // The run as committed (QUEUED, or the identical run already queued or running).
    const run = await db.write(async (c) => {
      const { id } = await requestRun(c, request);
      return (await reconciliationRun(c, db.tenantId, id))!;
    });
    // The run row is the truth: with the queue down the workers' sweep still runs it.
    await enqueueReconciliation(this.queue, { tenantId: db.tenantId, runId: run.id }).catch((err: unknown) =>
      this.logger.warn(
        { err, runId: run.id },
        'billing queue unavailable; the worker sweep will run the reconciliation',
      ),
    );
    return run as ReconciliationRun;
  }
}

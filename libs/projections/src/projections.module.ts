import { Module } from '@nestjs/common';
import { Pool } from 'pg';
import { EventStore, EventStoreModule } from '@app/event-store';
import { APP_CONFIG, AppConfig, PG_POOL } from '@app/platform';
import { AgentTimelineProjection } from './agents/agent-timeline.projection';
import { ExtensionDirectoryProjection } from './agents/extension-directory.projection';
import { CallCostsProjection } from './call-costs/call-costs.projection';
import { CallSessionsProjection } from './call-sessions/call-sessions.projection';
import { QueueAttemptsProjection } from './queues/queue-attempts.projection';
import { Projection } from './runner/projection';
import { DoorbellModule } from './runner/doorbell.module';
import { PROJECTIONS } from './runner/projection';
import { ProjectionRunner } from './runner/projection-runner';
import { ProjectionScheduler } from './runner/projection-scheduler';

/**
 * Every projection, in the order a partition runs them (a projection runs after the one it
 * follows). The CLI's rebuild uses the same list.
 */
export function allProjections(): Projection[] {
  return [
    new CallSessionsProjection(),
    new QueueAttemptsProjection(),
    new AgentTimelineProjection(),
    new ExtensionDirectoryProjection(),
    new CallCostsProjection(),
  ];
}

/** Every projection, its runner and the catch-up loop (hosted by the worker). */
@Module({
  imports: [EventStoreModule, DoorbellModule],
  providers: [
    {
      provide: ProjectionRunner,
      inject: [PG_POOL, EventStore, APP_CONFIG],
      useFactory: (pool: Pool, store: EventStore, config: AppConfig) =>
        new ProjectionRunner(pool, store, {
          partitions: config.projections.partitions,
          batchSize: config.projections.batchSize,
        }),
    },
    {
      provide: PROJECTIONS,
      useFactory: allProjections,
    },
    ProjectionScheduler,
  ],
  exports: [ProjectionRunner, PROJECTIONS, ProjectionScheduler, DoorbellModule],
})
export class ProjectionsModule {}

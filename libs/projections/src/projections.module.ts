import { Module } from '@nestjs/common';
import { Pool } from 'pg';
import { EventStore, EventStoreModule } from '@app/event-store';
import { APP_CONFIG, AppConfig, PG_POOL } from '@app/platform';
import { AgentTimelineProjection } from './agents/agent-timeline.projection';
import { ExtensionDirectoryProjection } from './agents/extension-directory.projection';
import { CallSessionsProjection } from './call-sessions/call-sessions.projection';
import { QueueAttemptsProjection } from './queues/queue-attempts.projection';
import { DoorbellModule } from './runner/doorbell.module';
import { PROJECTIONS } from './runner/projection';
import { ProjectionRunner } from './runner/projection-runner';
import { ProjectionScheduler } from './runner/projection-scheduler';

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
      useFactory: () => [
        new CallSessionsProjection(),
        new QueueAttemptsProjection(),
        new AgentTimelineProjection(),
        new ExtensionDirectoryProjection(),
      ],
    },
    ProjectionScheduler,
  ],
  exports: [ProjectionRunner, PROJECTIONS, ProjectionScheduler, DoorbellModule],
})
export class ProjectionsModule {}

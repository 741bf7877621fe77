import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { EventStore, EventStoreModule } from '@app/event-store';
import {
  APP_CONFIG,
  AppConfig,
  FailureThrottle,
  LOGGER,
  Metrics,
  PG_POOL,
  ServerSecret,
  SourceAuthenticator,
  TenancyService,
} from '@app/platform';
import { DoorbellModule, ProjectionDoorbell } from '@app/projections/runner/doorbell.module';
import { GroupCommitter } from './group-commit';
import { IngestionService } from './ingestion.service';
import { SourceDirectory } from './source-directory';

/** The ingestion pipeline (source lookup, authentication, group commit) for webhooks and WSI. */
@Module({
  imports: [EventStoreModule, DoorbellModule],
  providers: [
    { provide: SourceDirectory, inject: [TenancyService], useFactory: (t: TenancyService) => new SourceDirectory(t) },
    {
      provide: SourceAuthenticator,
      inject: [ServerSecret, APP_CONFIG],
      useFactory: (secret: ServerSecret, config: AppConfig) =>
        new SourceAuthenticator({
          secret: secret.key('digest-nonce'),
          realm: config.ingest.digestRealm,
          digestAlgorithms: config.ingest.digestAlgorithms,
        }),
    },
    {
      provide: FailureThrottle,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FailureThrottle({ maxFailures: config.ingest.authMaxFailures }),
    },
    {
      provide: GroupCommitter,
      inject: [EventStore, APP_CONFIG, Metrics, ProjectionDoorbell],
      useFactory: (store: EventStore, config: AppConfig, metrics: Metrics, doorbell: ProjectionDoorbell) =>
        new GroupCommitter((events) => store.append(events), {
          maxDelayMs: config.ingest.groupCommitMaxDelayMs,
          maxEvents: config.ingest.groupCommitMaxEvents,
          maxInFlight: config.ingest.groupCommitMaxInFlight,
          onCommitted: ({ events, result, ms }) => {
            metrics.appendBatchSeconds.observe(ms / 1000);
            metrics.appendBatchEvents.observe(events.length);
            if (result.accepted > 0) doorbell.ring(new Set(events.map((e) => e.tenantId)));
            events.forEach((e, i) => {
              (result.outcomes[i].status === 'stored' ? metrics.eventsAppended : metrics.eventsDuplicate).inc({
                vendor: e.vendor,
              });
            });
          },
        }),
    },
    {
      provide: IngestionService,
      inject: [SourceDirectory, SourceAuthenticator, FailureThrottle, GroupCommitter, PG_POOL, Metrics, LOGGER],
      useFactory: (
        sources: SourceDirectory,
        auth: SourceAuthenticator,
        throttle: FailureThrottle,
        committer: GroupCommitter,
        pool: Pool,
        metrics: Metrics,
        logger: Logger,
      ) => new IngestionService(sources, auth, throttle, committer, pool, metrics, logger),
    },
  ],
  exports: [IngestionService, SourceDirectory],
})
export class IngestionModule implements OnApplicationShutdown {
  constructor(@Inject(IngestionService) private readonly ingestion: IngestionService) {}

  /** Lets appends in flight commit (and their requests be answered) before the pool closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.ingestion.drain();
  }
}

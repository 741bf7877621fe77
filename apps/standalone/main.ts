import 'reflect-metadata';
import { appRoot, runApp } from '@app/platform';
import { ApiModule } from '../api/api.module';
import { IngestModule } from '../ingest/ingest.module';
import { WorkerModule } from '../worker/worker.module';

// `npm start`: every app's modules in one process, with embedded PostgreSQL when DATABASE_URL
// is unset and BullMQ on PostgreSQL when REDIS_URL is unset.
void runApp('standalone', (runtime) => appRoot(runtime, [IngestModule, ApiModule, WorkerModule]), {
  allowEmbedded: true,
  onListening: (url, runtime) => {
    process.stdout.write(
      [
        '',
        `  Webhooks:  ${url}/webhooks/<sourceId>`,
        `  GraphQL:   ${url}/graphql`,
        `  Health:    ${url}/health/ready   Metrics: ${url}/metrics`,
        `  Database:  ${runtime.embedded ? `embedded PostgreSQL (${runtime.config.embedded.dataDir}/pg)` : 'DATABASE_URL'}` +
          `   Queue: ${runtime.queue.kind === 'redis' ? 'Redis (REDIS_URL)' : 'BullMQ on PostgreSQL'}`,
        '  Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
  },
});

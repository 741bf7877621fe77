import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Logger } from 'pino';
import { LOGGER } from '../logging/logger';
import { rateLimitedWarn } from './rate-limited-log';
import { QueueBackend } from './queue-connection';

/** Names of every BullMQ queue, so producers and workers agree. */
export const QUEUES = {
  maintenance: 'maintenance',
  projections: 'projections',
  billing: 'billing',
  exports: 'exports',
} as const;

/** Nest injection token for the chosen queue backend description. */
export const QUEUE_BACKEND = Symbol('QUEUE_BACKEND');

/** BullMQ on Redis or PostgreSQL, with every queue registered for producers and health checks. */
@Global()
@Module({})
export class QueueModule {
  static forRoot(backend: QueueBackend, prefix: string): DynamicModule {
    const registered = BullModule.registerQueue(...Object.values(QUEUES).map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [BullModule.forRoot({ connection: backend.connection as never, prefix }), registered],
      providers: [
        { provide: QUEUE_BACKEND, useValue: backend },
        {
          // Without a listener BullMQ prints every reconnect failure; one warning per 10 s instead.
          provide: 'QUEUE_ERROR_REPORTER',
          inject: [LOGGER, ...Object.values(QUEUES).map((name) => getQueueToken(name))],
          useFactory: (logger: Logger, ...queues: Queue[]) => {
            for (const q of queues) q.on('error', rateLimitedWarn(logger, `queue ${q.name} unavailable; retrying`));
            return true;
          },
        },
      ],
      exports: [registered, QUEUE_BACKEND],
    };
  }
}

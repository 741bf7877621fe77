import { Module } from '@nestjs/common';
import { Pool } from 'pg';
import { PG_POOL } from '@app/platform/database/pg-pool';
import { EventStore } from './event-store';
import { EventStoreMaintenance } from './event-store.maintenance';

/** The event store and its maintenance, over the shared pool. */
@Module({
  providers: [
    { provide: EventStore, inject: [PG_POOL], useFactory: (pool: Pool) => new EventStore(pool) },
    { provide: EventStoreMaintenance, inject: [PG_POOL], useFactory: (pool: Pool) => new EventStoreMaintenance(pool) },
  ],
  exports: [EventStore, EventStoreMaintenance],
})
export class EventStoreModule {}

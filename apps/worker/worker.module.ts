import { Module } from '@nestjs/common';
import { EventStoreModule } from '@app/event-store';
import { ProjectionsModule } from '@app/projections';
import { MaintenanceProcessor } from './maintenance.processor';
import { ProjectionsProcessor } from './projections.processor';

/** Background work: projections, exports, billing jobs and store maintenance. */
@Module({ imports: [EventStoreModule, ProjectionsModule], providers: [MaintenanceProcessor, ProjectionsProcessor] })
export class WorkerModule {}

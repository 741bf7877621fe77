import { Module } from '@nestjs/common';
import { EventStoreModule } from '@app/event-store';
import { ExportsModule } from '@app/exports';
import { ProjectionsModule } from '@app/projections';
import { ExportsProcessor } from './exports.processor';
import { MaintenanceProcessor } from './maintenance.processor';
import { ProjectionsProcessor } from './projections.processor';

/** Background work: projections, exports, billing jobs and store maintenance. */
@Module({
  imports: [EventStoreModule, ProjectionsModule, ExportsModule],
  providers: [MaintenanceProcessor, ProjectionsProcessor, ExportsProcessor],
})
export class WorkerModule {}

import { Module } from '@nestjs/common';
import { BillingModule } from '@app/billing';
import { EventStoreModule } from '@app/event-store';
import { ExportsModule } from '@app/exports';
import { ProjectionsModule } from '@app/projections';
import { BillingProcessor } from './billing.processor';
import { ExportsProcessor } from './exports.processor';
import { MaintenanceProcessor } from './maintenance.processor';
import { ProjectionsProcessor } from './projections.processor';

/** Background work: projections, exports, billing jobs and store maintenance. */
@Module({
  imports: [EventStoreModule, ProjectionsModule, BillingModule, ExportsModule],
  providers: [MaintenanceProcessor, ProjectionsProcessor, BillingProcessor, ExportsProcessor],
})
export class WorkerModule {}

import { Module } from '@nestjs/common';
import { ReconciliationService } from './reconciliation.service';

/** Billing work hosted by the worker: reconciliation runs and their catch-up sweep. */
@Module({ providers: [ReconciliationService], exports: [ReconciliationService] })
export class BillingModule {}

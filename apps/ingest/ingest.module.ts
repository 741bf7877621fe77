import { Module } from '@nestjs/common';
import { IngestionModule } from '@app/ingestion';
import { WebhookController } from './webhook.controller';
import { WsiSupervisor } from './wsi/wsi-supervisor';

/** Webhook and PortSIP WSI ingestion into the event store. */
@Module({ imports: [IngestionModule], controllers: [WebhookController], providers: [WsiSupervisor] })
export class IngestModule {}

import { Module } from '@nestjs/common';
import { IngestionModule } from '@app/ingestion';
import { WebhookRoute } from './webhook.route';
import { WsiSupervisor } from './wsi/wsi-supervisor';

/** Webhook and PortSIP WSI ingestion into the event store. */
@Module({ imports: [IngestionModule], providers: [WebhookRoute, WsiSupervisor] })
export class IngestModule {}

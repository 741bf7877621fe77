import { Controller, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { IngestResult, IngestionService } from '@app/ingestion';
import { Metrics } from '@app/platform';
import { WebhookExceptionFilter } from './webhook.filter';

/** `POST /webhooks/:sourceId` — one JSON event or an array; 200 only after commit. */
@Controller('webhooks')
@UseFilters(WebhookExceptionFilter)
export class WebhookController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly metrics: Metrics,
  ) {}

  @Post(':sourceId')
  @HttpCode(200)
  async receive(@Param('sourceId') sourceId: string, @Req() req: FastifyRequest): Promise<IngestResult> {
    const result = await this.ingestion.receiveWebhook({
      sourceId,
      method: req.method,
      url: req.url,
      headers: req.headers,
      remoteAddress: req.ip,
      body: Buffer.isBuffer(req.body) ? req.body : undefined,
    });
    this.metrics.webhookRequests.inc({ status: '200' });
    return result;
  }
}

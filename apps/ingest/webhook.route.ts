import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { IngestionService } from '@app/ingestion';
import { LOGGER, Metrics } from '@app/platform';
import { webhookErrorAnswer } from './webhook.answers';

type WebhookRequest = FastifyRequest<{ Params: { sourceId: string } }>;

/**
 * `POST /webhooks/:sourceId` — one JSON event or an array; 200 only after commit.
 *
 * A plain Fastify route on the app's server, not a Nest controller: at thousands of single-event
 * webhooks per second, Nest's router, execution context and exception filter cost about a quarter
 * of the server's CPU per request (docs/BENCHMARKS.md, ingest). Everything else about the request
 * (body parsing as raw bytes, body limit, trusted proxies) is the same Fastify instance's.
 */
@Injectable()
export class WebhookRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingestion: IngestionService,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const http = this.adapterHost.httpAdapter;
    if (!http) return; // an application context without HTTP (nothing to serve)
    http
      .getInstance<FastifyInstance>()
      .post('/webhooks/:sourceId', (req: WebhookRequest, reply) => this.receive(req, reply));
  }

  private async receive(req: WebhookRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const result = await this.ingestion.receiveWebhook({
        sourceId: req.params.sourceId,
        method: req.method,
        url: req.url,
        headers: req.headers,
        remoteAddress: req.ip,
        body: Buffer.isBuffer(req.body) ? req.body : undefined,
      });
      this.metrics.webhookRequests.inc({ status: '200' });
      return reply.code(200).send(result);
    } catch (error) {
      const answer = webhookErrorAnswer(error, this.logger);
      this.metrics.webhookRequests.inc({ status: String(answer.status) });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  }
}

import {
  ArgumentsHost,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Inject,
  Param,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { ExportFileGoneError, ExportNotReadyError, ExportRunNotFoundError, ExportService } from '@app/exports';
import { LOGGER, PG_POOL, TenantDb } from '@app/platform';
import { authenticateBearer } from './api-keys';

/** Maps the export domain errors of a download to HTTP answers. */
@Catch()
export class ExportDownloadFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body] = this.answer(error);
    void reply.status(status).send(body);
  }

  private answer(error: unknown): [number, Record<string, unknown>] {
    if (error instanceof ExportRunNotFoundError) return [404, { error: 'no such export run' }];
    if (error instanceof ExportNotReadyError) return [409, { error: error.message, status: error.status }];
    if (error instanceof ExportFileGoneError) return [410, { error: error.message }];
    this.logger.error({ err: error }, 'export download failed');
    return [500, { error: 'internal error' }];
  }
}

/**
 * `GET /exports/:runId/download` (CONTRACT.md): the CSV file of a SUCCEEDED export run, streamed,
 * for an API key of the run's tenant. Another tenant's run is 404, exactly like an unknown one.
 */
@Controller('exports')
@UseFilters(ExportDownloadFilter)
export class ExportDownloadController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly exports: ExportService,
  ) {}

  @Get(':runId/download')
  async download(
    @Param('runId') runId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const auth = await authenticateBearer(this.pool, request.headers.authorization);
    if ('problem' in auth)
      return reply.code(401).header('www-authenticate', 'Bearer realm="cdr-analytics"').send({ error: auth.problem });
    const file = await this.exports.download(new TenantDb(this.pool, auth.tenantId), runId);
    return reply
      .header('content-type', file.gzip ? 'application/gzip' : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .header('content-length', String(file.bytes))
      .header('etag', `"${file.sha256}"`)
      .header('cache-control', 'private, no-cache')
      .send(createReadStream(file.path));
  }
}

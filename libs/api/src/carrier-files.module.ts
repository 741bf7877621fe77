import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'pg';
import { Logger } from 'pino';
import { BillingInputError, FileTooLargeError, importCarrierFile } from '@app/billing';
import { APP_CONFIG, AppConfig, LOGGER, PG_POOL, UnknownTenantError } from '@app/platform';
import { bearerToken, tenantOfApiKey } from './api-keys';
import { TenantDb } from './tenant-db';

export const CARRIER_FILES_PATH = '/billing/carrier-files';

type Query = { carrier?: unknown; mapping?: unknown; filename?: unknown };

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * `POST /billing/carrier-files?carrier=C[&mapping=JSON][&filename=F]`: a carrier CDR CSV as the
 * request body, authenticated by API key like GraphQL, imported as `carrier:import` does and
 * answered the same way (`{"importId","imported","rejected","duplicate","errors"}`).
 *
 * The body is streamed into the parser — never held in memory — up to BILLING_UPLOAD_LIMIT
 * (413 beyond, nothing kept). The route lives in its own Fastify scope whose content-type parser
 * leaves the body unread: the app's global parser buffers bodies (webhooks keep their exact
 * bytes), which would both hold the file in memory and cap it at the webhook limit. The import
 * runs as `cdr_api` inside the key's tenant, so row-level security bounds what it can write.
 */
@Module({})
export class CarrierFilesModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register((scope, _opts, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, next) => next(null, undefined));
      scope.post(CARRIER_FILES_PATH, (request, reply) => this.upload(request, reply));
      done();
    });
  }

  private async upload(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const fail = (status: number, body: Record<string, unknown>) => {
      // The client may still be sending the file: close rather than read the rest.
      void reply.code(status).header('connection', 'close').send(body);
    };
    const token = bearerToken(request.headers.authorization);
    const found = token ? await tenantOfApiKey(this.pool, token) : null;
    if (!found) {
      void reply.header('www-authenticate', 'Bearer realm="cdr-analytics"');
      return fail(401, {
        error: token ? 'the API key is not valid or was revoked' : 'send an API key as Authorization: Bearer <key>',
      });
    }
    if (/^multipart\//i.test(request.headers['content-type'] ?? ''))
      return fail(415, {
        error: 'send the CSV file itself as the request body (curl --data-binary @file.csv), not as a multipart form',
      });
    const limit = this.config.billing.uploadLimit;
    if (Number(request.headers['content-length'] ?? 0) > limit)
      return fail(413, { error: `the file exceeds the limit of ${limit} bytes; nothing was imported` });
    const query = (request.query ?? {}) as Query;
    try {
      const result = await new TenantDb(this.pool, found.tenantId).write((client) =>
        importCarrierFile(client, {
          tenantId: found.tenantId,
          carrier: text(query.carrier) ?? '',
          mapping: text(query.mapping) ?? null,
          fileName: text(query.filename)?.slice(0, 200) ?? null,
          input: request.raw,
          maxBytes: limit,
        }),
      );
      void reply.code(200).send(result);
    } catch (error) {
      if (error instanceof BillingInputError) return fail(400, { error: error.message, field: error.field });
      if (error instanceof FileTooLargeError) return fail(413, { error: error.message });
      if (error instanceof UnknownTenantError) return fail(401, { error: 'the API key’s tenant no longer exists' });
      if (request.raw.destroyed || request.raw.readableAborted) {
        this.logger.info({ err: error }, 'carrier file upload aborted by the client; nothing was imported');
        return fail(400, { error: 'the upload was interrupted; nothing was imported' });
      }
      this.logger.error({ err: error }, 'carrier file import failed');
      return fail(500, { error: 'internal error; nothing was imported' });
    }
  }
}

import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentNode, GraphQLError, GraphQLSchema, validate } from 'graphql';
import { Logger } from 'pino';
import { Pool } from 'pg';
import { LOGGER, PG_POOL } from '@app/platform';
import { BillingInputError } from '@app/billing';
import { ReportInputError } from '@app/reporting';
import { ExportsModule } from '@app/exports';
import { authenticateBearer } from './api-keys';
import { BillingResolver } from './billing.resolver';
import { CallsResolver } from './calls.resolver';
import { ApiContext, apiContext } from './context';
import { costRule } from './cost';
import { ExportsResolver } from './exports.resolver';
import { ReportsResolver } from './reports.resolver';

/** Limits of the GraphQL endpoint (docs/graphql.md). */
// Depth 15 is what graphql-js' standard introspection query needs (BI connectors send it); the
// schema itself has no recursive types, so cost, not depth, is what bounds real queries.
export const GRAPHQL_LIMITS = Object.freeze({ maxDepth: 15, maxCost: 100_000, maxBodyBytes: 64 * 1024 });
export const GRAPHQL_PATH = '/graphql';

type TenantRequest = FastifyRequest & { cdrTenantId?: string };

const unauthenticated = (reply: FastifyReply, message: string) =>
  reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="cdr-analytics"')
    .send({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });

type AnyError = Error & { code?: string; errors?: unknown; originalError?: Error | null };

/**
 * Error answers without stack traces or SQL: input errors keep their message and name the field,
 * GraphQL's own syntax and validation errors and the depth limit pass through, anything else
 * becomes "internal error" (and is logged). Always HTTP 200 with `application/json`, as the
 * GraphQL-over-HTTP spec allows, so clients read one shape.
 */
function formatErrors(logger: Logger) {
  const format = (e: AnyError): Record<string, unknown> => {
    const original: AnyError | undefined = e.originalError ?? undefined;
    const where = e instanceof GraphQLError ? { locations: e.locations, path: e.path } : {};
    if (original instanceof ReportInputError || original instanceof BillingInputError)
      return { message: original.message, ...where, extensions: { code: 'BAD_USER_INPUT', field: original.field } };
    if (original?.code === 'MER_ERR_GQL_QUERY_DEPTH' || e.code === 'MER_ERR_GQL_QUERY_DEPTH')
      return { message: (original ?? e).message.replace(/`/g, ''), extensions: { code: 'QUERY_TOO_DEEP' } };
    if (e instanceof GraphQLError && (!original || original instanceof GraphQLError))
      return {
        message: e.message,
        ...where,
        ...(e.extensions && Object.keys(e.extensions).length && { extensions: e.extensions }),
      };
    logger.error(
      { err: original ?? e, path: e instanceof GraphQLError ? e.path : undefined },
      'GraphQL request failed',
    );
    return { message: 'internal error', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
  return (execution: { errors?: readonly GraphQLError[]; data?: unknown }) => {
    // mercurius wraps the errors of validation (and of its depth check) in one error's `errors`.
    const errors = (execution.errors ?? []).flatMap((e) => {
      const inner = (e.originalError as AnyError | null | undefined)?.errors;
      return Array.isArray(inner) ? (inner as AnyError[]).map(format) : [format(e)];
    });
    return { statusCode: 200, response: { data: execution.data ?? null, errors } };
  };
}

/** The GraphQL reporting API (CONTRACT.md), authenticated by API key, isolated by tenant. */
@Module({
  imports: [
    ExportsModule,
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [PG_POOL, LOGGER],
      useFactory: (pool: Pool, logger: Logger) => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: false,
        jit: 1,
        queryDepth: GRAPHQL_LIMITS.maxDepth,
        // The cost depends on the variables (`first: $n`), which validation rules do not see once
        // mercurius caches validated documents: check it before each execution instead.
        hooks: {
          preExecution: [
            (schema: GraphQLSchema, document: DocumentNode, _ctx: unknown, variables?: Record<string, unknown>) => {
              const [tooCostly] = validate(schema, document, [costRule(GRAPHQL_LIMITS.maxCost, variables ?? {})]);
              if (tooCostly) throw tooCostly;
            },
          ],
        },
        context: (request: TenantRequest): ApiContext => apiContext(pool, request.cdrTenantId ?? null),
        errorFormatter: formatErrors(logger) as never,
      }),
    }),
  ],
  providers: [CallsResolver, ReportsResolver, BillingResolver, ExportsResolver],
})
export class GraphqlApiModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** Every request to the endpoint needs `Authorization: Bearer <api key>` of an unrevoked key. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', async (request: TenantRequest, reply) => {
      if (request.url !== GRAPHQL_PATH && !request.url.startsWith(`${GRAPHQL_PATH}?`)) return;
      if (Number(request.headers['content-length'] ?? 0) > GRAPHQL_LIMITS.maxBodyBytes) {
        return reply.code(413).send({
          errors: [
            {
              message: `request body exceeds ${GRAPHQL_LIMITS.maxBodyBytes} bytes`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
      }
      const auth = await authenticateBearer(this.pool, request.headers.authorization);
      if ('problem' in auth) return unauthenticated(reply, auth.problem);
      request.cdrTenantId = auth.tenantId;
    });
  }
}

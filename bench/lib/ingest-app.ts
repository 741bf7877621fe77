import { randomBytes } from 'node:crypto';
import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import {
  Metrics,
  QUEUES,
  Runtime,
  ServerSecret,
  TenancyService,
  appRoot,
  configureQueueBackend,
  createHttpApp,
  createLogger,
  loadConfig,
  redisConnection,
} from '@app/platform';

/** The Redis of the bench (the product's default); queues get a prefix of their own. */
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const BENCH_QUEUE_PREFIX = 'cdr_bench';

/**
 * A runtime on the bench database and Redis, built the way test/support/app.ts builds one:
 * product defaults (pool size, group commit, partitions) unless `env` overrides them.
 */
export function benchRuntime(databaseUrl: string, env: Record<string, string> = {}): Runtime {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: BENCH_QUEUE_PREFIX,
    LOG_LEVEL: 'warn',
    MIGRATIONS_RUN: 'false',
    WSI_ENABLED: 'false',
    ...env,
  });
  return {
    config,
    databaseUrl,
    logger: createLogger(config.logLevel, { app: 'bench' }),
    metrics: new Metrics(),
    secret: new ServerSecret(randomBytes(48)),
    queue: configureQueueBackend(config.queue.redisUrl, databaseUrl, false),
  };
}

/** The given feature modules as the real HTTP app (appRoot + createHttpApp) on a loopback port. */
export async function startApp(
  databaseUrl: string,
  features: Array<Type | DynamicModule>,
  env: Record<string, string> = {},
): Promise<{ app: NestFastifyApplication; url: string; port: number }> {
  const runtime = benchRuntime(databaseUrl, env);
  const app = await createHttpApp(appRoot(runtime, features), runtime);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, port };
}

/** A tenant with one PortSIP source per auth method given, created through the product's service. */
export async function portsipTenant(
  tenancy: TenancyService,
  name: string,
  auths: ReadonlyArray<'none' | 'token'>,
  token?: string,
): Promise<{ tenantId: string; sources: Array<{ id: string; auth: 'none' | 'token' }> }> {
  const tenant = await tenancy.createTenant({ name, timezone: 'UTC' });
  const sources: Array<{ id: string; auth: 'none' | 'token' }> = [];
  for (const auth of auths) {
    const s = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth,
      token: auth === 'token' ? token : undefined,
      queues: ['8000', '8001', '8002', '8003'],
    });
    sources.push({ id: s.id, auth });
  }
  return { tenantId: tenant.id, sources };
}

/** Removes what the bench's apps left in Redis under the bench prefix (doorbell jobs). */
export async function clearBenchQueues(): Promise<void> {
  for (const name of Object.values(QUEUES)) {
    const queue = new Queue(name, { connection: redisConnection(REDIS_URL), prefix: BENCH_QUEUE_PREFIX });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}

import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  Metrics,
  Runtime,
  ServerSecret,
  appRoot,
  configureQueueBackend,
  createHttpApp,
  createLogger,
  loadConfig,
} from '@app/platform';
import { REDIS_URL, TEST_DATABASE_URL, TEST_EXPORT_DIR, TEST_QUEUE_PREFIX } from './env';

/** A runtime on the test database and Redis; `env` overrides configuration variables. */
export function testRuntime(env: Record<string, string> = {}): Runtime {
  const merged = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    LOG_LEVEL: 'silent',
    MIGRATIONS_RUN: 'false',
    WSI_ENABLED: 'false',
    QUEUE_PREFIX: TEST_QUEUE_PREFIX,
    // Every app of a run shares one: any worker may write a file that any API serves.
    EXPORT_DIR: TEST_EXPORT_DIR,
    ...env,
  };
  const config = loadConfig(merged);
  return {
    config,
    databaseUrl: config.database.url!,
    logger: createLogger(config.logLevel),
    metrics: new Metrics(),
    secret: new ServerSecret(Buffer.from('test-secret-test-secret-test-secret-0123456789')),
    queue: configureQueueBackend(config.queue.redisUrl, config.database.url!, false),
  };
}

/** Starts the given feature modules as a real HTTP app on a random loopback port. */
export async function startTestApp(
  features: Array<Type | DynamicModule>,
  env: Record<string, string> = {},
): Promise<{ app: NestFastifyApplication; url: string; runtime: Runtime }> {
  const runtime = testRuntime(env);
  const app = await createHttpApp(appRoot(runtime, features), runtime);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, runtime };
}

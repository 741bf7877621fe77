import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/config';
import { createLogger, PinoNestLogger } from '../logging/logger';
import { Runtime, prepareRuntime } from './runtime';

/**
 * Webhook bodies are kept as the exact bytes received, whatever the content type (PBXs send
 * JSON as text/plain, form types or none); other routes get JSON parsed as usual.
 */
function acceptRawBodies(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    const type = req.headers['content-type'] ?? '';
    if (req.url.startsWith('/webhooks/') || !/^application\/(.+\+)?json\b/i.test(type)) return done(null, body);
    try {
      done(null, body.length ? JSON.parse(body.toString('utf8')) : undefined);
    } catch {
      done(Object.assign(new Error('request body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
}

/** Builds the Fastify-based Nest application for a root module (not yet listening). */
export async function createHttpApp(root: Type | DynamicModule, runtime: Runtime): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: runtime.config.http.webhookBodyLimit,
    // Only behind a trusted proxy may X-Forwarded-For name the client (auth throttling keys on it).
    trustProxy: runtime.config.http.trustProxy,
  });
  acceptRawBodies(adapter);
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new PinoNestLogger(runtime.logger),
    bufferLogs: false,
    // Body parsing is ours (acceptRawBodies): Nest would otherwise parse JSON before webhooks see the bytes.
    bodyParser: false,
  });
  return app;
}

/**
 * Runs an app process: config, runtime, Nest app, listen, and a clean stop on SIGINT/SIGTERM
 * (the embedded database last). A second signal forces the exit.
 */
export async function runApp(
  name: string,
  makeRoot: (runtime: Runtime) => Type | DynamicModule,
  opts: { allowEmbedded: boolean; onListening?: (url: string, runtime: Runtime) => void },
): Promise<void> {
  let logger: Logger | undefined;
  try {
    const config = loadConfig();
    logger = createLogger(config.logLevel, { app: name });
    const runtime = await prepareRuntime(config, logger, opts);
    let app: INestApplication | undefined;
    const stop = onceStopping(logger, config.shutdownTimeoutMs, async () => {
      await app?.close();
      await runtime.embedded?.stop();
    });
    try {
      app = await createHttpApp(makeRoot(runtime), runtime);
      await app.listen(config.http.port, config.http.host);
    } catch (error) {
      await stop('startup-failure');
      throw error;
    }
    const address = (app.getHttpServer() as import('node:net').Server).address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    const url = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${port}`;
    logger.info({ url }, `${name} listening`);
    opts.onListening?.(url, runtime);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else if (logger) {
      logger.fatal({ err: error }, `${name} failed to start`);
    } else {
      process.stderr.write(`${String(error)}\n`);
    }
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 1000).unref();
  }
}

function onceStopping(
  logger: Logger,
  timeoutMs: number,
  close: () => Promise<void>,
): (reason: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    logger.info({ reason }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'clean stop timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stopping = close().then(
      () => logger.info('stopped'),
      (err: unknown) => logger.error({ err }, 'error while stopping'),
    );
    return stopping;
  };
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Ctrl-C under `npm start` arrives twice (from the terminal and forwarded by npm): only a
      // signal repeated after a pause means "stop now".
      if (stopping) {
        if (Date.now() - firstSignalAt < 2000) return;
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      firstSignalAt = Date.now();
      void stop(signal).then(() => process.exit(0));
    });
  }
  return stop;
}

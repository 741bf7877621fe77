import { join } from 'node:path';
import { Logger } from 'pino';
import { AppConfig, requireDatabaseUrl } from '../config/config';
import { runMigrations } from '../database/migrate';
import { Metrics } from '../metrics/metrics';
import { PlatformRuntime } from '../platform.module';
import { QueueBackend, configureQueueBackend } from '../queue/queue-connection';
import { ServerSecret } from '../secrets/secret-box';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres';

/** Everything a composition root needs before creating its Nest application. */
export interface Runtime extends PlatformRuntime {
  queue: QueueBackend;
  embedded?: EmbeddedDatabase;
}

/**
 * Prepares the database (embedded when allowed and DATABASE_URL is unset), runs migrations when
 * configured, and chooses the queue backend (PostgreSQL when REDIS_URL is unset).
 */
export async function prepareRuntime(
  config: AppConfig,
  logger: Logger,
  opts: { allowEmbedded: boolean },
): Promise<Runtime> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl: string;
  if (config.database.url || !opts.allowEmbedded) {
    databaseUrl = requireDatabaseUrl(config);
  } else {
    embedded = await startEmbeddedPostgres(config.embedded.dataDir, config.embedded.postgresPort, logger);
    databaseUrl = embedded.url;
  }
  try {
    if (config.database.migrationsRun) {
      const { applied } = await runMigrations(databaseUrl, { appRolePassword: config.database.appRolePassword });
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    const queue = configureQueueBackend(config.queue.redisUrl, databaseUrl, config.database.migrationsRun);
    logger.info({ queue: queue.kind, embeddedDatabase: Boolean(embedded) }, 'runtime ready');
    const secret = ServerSecret.load(config.secretKey, join(config.embedded.dataDir, 'secret.key'));
    return { config, logger, databaseUrl, metrics: new Metrics(), secret, queue, embedded };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}

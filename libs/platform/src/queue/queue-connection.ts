import { ConnectionOptions, createPostgresBackend, setDefaultBackendFactory } from 'bullmq';

/** What BullMQ connects to: Redis when REDIS_URL is set, otherwise PostgreSQL (schema `bullmq`). */
export type QueueBackend = { kind: 'redis'; connection: ConnectionOptions } | { kind: 'postgres'; connection: unknown };

/** Chooses the BullMQ backend for this process. Must run before any Queue or Worker is created. */
export function configureQueueBackend(redisUrl: string | undefined, databaseUrl: string, migrate = true): QueueBackend {
  if (redisUrl) {
    setDefaultBackendFactory();
    return { kind: 'redis', connection: redisConnection(redisUrl) };
  }
  setDefaultBackendFactory(createPostgresBackend as never);
  return {
    kind: 'postgres', // BullMQ migrates its own schema under its own advisory lock, like ours.
    connection: {
      connectionString: databaseUrl,
      schema: 'bullmq',
      max: 4,
      migrate,
    },
  };
}

/** ioredis options from a redis:// or rediss:// URL, as BullMQ wants them for workers. */
export function redisConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db ? Number(db) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers need blocking commands that never give up; queues fail fast instead.
    maxRetriesPerRequest: null,
  };
}

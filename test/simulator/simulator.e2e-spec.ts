import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { RunDeps, RunOptions, WorldFile, parseRunOptions, runSimulator } from '@app/simulator/runners';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';

type Counts = Record<string, Record<string, number>>;

interface Truth {
  tenants: Array<{ id: string; sources: Record<string, string> }>;
  events: Counts;
  eventsByTenant: Counts[];
  calls: Record<string, { vendor: string }>;
  queues: Array<{ offered: number }>;
  totals: { events: number; deliveries: number; faults: { duplicates: number } };
}

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let deps: RunDeps;
let dir: string;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule]));
  const tenancy = app.get(TenancyService);
  // The runner creates its (fresh) tenants through the app's own TenancyService.
  deps = { tenancy: async () => ({ tenancy, close: async () => undefined }) };
  pool = testPool(TEST_DATABASE_URL);
  dir = mkdtempSync(join(tmpdir(), 'simulator-e2e-'));
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  rmSync(dir, { recursive: true, force: true });
});

function options(argv: string[]): RunOptions {
  const o = parseRunOptions([...argv, '--quiet'], {});
  if (o === 'help') throw new Error('unexpected --help');
  return { ...o, databaseUrl: TEST_DATABASE_URL };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Stored events of a tenant's sources, per vendor and type; and how many are unrecognized. */
async function storedCounts(sourceIds: string[]): Promise<{ counts: Counts; unrecognized: number; total: number }> {
  const { rows } = await pool.query<{ vendor: string; type: string; n: number; unrecognized: number }>(
    `SELECT vendor, type, count(*)::int AS n, count(*) FILTER (WHERE NOT recognized)::int AS unrecognized
     FROM raw_events WHERE source_id = ANY($1::uuid[]) GROUP BY vendor, type`,
    [sourceIds],
  );
  const counts: Counts = { nexbro: {}, portsip: {}, voipcloud: {} };
  let unrecognized = 0;
  let total = 0;
  for (const r of rows) {
    counts[r.vendor][r.type] = r.n;
    unrecognized += r.unrecognized;
    total += r.n;
  }
  return { counts, unrecognized, total };
}

const HOUR = ['--start', '2026-03-02T10:00', '--hours', '1'];

describe('--direct', () => {
  it('loads a simulated hour into raw_events with dedup claims: counts per vendor and type equal the truth', async () => {
    const worldFile = join(dir, 'direct-world.json');
    const truthFile = join(dir, 'direct-truth.json');
    const faults = ['--dup-rate', '0.05', '--reorder-rate', '0.1', '--late-rate', '0.01'];
    const summary = await runSimulator(
      options(['--direct', '--world', worldFile, '--truth', truthFile, ...HOUR, ...faults, '--chunk-rows', '700']),
      deps,
    );
    const truth = readJson<Truth>(truthFile);
    const world = readJson<WorldFile>(worldFile);
    const sources = Object.values(world.tenants[0].sources).map((s) => s.id);
    expect(truth.tenants[0].id).toBe(world.tenants[0].id);

    const stored = await storedCounts(sources);
    expect(truth.totals.events).toBeGreaterThan(2500);
    expect(stored.counts).toEqual(truth.eventsByTenant[0]);
    expect(stored.unrecognized).toBe(0);
    expect(summary).toMatchObject({
      events: truth.totals.events,
      direct: {
        stored: truth.totals.events,
        duplicates: truth.totals.faults.duplicates,
        unrecognized: 0,
        conflictChunks: 0,
      },
    });
    const claims = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM event_dedup WHERE source_id = ANY($1::uuid[])',
      [sources],
    );
    expect(claims.rows[0].n).toBe(truth.totals.events);

    // A later webhook retry of a loaded event is answered as a duplicate (the claim is there).
    const { rows } = await pool.query<{ raw: Buffer }>(
      `SELECT raw FROM raw_events WHERE source_id = $1 AND type = 'queue_call' LIMIT 1`,
      [world.tenants[0].sources.voipcloud.id],
    );
    const retry = await fetch(`${url}/webhooks/${world.tenants[0].sources.voipcloud.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pbx-token': world.tenants[0].sources.voipcloud.token! },
      body: rows[0].raw,
    });
    expect({ status: retry.status, body: await retry.json() }).toEqual({
      status: 200,
      body: { accepted: 0, duplicates: 1 },
    });

    // Loading the same run again into the same sources stores nothing new.
    const again = await runSimulator(options(['--direct', '--world', worldFile, ...HOUR, ...faults]), deps);
    expect(again).toMatchObject({ direct: { stored: 0, duplicates: truth.totals.deliveries } });
    expect((await storedCounts(sources)).total).toBe(truth.totals.events);
  });
});

describe('HTTP mode', () => {
  it('posts a simulated hour to the ingest app with each source’s auth (Digest for PortSIP); duplicates collapse', async () => {
    const worldFile = join(dir, 'http-world.json');
    const truthFile = join(dir, 'http-truth.json');
    const setup = await runSimulator(options(['--setup', '--world', worldFile]), deps);
    expect(setup).toMatchObject({ mode: 'setup' });
    const world = readJson<WorldFile>(worldFile);
    expect(world.tenants[0].sources.portsip.auth).toBe('digest');

    const summary = await runSimulator(
      options([
        '--target',
        url,
        '--world',
        worldFile,
        '--truth',
        truthFile,
        ...HOUR,
        '--seed',
        '11',
        '--rate',
        '5000',
        '--concurrency',
        '32',
        '--dup-rate',
        '0.03',
        '--reorder-rate',
        '0.05',
      ]),
      deps,
    );
    const truth = readJson<Truth>(truthFile);
    const http = summary.http as Record<string, unknown>;
    expect(http).toMatchObject({
      sent: truth.totals.deliveries,
      ok: truth.totals.deliveries,
      non200: 0,
      accepted: truth.totals.events,
      duplicates: truth.totals.faults.duplicates,
      complete: true,
    });
    expect(http.challenges).toBeGreaterThanOrEqual(1);
    expect(truth.totals.faults.duplicates).toBeGreaterThan(0);

    const stored = await storedCounts(Object.values(world.tenants[0].sources).map((s) => s.id));
    expect(stored.unrecognized).toBe(0);
    expect(stored.counts).toEqual(truth.events);
    expect(stored.total).toBe(truth.totals.events);
    expect(Object.keys(truth.calls).length).toBeGreaterThan(300);
    expect(truth.queues.reduce((n, q) => n + q.offered, 0)).toBeGreaterThan(50);
  });
});

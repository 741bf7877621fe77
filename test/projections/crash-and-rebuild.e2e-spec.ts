import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { EventStore, tenantPartition } from '@app/event-store';
import { loadConfig } from '@app/platform';
import { runCommand } from '../../apps/cli/cli';
import { CallSessionsProjection, ProjectionRunner } from '@app/projections';
import { REDIS_URL, TEST_QUEUE_PREFIX, testPool, waitFor } from '../support/env';
import { callSnapshot, catchUpFully, privateDatabase, waitForProjections } from '../support/projections';
import { portsipCalls, toEvents } from './scenario';

const ROOT = resolve(__dirname, '../..');

function startWorker(databaseUrl: string): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TS_NODE_TRANSPILE_ONLY: '1',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: `${TEST_QUEUE_PREFIX}crash`,
      PORT: '0',
      MIGRATIONS_RUN: 'false',
      LOG_LEVEL: 'warn',
      PROJECTION_BATCH_SIZE: '300',
      PROJECTION_CATCHUP_MS: '50',
      PROJECTION_PARTITIONS: '2',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((ok) => (child.exitCode !== null || child.signalCode ? ok() : child.once('exit', () => ok())));

describe('projection crash safety', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    db = await privateDatabase('crash');
    pool = testPool(db.url, { max: 6 });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await pool?.end();
    await db?.drop();
  });

  it('a worker killed in the middle of a batch leaves read models equal to a clean rebuild after restart', async () => {
    const store = new EventStore(pool);
    const tenants: string[] = [];
    for (let t = 0; t < 3; t++) {
      const { rows: tr } = await pool.query<{ id: string }>(
        `INSERT INTO tenants (name, timezone) VALUES ($1, 'UTC') RETURNING id`,
        [`t${t}`],
      );
      const { rows: sr } = await pool.query<{ id: string }>(
        `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials, queue_numbers)
         VALUES ($1, 'pbx', 'portsip', 'none', '{"method":"none"}', '{8000}') RETURNING id`,
        [tr[0].id],
      );
      tenants.push(tr[0].id);
      const events = toEvents(portsipCalls(1500, t + 1), { tenantId: tr[0].id, sourceId: sr[0].id });
      for (let i = 0; i < events.length; i += 500) await store.append(events.slice(i, i + 500));
    }

    worker = startWorker(db.url);
    // Kill it once it has committed some batches but is far from done: mid-batch by construction.
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM call_sessions');
        return rows[0].n >= 300;
      },
      60000,
      'first batches',
    );
    worker.kill('SIGKILL');
    await exited(worker);
    const { rows: partial } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM call_sessions');
    expect(partial[0].n).toBeLessThan(4500);

    worker = startWorker(db.url);
    const runner = new ProjectionRunner(pool, store, { partitions: 2, batchSize: 300 });
    const projection = new CallSessionsProjection();
    await waitForProjections(pool, null, 90000);
    worker.kill('SIGTERM');
    await exited(worker);
    worker = undefined;

    const incremental = await callSnapshot(pool);
    expect(incremental).toHaveLength(4500);

    await runner.reset(projection);
    expect(await callSnapshot(pool)).toHaveLength(0);
    await waitFor(
      async () => (await runner.catchUp(projection)) >= 0 && runner.isCaughtUp(projection),
      60000,
      'rebuild',
    );
    expect(await callSnapshot(pool)).toEqual(incremental);
  }, 180000);

  it('two runners at once share the partitions without applying any event twice', async () => {
    const store = new EventStore(pool);
    const { rows: tr } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name, timezone) VALUES ('pair', 'UTC') RETURNING id`,
    );
    const { rows: sr } = await pool.query<{ id: string }>(
      `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials) VALUES ($1, 'pbx', 'portsip', 'none', '{"method":"none"}') RETURNING id`,
      [tr[0].id],
    );
    const events = toEvents(portsipCalls(800, 9), { tenantId: tr[0].id, sourceId: sr[0].id });
    await store.append(events);
    const projection = new CallSessionsProjection();
    const applied: string[] = [];
    const counting = {
      name: projection.name,
      tables: projection.tables,
      apply: async (...args: Parameters<CallSessionsProjection['apply']>) => {
        applied.push(...args[1].map((e) => e.position));
        await projection.apply(...args);
      },
    };
    const a = new ProjectionRunner(pool, store, { partitions: 2, batchSize: 50 });
    const b = new ProjectionRunner(pool, store, { partitions: 2, batchSize: 50 });
    await waitFor(
      async () => {
        await Promise.all([a.catchUp(counting), b.catchUp(counting)]);
        return a.isCaughtUp(counting);
      },
      60000,
      'two runners',
    );
    const mine = new Set(
      (
        await pool.query<{ p: string }>('SELECT position::text AS p FROM raw_events WHERE tenant_id = $1', [tr[0].id])
      ).rows.map((r) => r.p),
    );
    const appliedMine = applied.filter((p) => mine.has(p));
    expect(appliedMine).toHaveLength(mine.size);
    expect(new Set(appliedMine).size).toBe(mine.size);
  }, 120000);

  it('catchUp with four lanes runs partitions at once, applies every event once and equals a sequential rebuild', async () => {
    const store = new EventStore(pool);
    // Tenant ids ending in 00..03: one tenant in each of four partitions (tenantPartition).
    const tenants = ['00', '01', '02', '03'].map((b) => `7e5a0000-0000-4000-8000-0000000000${b}`);
    for (const [t, tenantId] of tenants.entries()) {
      await pool.query(`INSERT INTO tenants (id, name, timezone) VALUES ($1, $2, 'UTC')`, [tenantId, `lane-${t}`]);
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials) VALUES ($1, 'pbx', 'portsip', 'none', '{"method":"none"}') RETURNING id`,
        [tenantId],
      );
      await store.append(toEvents(portsipCalls(300, 20 + t), { tenantId, sourceId: rows[0].id }));
    }
    const projection = new CallSessionsProjection();
    const applied: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const counting = {
      name: projection.name,
      tables: projection.tables,
      apply: async (...args: Parameters<CallSessionsProjection['apply']>) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          applied.push(...args[1].map((e) => e.position));
          await projection.apply(...args);
        } finally {
          inFlight--;
        }
      },
    };
    const sequential = new ProjectionRunner(pool, store, { partitions: 4, batchSize: 100 });
    const lanes = new ProjectionRunner(pool, store, { partitions: 4, batchSize: 100, catchUpConcurrency: 4 });

    await sequential.reset(counting);
    await catchUpFully(sequential, counting, 60000);
    const expected = await callSnapshot(pool);
    expect(expected.length).toBeGreaterThanOrEqual(1200);
    expect(maxInFlight).toBe(1);

    await lanes.reset(counting);
    applied.length = 0;
    maxInFlight = 0;
    await catchUpFully(lanes, counting, 60000);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(await callSnapshot(pool)).toEqual(expected);
    const { rows: stored } = await pool.query<{ p: string }>('SELECT position::text AS p FROM raw_events');
    expect(applied).toHaveLength(stored.length);
    expect(new Set(applied)).toEqual(new Set(stored.map((r) => r.p)));
  }, 120000);

  it('catchUp of some partitions advances only those; the shares together equal a rebuild of all', async () => {
    const store = new EventStore(pool);
    const projection = new CallSessionsProjection();
    const runner = new ProjectionRunner(pool, store, { partitions: 4, batchSize: 100, catchUpConcurrency: 2 });
    await runner.reset(projection);
    await catchUpFully(runner, projection, 60000);
    const expected = await callSnapshot(pool);

    await runner.reset(projection);
    const first = await runner.catchUp(projection, undefined, [1, 3]);
    const { rows: moved } = await pool.query<{ name: string }>(
      `SELECT name FROM projection_checkpoints WHERE name LIKE 'call-sessions:%/4' ORDER BY name`,
    );
    expect(moved.map((r) => r.name)).toEqual(['call-sessions:1/4', 'call-sessions:3/4']);
    const { rows: tenants } = await pool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM call_sessions');
    expect(tenants.length).toBeGreaterThan(0);
    for (const t of tenants) expect([1, 3]).toContain(tenantPartition(t.tenant_id, 4));
    const second = await runner.catchUp(projection, undefined, [0, 2, 0]);
    const { rows: stored } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_events');
    expect(first + second).toBe(stored[0].n);
    expect(await callSnapshot(pool)).toEqual(expected);

    for (const bad of [[4], [-1], [1.5]])
      await expect(runner.catchUp(projection, undefined, bad)).rejects.toThrow(
        /partitions must be whole numbers in \[0, 4\)/,
      );
  }, 120000);

  it('projections:rebuild in two processes, each with its share of the partitions, gives the rows of a rebuild in one', async () => {
    const config = (processes: number) =>
      loadConfig({
        DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        PROJECTION_PARTITIONS: '4',
        PROJECTION_REBUILD_BATCH_SIZE: '200',
        PROJECTION_REBUILD_PROCESSES: String(processes),
      });
    const projection = new CallSessionsProjection();
    const runner = new ProjectionRunner(pool, new EventStore(pool), { partitions: 4, batchSize: 200 });
    const { rows: stored } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_events');
    const snapshots: unknown[][] = [];
    for (const processes of [1, 2]) {
      const out = (await runCommand(['projections:rebuild', '--projection', 'call-sessions'], config(processes))) as {
        rebuilt: string[];
        events: Record<string, number>;
        processes: number;
      };
      expect(out.rebuilt).toEqual(['call-sessions', 'call-costs']);
      expect(out.processes).toBe(processes);
      // All of them, unless another test's open transaction held the newest back (picked up here).
      expect(out.events['call-sessions']).toBeGreaterThan(0);
      expect(out.events['call-sessions']).toBeLessThanOrEqual(stored[0].n);
      await catchUpFully(runner, projection, 60000);
      snapshots.push(await callSnapshot(pool));
    }
    expect(snapshots[0].length).toBeGreaterThanOrEqual(1200);
    expect(snapshots[1]).toEqual(snapshots[0]);
  }, 180000);

  it("catchUp with lanes rejects with a failing partition's error and keeps what the other partitions committed", async () => {
    const store = new EventStore(pool);
    const projection = new CallSessionsProjection();
    const broken = '7e5a0000-0000-4000-8000-000000000002';
    const failing = {
      name: projection.name,
      tables: projection.tables,
      apply: async (...args: Parameters<CallSessionsProjection['apply']>) => {
        if (args[1].some((e) => e.tenantId === broken)) throw new Error('partition 2 cannot be applied');
        await projection.apply(...args);
      },
    };
    const runner = new ProjectionRunner(pool, store, { partitions: 4, batchSize: 100, catchUpConcurrency: 4 });
    await runner.reset(failing);
    await expect(runner.catchUp(failing)).rejects.toThrow('partition 2 cannot be applied');
    const { rows } = await pool.query<{ broken: number; others: number }>(
      `SELECT count(*) FILTER (WHERE tenant_id = $1)::int AS broken, count(*) FILTER (WHERE tenant_id <> $1)::int AS others
       FROM call_sessions`,
      [broken],
    );
    expect(rows[0].broken).toBe(0);
    expect(rows[0].others).toBeGreaterThan(0);
    const { rows: moved } = await pool.query<{ name: string }>(
      `SELECT name FROM projection_checkpoints WHERE name LIKE 'call-sessions:%/4' ORDER BY name`,
    );
    expect(moved.map((r) => r.name)).toEqual(expect.arrayContaining(['call-sessions:0/4', 'call-sessions:1/4']));
  }, 60000);

  it('refuses a catchUpConcurrency that is not a whole number of at least 1', () => {
    const store = new EventStore(pool);
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(
        () => new ProjectionRunner(pool, store, { partitions: 4, batchSize: 100, catchUpConcurrency: bad }),
      ).toThrow(/catchUpConcurrency must be a whole number of at least 1/);
  });
});

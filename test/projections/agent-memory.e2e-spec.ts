import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { AgentTimelineProjection, ProjectionRunner } from '@app/projections';
import type { Projection } from '@app/projections';
import { testPool } from '../support/env';
import { catchUpFully, privateDatabase, rollingBackEveryThird, takeTurns } from '../support/projections';
import { simulateDirect } from '../support/simulator';

/**
 * AgentTimelineProjection remembers, per partition, each agent's recent changes and segments, so
 * a runner's next batch reads from PostgreSQL only what the memory cannot vouch for, and it does
 * not store a change that repeats one already stored. Whatever happens to the chain of batches —
 * small batches, late events older than the memory's span, forgetting, another runner taking
 * turns, rolled-back batches — the rows must equal those of a rebuild that reads everything.
 */
describe('agent-timeline memory between batches', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;
  let store: EventStore;
  let expected: Snapshot;

  interface Snapshot {
    segments: unknown[];
    stats: unknown[];
    latest: unknown[];
    changes: unknown[];
  }

  /** The agent read models in a canonical order; stored changes as a set (repeats are not kept). */
  const snapshot = async (): Promise<Snapshot> => {
    const q = async (sql: string) => (await pool.query(sql)).rows;
    return {
      segments: await q(
        `SELECT tenant_id, agent, layer, queue, started_at, ordinal, state, call_id, ended_at FROM agent_segments
         ORDER BY 1, 2, 3, 4, 5, 6`,
      ),
      stats: await q(`SELECT * FROM agent_interval_stats ORDER BY tenant_id, agent, bucket_start`),
      latest: await q(`SELECT * FROM agent_latest_changes ORDER BY tenant_id, agent`),
      changes: await q(
        `SELECT DISTINCT tenant_id, agent, layer, queue, queue_id, state, call_id, at FROM agent_changes
         ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`,
      ),
    };
  };

  /** The projection without the runner's batch: every read goes to the database. */
  const readingEverything = (): Projection => {
    const inner = new AgentTimelineProjection();
    return { name: inner.name, tables: inner.tables, apply: (client, events, now) => inner.apply(client, events, now) };
  };

  const runner = (batchSize: number, catchUpConcurrency = 1) =>
    new ProjectionRunner(pool, store, { partitions: 2, batchSize, catchUpConcurrency });

  beforeAll(async () => {
    db = await privateDatabase('agentmemory');
    pool = testPool(db.url, { max: 6 });
    store = new EventStore(pool);
    // Four hours with duplicates, reordering and late deliveries up to 150 minutes late: later
    // than the two hours an agent's memory spans, so some reads must go to the database.
    await simulateDirect(db.url, pool, [
      '--start',
      '2026-03-02T07:00',
      '--hours',
      '4',
      '--tenants',
      '2',
      '--calls-per-day',
      '5000',
      '--dup-rate',
      '0.05',
      '--reorder-rate',
      '0.1',
      '--late-rate',
      '0.03',
      '--late-minutes',
      '150',
      '--quiet',
    ]);
    const reference = runner(500);
    const projection = readingEverything();
    await reference.reset(projection);
    await catchUpFully(reference, projection, 120000);
    expected = await snapshot();
    expect(expected.segments.length).toBeGreaterThan(1000);
    expect(expected.stats.length).toBeGreaterThan(200);
  }, 240000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a rebuild in small batches, two partitions at once, reads mostly from memory and equals the reading rebuild', async () => {
    const r = runner(97, 2);
    const projection = new AgentTimelineProjection();
    await r.reset(projection);
    await catchUpFully(r, projection, 120000);
    expect(await snapshot()).toEqual(expected);
    expect(projection.stats.fromMemory).toBeGreaterThan(10 * projection.stats.fromDatabase);
    // Late events older than the memory's span were read from the database.
    expect(projection.stats.fromDatabase).toBeGreaterThan(0);
    // Repeated changes were not stored: fewer rows than the reading rebuild, the same set.
    const { rows } = await pool.query<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n,
              count(DISTINCT (tenant_id, agent, layer, queue, queue_id, state, call_id, at))::int AS distinct
       FROM agent_changes`,
    );
    expect(rows[0].n).toBeLessThan(rows[0].distinct * 1.05);
  }, 120000);

  it('with a memory too small for the agents, forgotten agents are read again and rows are the same', async () => {
    const r = runner(97);
    const projection = new AgentTimelineProjection({ memoryRows: 50 });
    await r.reset(projection);
    await catchUpFully(r, projection, 120000);
    expect(await snapshot()).toEqual(expected);
    expect(projection.stats.fromDatabase).toBeGreaterThan(100);
  }, 120000);

  it('two runners taking turns on the same partitions drop their memory and still equal the reading rebuild', async () => {
    const a = runner(150);
    const b = runner(150);
    const pa = new AgentTimelineProjection();
    const pb = new AgentTimelineProjection();
    await a.reset(pa);
    await takeTurns([
      [a, pa],
      [b, pb],
    ]);
    expect(await snapshot()).toEqual(expected);
    // Each saw the other's batches in between, so it read agents from the database again.
    expect(pa.stats.fromDatabase).toBeGreaterThan(0);
    expect(pb.stats.fromDatabase).toBeGreaterThan(0);
  }, 180000);

  it('a batch rolled back after its apply leaves no trace in memory', async () => {
    const r = runner(120);
    const inner = new AgentTimelineProjection();
    const { projection, run } = rollingBackEveryThird(inner);
    await r.reset(projection);
    const { batches, failures, committedCallbacks } = await run(r);
    expect(failures).toBeGreaterThan(2);
    // Callbacks ran for committed batches only: two of every three applies.
    expect(committedCallbacks).toBe(batches - failures);
    expect(await snapshot()).toEqual(expected);
  }, 180000);
});

import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { CallSessionsProjection, ProjectionRunner } from '@app/projections';
import type { Projection } from '@app/projections';
import { testPool } from '../support/env';
import { callSnapshot, catchUpFully, privateDatabase, rollingBackEveryThird, takeTurns } from '../support/projections';
import { TWO_FAULTY_HOURS, simulateDirect } from '../support/simulator';

/**
 * CallSessionsProjection remembers, per partition, the events of the calls it has folded, so a
 * runner's next batch re-loads only calls it cannot vouch for. Whatever happens to the chain of
 * batches — small batches, forgetting, another runner taking turns, rolled-back batches — the
 * rows must equal those of a rebuild that re-loads every call from the store.
 */
describe('call-sessions memory between batches', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;
  let store: EventStore;
  let expected: unknown[];

  /** The projection without the runner's batch: every touched call re-loaded from the store. */
  const reloadingEveryCall = (): Projection => {
    const inner = new CallSessionsProjection();
    return { name: inner.name, tables: inner.tables, apply: (client, events, now) => inner.apply(client, events, now) };
  };

  const runner = (batchSize: number, catchUpConcurrency = 1) =>
    new ProjectionRunner(pool, store, { partitions: 2, batchSize, catchUpConcurrency });

  beforeAll(async () => {
    db = await privateDatabase('memory');
    pool = testPool(db.url, { max: 6 });
    store = new EventStore(pool);
    await simulateDirect(db.url, pool, [...TWO_FAULTY_HOURS, '--late-rate', '0.02', '--quiet']);
    const reference = runner(500);
    const projection = reloadingEveryCall();
    await reference.reset(projection);
    await catchUpFully(reference, projection, 120000);
    expected = await callSnapshot(pool);
    expect(expected.length).toBeGreaterThan(500);
  }, 180000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a rebuild in small batches, two partitions at once, folds every call from memory and equals the re-loading rebuild', async () => {
    const r = runner(97, 2);
    const projection = new CallSessionsProjection();
    await r.reset(projection);
    await catchUpFully(r, projection, 120000);
    expect(await callSnapshot(pool)).toEqual(expected);
    // From the start of the store nothing needed re-loading: every call was new or remembered.
    expect(projection.stats.reloaded).toBe(0);
    expect(projection.stats.fromMemory).toBeGreaterThan(expected.length);
  }, 120000);

  it('with a memory too small for the calls in flight, forgotten calls are re-loaded and rows are the same', async () => {
    const r = runner(97);
    const projection = new CallSessionsProjection({ memoryEvents: 50 });
    await r.reset(projection);
    await catchUpFully(r, projection, 120000);
    expect(await callSnapshot(pool)).toEqual(expected);
    expect(projection.stats.reloaded).toBeGreaterThan(0);
  }, 120000);

  it('two runners taking turns on the same partitions drop their memory and still equal the re-loading rebuild', async () => {
    const a = runner(150);
    const b = runner(150);
    const pa = new CallSessionsProjection();
    const pb = new CallSessionsProjection();
    await a.reset(pa);
    await takeTurns([
      [a, pa],
      [b, pb],
    ]);
    expect(await callSnapshot(pool)).toEqual(expected);
    // Each saw the other's batches in between, so calls spanning batches were re-loaded.
    expect(pa.stats.reloaded).toBeGreaterThan(0);
    expect(pb.stats.reloaded).toBeGreaterThan(0);
  }, 120000);

  it('a batch rolled back after its apply leaves no trace in memory', async () => {
    const r = runner(120);
    const inner = new CallSessionsProjection();
    const { projection, run } = rollingBackEveryThird(inner);
    await r.reset(projection);
    const { batches, failures, committedCallbacks } = await run(r);
    expect(failures).toBeGreaterThan(2);
    // Callbacks ran for committed batches only: two of every three applies.
    expect(committedCallbacks).toBe(batches - failures);
    expect(await callSnapshot(pool)).toEqual(expected);
  }, 120000);
});

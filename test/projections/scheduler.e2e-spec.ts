import { Pool } from 'pg';
import { EventStore, NewEvent, START_CHECKPOINT, StoredEvent, toPayloadJson } from '@app/event-store';
import { AppConfig, Metrics, createLogger, loadConfig } from '@app/platform';
import { Projection, ProjectionRunner, ProjectionScheduler } from '@app/projections';
import { freshIds, testPool, waitFor } from '../support/env';
import { privateDatabase } from '../support/projections';

/** A projection that only records which batches it was given, in order, in a shared log. */
function recording(name: string, log: string[]): Projection {
  return {
    name,
    tables: [],
    apply: (_client, events) => {
      log.push(`${name}:${events.length}`);
      return Promise.resolve();
    },
  };
}

function event(ids: { tenantId: string; sourceId: string }, n: number): NewEvent {
  const raw = Buffer.from(`{"event":"CALL_ANSWER","id":"e${n}"}`);
  return {
    ...ids,
    vendor: 'nexbro',
    type: 'CALL_ANSWER',
    recognized: true,
    dedupKey: `e${n}`,
    occurredAt: new Date(Date.UTC(2026, 0, 27, 17, 0, n)),
    callKey: `call-${n}`,
    raw,
    payloadJson: toPayloadJson(JSON.parse(raw.toString('utf8'))),
  };
}

describe('projection scheduler', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;

  beforeAll(async () => {
    db = await privateDatabase('scheduler');
    pool = testPool(db.url);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('lets projections take turns batch by batch: a long backlog never holds back a caught-up one', async () => {
    const store = new EventStore(pool);
    const ids = freshIds();
    // 31 events in 31 transactions; the backlog projection has them all to do, the live one only the last.
    for (let n = 0; n < 31; n++) await store.append([event(ids, n)]);
    // Wait until every event is visible to a gap-safe read (another server session may hold a snapshot).
    const all = await waitFor(
      async () => {
        const read: StoredEvent[] = await store.readAfter(START_CHECKPOINT, 100);
        return read.length === 31 ? read : null;
      },
      20000,
      'all 31 events visible',
    );

    const log: string[] = [];
    const backlog = recording('backlog', log);
    const live = recording('live', log);
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 10 });
    const thirtieth = all[29];
    await store.saveCheckpoint(runner.checkpointName(live, 0), START_CHECKPOINT, {
      txId: thirtieth.txId,
      position: thirtieth.position,
    });

    const config: AppConfig = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    const scheduler = new ProjectionScheduler(
      runner,
      [backlog, live],
      pool,
      config,
      createLogger('silent'),
      new Metrics(),
    );
    expect(await scheduler.runPartition(0, 60_000)).toBe('caught-up');
    // One batch of the backlog, then the live projection's event; the backlog goes on after it.
    expect(log).toEqual(['backlog:10', 'live:1', 'backlog:10', 'backlog:10', 'backlog:1']);
    expect(await runner.isCaughtUp(backlog)).toBe(true);
    expect(await runner.isCaughtUp(live)).toBe(true);
  });

  it('stops when the budget is spent and says there is more', async () => {
    const store = new EventStore(pool);
    const log: string[] = [];
    const slow: Projection = {
      name: 'slow',
      tables: [],
      apply: async (_client, events) => {
        log.push(`slow:${events.length}`);
        await new Promise((r) => setTimeout(r, 30)); // a batch that takes a while, not a wait for a worker
      },
    };
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 5 });
    const config: AppConfig = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    const metrics = new Metrics();
    const scheduler = new ProjectionScheduler(runner, [slow], pool, config, createLogger('silent'), metrics);
    // 31 events at 5 per batch need 7 batches; a 1 ms budget allows one round.
    expect(await scheduler.runPartition(0, 1)).toBe('more');
    expect(log).toEqual(['slow:5']);
    expect(await scheduler.runPartition(0, 60_000)).toBe('caught-up');
    expect(log).toEqual(['slow:5', 'slow:5', 'slow:5', 'slow:5', 'slow:5', 'slow:5', 'slow:1']);

    // Where the time went (/metrics): 8 rounds (7 batches and the empty one that found it caught
    // up), each with one read; the 7 batches' 30 ms each are in the projection's time.
    const [batch] = (await metrics.projectionBatchSeconds.get()).values.filter(
      (v) => v.labels.projection === 'slow' && v.metricName === 'cdr_projection_batch_seconds_count',
    );
    expect(batch.value).toBe(8);
    const [sum] = (await metrics.projectionBatchSeconds.get()).values.filter(
      (v) => v.metricName === 'cdr_projection_batch_seconds_sum',
    );
    expect(sum.value).toBeGreaterThanOrEqual(0.18); // 7 × 30 ms, less a timer firing a hair early
    const reads = (await metrics.projectionReadSeconds.get()).values.find(
      (v) => v.metricName === 'cdr_projection_read_seconds_count',
    );
    expect(reads?.value).toBe(8);
  });

  it('gives projections at the same checkpoint one shared read, and rolls back a failing one alone', async () => {
    const store = new EventStore(pool);
    const batches = new Map<string, readonly StoredEvent[][]>();
    const seen = (name: string, events: readonly StoredEvent[]) =>
      batches.set(name, [...(batches.get(name) ?? []), events as StoredEvent[]]);
    let failures = 1;
    const first: Projection = {
      name: 'shared-a',
      tables: [],
      apply: (_c, events) => Promise.resolve(void seen('a', events)),
    };
    const flaky: Projection = {
      name: 'shared-flaky',
      tables: [],
      apply: (_client, events) => {
        if (failures-- > 0) return Promise.reject(new Error('flaky batch'));
        seen('flaky', events);
        return Promise.resolve();
      },
    };
    const last: Projection = {
      name: 'shared-b',
      tables: [],
      apply: (_c, events) => Promise.resolve(void seen('b', events)),
    };
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 100 });
    const config: AppConfig = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    const scheduler = new ProjectionScheduler(
      runner,
      [first, flaky, last],
      pool,
      config,
      createLogger('silent'),
      new Metrics(),
    );
    await expect(scheduler.runPartition(0, 60_000)).rejects.toThrow('flaky batch');
    // The other two applied the same events: one read, handed to both.
    expect(batches.get('a')).toHaveLength(1);
    expect(batches.get('b')).toHaveLength(1);
    expect(batches.get('b')![0]).toBe(batches.get('a')![0]);
    expect(batches.get('a')![0].length).toBeGreaterThanOrEqual(31);
    expect(batches.get('flaky')).toBeUndefined();
    expect(await runner.isCaughtUp(first)).toBe(true);
    expect(await runner.isCaughtUp(last)).toBe(true);
    expect(await runner.isCaughtUp(flaky)).toBe(false);
    // The next run retries it from where it was.
    expect(await scheduler.runPartition(0, 60_000)).toBe('caught-up');
    expect(batches.get('flaky')![0].map((e) => e.position)).toEqual(batches.get('a')![0].map((e) => e.position));
    expect(await runner.isCaughtUp(flaky)).toBe(true);
  });

  it('moves a quiet partition with the store, and a follower no further than what it follows', async () => {
    const store = new EventStore(pool);
    // All events of partition 1 of 2; partition 0 has none of its own.
    const busy = { ...freshIds(), tenantId: `${freshIds().tenantId.slice(0, -2)}01` };
    for (let n = 100; n < 103; n++) await store.append([event(busy, n)]);
    const { rows } = await pool.query<{ tx_id: string; position: string }>(
      'SELECT tx_id::text, position::text FROM raw_events ORDER BY raw_events.tx_id DESC, raw_events.position DESC LIMIT 1',
    );
    const end = { txId: rows[0].tx_id, position: rows[0].position };
    const log: string[] = [];
    const leader = recording('quiet-leader', log);
    const follower: Projection = { ...recording('quiet-follower', log), follows: 'quiet-leader' };
    const runner = new ProjectionRunner(pool, store, { partitions: 2, batchSize: 100 });

    // The follower may not pass the leader, which has not run yet.
    await runner.runPartition(follower, 0);
    expect(await store.getCheckpoint(runner.checkpointName(follower, 0))).toEqual(START_CHECKPOINT);
    await waitFor(async () => {
      await runner.runPartition(leader, 0);
      const at = await store.getCheckpoint(runner.checkpointName(leader, 0));
      return at.position === end.position ? at : null;
    });
    expect(await store.getCheckpoint(runner.checkpointName(leader, 0))).toEqual(end);
    await runner.runPartition(follower, 0);
    expect(await store.getCheckpoint(runner.checkpointName(follower, 0))).toEqual(end);
    // Each got partition 0's events (the earlier tests' tenant, if it is there) and no more.
    const { rows: own } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM raw_events WHERE get_byte(uuid_send(tenant_id), 15) % 2 = 0',
    );
    expect(log).toEqual(own[0].n ? [`quiet-leader:${own[0].n}`, `quiet-follower:${own[0].n}`] : []);
    expect((await runner.lag(leader))[0]).toMatchObject({ partition: 0, positions: 0, seconds: 0 });
  });
});

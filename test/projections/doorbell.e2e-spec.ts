import { Queue } from 'bullmq';
import { Metrics, QUEUES, createLogger, loadConfig, redisConnection } from '@app/platform';
import { ProjectionDoorbell } from '@app/projections';
import { REDIS_URL, TEST_DATABASE_URL, TEST_QUEUE_PREFIX, waitFor } from '../support/env';

/** The doorbell on the real Redis, under a queue prefix of its own. */
describe('projection doorbell', () => {
  const prefix = `${TEST_QUEUE_PREFIX}door`;
  const queue = new Queue(QUEUES.projections, { connection: redisConnection(REDIS_URL), prefix });
  const open: ProjectionDoorbell[] = [];

  function doorbell(intervalMs: number): { bell: ProjectionDoorbell; rings: () => Promise<number> } {
    const config = loadConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PROJECTION_DOORBELL_INTERVAL_MS: String(intervalMs),
    });
    const metrics = new Metrics();
    const bell = new ProjectionDoorbell(
      { kind: 'redis', connection: redisConnection(REDIS_URL) },
      config,
      createLogger('silent'),
      metrics,
    );
    open.push(bell);
    return { bell, rings: async () => (await metrics.doorbellRings.get()).values[0]?.value ?? 0 };
  }

  /** The partitions that have a projection job waiting in Redis. */
  async function waiting(): Promise<number[]> {
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    return jobs.map((j) => (j.data as { partition: number }).partition).sort((a, b) => a - b);
  }

  beforeEach(() => queue.obliterate({ force: true }));
  afterEach(async () => {
    for (const bell of open.splice(0)) await bell.onModuleDestroy();
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('sends the first ring of a partition at once and the rest of its interval as one ring at its end', async () => {
    const { bell, rings } = doorbell(200);
    for (let i = 0; i < 50; i++) bell.ringPartition(0);
    expect(await rings()).toBe(1);
    await waitFor(async () => (await waiting()).length === 1, 5000, 'the first ring in Redis');
    expect(await waiting()).toEqual([0]);

    // The trailing ring: once, after the interval.
    await waitFor(async () => (await rings()) === 2, 5000, 'the trailing ring');
    // Nothing rang during the second interval, so no third ring follows it.
    await new Promise((resolve) => setTimeout(resolve, 500)); // two intervals with no rings: a negative check
    expect(await rings()).toBe(2);
  });

  it('rings other partitions at once, each with an interval of its own', async () => {
    const { bell, rings } = doorbell(1000);
    bell.ring(['t-a']); // some partition
    bell.ringPartition(1);
    bell.ringPartition(2);
    bell.ringPartition(1);
    bell.ringPartition(2);
    const first = await rings();
    expect(first).toBeGreaterThanOrEqual(2);
    expect(first).toBeLessThanOrEqual(3); // t-a's partition may be 1 or 2
    await waitFor(async () => (await waiting()).includes(1) && (await waiting()).includes(2), 5000, 'jobs of 1 and 2');
  });

  it('with an interval of 0 sends every ring', async () => {
    const { bell, rings } = doorbell(0);
    for (let i = 0; i < 10; i++) bell.ringPartition(3);
    expect(await rings()).toBe(10);
    // Redis keeps one waiting job per partition (deduplicated) however many rings came.
    await waitFor(async () => (await waiting()).length === 1, 5000, 'the job of partition 3');
    expect(await waiting()).toEqual([3]);
  });

  it('sends the rings still waiting for their interval when it stops', async () => {
    const { bell, rings } = doorbell(1000);
    bell.ringPartition(0);
    bell.ringPartition(0);
    bell.ringPartition(1);
    expect(await rings()).toBe(2);
    open.splice(open.indexOf(bell), 1);
    await bell.onModuleDestroy();
    expect(await rings()).toBe(3);
    expect(await waiting()).toEqual([0, 1]);
  });
});

import { Pool } from 'pg';
import { queueStats } from '@app/reporting';
import { TEST_DATABASE_URL, testPool } from '../support/env';

let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await pool?.end();
});

const COLUMNS = `tenant_id, queue, bucket_start, offered, answered, answered_within_sla, abandoned, short_abandoned,
  timed_out, callbacks, sum_answer_wait, answered_with_wait, max_wait, sum_abandon_wait, abandoned_with_wait, sum_talk,
  answered_with_talk, sum_handle, answered_with_handle`;

/**
 * Every counter of a row distinct, so a value read into the wrong field shows; a NULL max_wait
 * (no wait known) in one row, and sums beyond 2^31.
 */
describe('queueStats values', () => {
  it('reads every field into its place, NULLs as null, on the rollup and the bucket paths', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name, timezone, sla_seconds, short_abandon_seconds) VALUES ('values', 'UTC', 20, 5) RETURNING id`,
    );
    const tenantId = rows[0].id;
    // 8000: 10:00–10:15 and 10:15–10:30 buckets; 'Sales, "EU"': 10:00 with no wait known.
    const buckets: unknown[][] = [
      [tenantId, '8000', '2026-03-02T10:00:00Z', 13, 7, 5, 3, 1, 2, 1, 3_000_000_000, 6, 41, 90, 3, 700, 7, 910, 7],
      [tenantId, '8000', '2026-03-02T10:15:00Z', 2, 1, 1, 0, 0, 1, 0, 10, 1, 44, 0, 0, 100, 1, 130, 1],
      [tenantId, 'Sales, "EU"', '2026-03-02T10:00:00Z', 1, 0, 0, 0, 0, 0, 1, 0, 0, null, 0, 0, 0, 0, 0, 0],
    ];
    for (const b of buckets) {
      await pool.query(
        `INSERT INTO queue_interval_stats (${COLUMNS}) VALUES (${b.map((_, i) => `$${i + 1}`).join(', ')})`,
        b,
      );
    }
    // The hour rollups of those buckets, as the projection keeps them.
    await pool.query(
      `INSERT INTO queue_hour_stats (${COLUMNS})
       SELECT tenant_id, queue, date_trunc('hour', bucket_start), sum(offered), sum(answered), sum(answered_within_sla),
              sum(abandoned), sum(short_abandoned), sum(timed_out), sum(callbacks), sum(sum_answer_wait),
              sum(answered_with_wait), max(max_wait), sum(sum_abandon_wait), sum(abandoned_with_wait), sum(sum_talk),
              sum(answered_with_talk), sum(sum_handle), sum(answered_with_handle)
       FROM queue_interval_stats WHERE tenant_id = $1 GROUP BY 1, 2, 3`,
      [tenantId],
    );
    const req = {
      from: new Date('2026-03-02T10:00:00Z'),
      to: new Date('2026-03-02T11:00:00Z'),
      granularity: 'HOUR' as const,
    };
    const expected = [
      {
        queue: '8000',
        intervalStart: new Date('2026-03-02T10:00:00Z'),
        offered: 15,
        answered: 8,
        answeredWithinSla: 6,
        abandoned: 3,
        shortAbandoned: 1,
        timedOut: 3,
        callbacks: 1,
        serviceLevel: 6 / 14,
        abandonRate: 3 / 14,
        averageWaitSeconds: 3_000_000_010 / 7,
        maxWaitSeconds: 44,
        averageAbandonWaitSeconds: 30,
        averageTalkSeconds: 100,
        averageHandleSeconds: 130,
      },
      {
        queue: 'Sales, "EU"',
        intervalStart: new Date('2026-03-02T10:00:00Z'),
        offered: 1,
        answered: 0,
        answeredWithinSla: 0,
        abandoned: 0,
        shortAbandoned: 0,
        timedOut: 0,
        callbacks: 1,
        serviceLevel: null,
        abandonRate: 0,
        averageWaitSeconds: null,
        maxWaitSeconds: null,
        averageAbandonWaitSeconds: null,
        averageTalkSeconds: null,
        averageHandleSeconds: null,
      },
    ];
    expect((await queueStats(pool, tenantId, req)).map((r) => r.toJSON())).toEqual(expected);
    expect((await queueStats(pool, tenantId, req, { hourRollups: false })).map((r) => r.toJSON())).toEqual(expected);
    // Quarter hours: straight from the buckets.
    const quarters = await queueStats(pool, tenantId, { ...req, granularity: 'FIFTEEN_MINUTES' });
    expect(quarters.map((r) => [r.queue, r.intervalStart.toISOString(), r.offered, r.maxWaitSeconds])).toEqual([
      ['8000', '2026-03-02T10:00:00.000Z', 13, 41],
      ['Sales, "EU"', '2026-03-02T10:00:00.000Z', 1, null],
      ['8000', '2026-03-02T10:15:00.000Z', 2, 44],
    ]);
  });
});

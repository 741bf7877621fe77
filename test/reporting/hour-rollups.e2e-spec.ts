import { Pool } from 'pg';
import { TenantDb, updateTenant, withTransaction } from '@app/platform';
import { rebuildTenantQueueHourStats, recomputeTenantQueueStats } from '@app/projections';
import { Granularity, QueueStatsRequest, hourRollupUsable, queueStats } from '@app/reporting';
import { TEST_DATABASE_URL, testPool } from '../support/env';

let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await pool?.end();
});

/**
 * A tenant in `zone` with queue attempts every 7 minutes over [from, to) in three queues, every
 * outcome and wait, and its stats computed the way the projection computes them.
 */
async function tenantWithAttempts(zone: string, from: string, to: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO tenants (name, timezone, sla_seconds, short_abandon_seconds) VALUES ('rollups', $1, 20, 5) RETURNING id`,
    [zone],
  );
  const tenantId = rows[0].id;
  const source = await pool.query<{ id: string }>(
    `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials)
     VALUES ($1, 'pbx', 'voipcloud', 'none', '{"method":"none"}') RETURNING id`,
    [tenantId],
  );
  await pool.query(
    `INSERT INTO queue_attempts (tenant_id, source_id, call_key, attempt_key, kind, queue, entered_at, bucket_start,
                                 left_at, outcome, wait_seconds, talk_seconds, callback)
     SELECT $1, $2, 'c' || n, 'a', 'queue', 'Q' || (n % 3), at, date_bin('15 minutes', at, timestamptz '2000-01-01Z'),
            at + make_interval(secs => n % 97),
            (ARRAY['ANSWERED', 'ANSWERED', 'ABANDONED', 'TIMED_OUT', 'CALLBACK'])[1 + n % 5], n % 97,
            CASE WHEN n % 5 < 2 THEN 30 + n % 400 END, false
     FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 second', interval '7 minutes')
       WITH ORDINALITY AS g(at, n)`,
    [tenantId, source.rows[0].id, from, to],
  );
  await withTransaction(pool, (c) => recomputeTenantQueueStats(c, tenantId));
  return tenantId;
}

/** The answer through the tenant's API session, with and without the hour rollups. */
async function bothWays(tenantId: string, req: QueueStatsRequest) {
  const db = new TenantDb(pool, tenantId);
  const rollups = await db.run((c) => queueStats(c, tenantId, req));
  const buckets = await db.run((c) => queueStats(c, tenantId, req, { hourRollups: false }));
  // Rows are views whose numbers are getters: compare their plain copies, every field.
  return { rollups: rollups.map((r) => r.toJSON()), buckets: buckets.map((r) => r.toJSON()) };
}

describe('queue hour rollups', () => {
  const cases: Array<[string, string, string, Granularity[]]> = [
    ['Asia/Kolkata', '2026-02-28T18:30:00Z', '2026-03-07T18:30:00Z', ['HOUR', 'DAY', 'WEEK']],
    ['Asia/Kathmandu', '2026-02-28T18:15:00Z', '2026-03-03T18:15:00Z', ['HOUR', 'DAY']],
    ['America/New_York', '2026-03-06T05:00:00Z', '2026-03-10T04:00:00Z', ['HOUR', 'DAY']],
    ['America/New_York', '2026-10-30T04:00:00Z', '2026-11-03T05:00:00Z', ['HOUR', 'DAY']],
    ['Europe/London', '2026-10-23T23:00:00Z', '2026-10-27T00:00:00Z', ['HOUR', 'DAY', 'MONTH']],
  ];

  it.each(cases)('%s from %s to %s: the rollups give the buckets’ answer', async (zone, from, to, granularities) => {
    const tenantId = await tenantWithAttempts(zone, from, to);
    for (const granularity of granularities) {
      const req = { from: new Date(from), to: new Date(to), granularity };
      expect(hourRollupUsable(zone, zone, granularity, req.from, req.to)).toBe(true);
      const { rollups, buckets } = await bothWays(tenantId, req);
      expect(buckets.length).toBeGreaterThan(0);
      expect(rollups).toEqual(buckets);
    }
    // Every hour row is the sum of the 15-minute rows of that local hour, and they add up.
    const { rows } = await pool.query<{ hours: number; offered_h: number; offered_q: number }>(
      `SELECT (SELECT count(*) FROM queue_hour_stats WHERE tenant_id = $1)::int AS hours,
              (SELECT sum(offered) FROM queue_hour_stats WHERE tenant_id = $1)::int AS offered_h,
              (SELECT sum(offered) FROM queue_interval_stats WHERE tenant_id = $1)::int AS offered_q`,
      [tenantId],
    );
    expect(rows[0].offered_h).toBe(rows[0].offered_q);
    // Three queues, each with an attempt in every local hour of the range.
    expect(rows[0].hours).toBe((3 * (new Date(to).getTime() - new Date(from).getTime())) / 3_600_000);
  });

  it('are regrouped in the new zone when the tenant’s zone changes', async () => {
    const from = '2026-03-01T00:00:00Z';
    const to = '2026-03-04T00:00:00Z';
    const tenantId = await tenantWithAttempts('UTC', from, to);
    const hourStarts = async () =>
      (
        await pool.query<{ minute: number }>(
          `SELECT DISTINCT extract(minute FROM bucket_start)::int AS minute FROM queue_hour_stats WHERE tenant_id = $1`,
          [tenantId],
        )
      ).rows.map((r) => r.minute);
    expect(await hourStarts()).toEqual([0]);
    await withTransaction(pool, async (c) => {
      expect(await updateTenant(c, tenantId, { timezone: 'Asia/Kolkata' })).toEqual(['timezone']);
      await rebuildTenantQueueHourStats(c, tenantId);
    });
    expect(await hourStarts()).toEqual([30]);
    // Kolkata's whole local hours inside the data: the rollups answer, equal to the buckets.
    const req = {
      from: new Date('2026-03-01T00:30:00Z'),
      to: new Date('2026-03-03T18:30:00Z'),
      granularity: 'HOUR' as const,
    };
    const { rollups, buckets } = await bothWays(tenantId, req);
    expect(buckets).toHaveLength(3 * 66);
    expect(rollups).toEqual(buckets);
  });

  it('keeps following the buckets when attempts change (the projection path)', async () => {
    const from = '2026-03-01T18:30:00Z';
    const to = '2026-03-02T18:30:00Z';
    const tenantId = await tenantWithAttempts('Asia/Kolkata', from, to);
    // An attempt moves out of its hour and another hour loses all of its attempts.
    await pool.query(
      `UPDATE queue_attempts SET outcome = 'ABANDONED', wait_seconds = 3, talk_seconds = NULL
       WHERE tenant_id = $1 AND queue = 'Q1' AND bucket_start >= '2026-03-02T04:30:00Z' AND bucket_start < '2026-03-02T05:30:00Z'`,
      [tenantId],
    );
    await pool.query(
      `DELETE FROM queue_attempts WHERE tenant_id = $1 AND queue = 'Q2'
       AND bucket_start >= '2026-03-02T06:30:00Z' AND bucket_start < '2026-03-02T07:30:00Z'`,
      [tenantId],
    );
    await withTransaction(pool, (c) => recomputeTenantQueueStats(c, tenantId));
    const req = { from: new Date(from), to: new Date(to), granularity: 'HOUR' as const };
    const { rollups, buckets } = await bothWays(tenantId, req);
    expect(rollups).toEqual(buckets);
    expect(rollups.find((r) => r.queue === 'Q2' && r.intervalStart.toISOString() === '2026-03-02T06:30:00.000Z')).toBe(
      undefined,
    );
    const q1 = rollups.find((r) => r.queue === 'Q1' && r.intervalStart.toISOString() === '2026-03-02T04:30:00.000Z');
    // Every attempt of that hour is now a short abandon (3 s, under the tenant's 5 s).
    expect(q1?.offered).toBeGreaterThan(0);
    expect(q1).toMatchObject({ answered: 0, abandoned: 0, shortAbandoned: q1?.offered });
  });
});

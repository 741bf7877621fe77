import { Pool } from 'pg';
import { Granularity, intervalStartSql, intervalStartSqlBySegments, offsetSegments } from '@app/reporting';
import { TEST_DATABASE_URL, testPool } from '../support/env';

let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await pool?.end();
});

/**
 * The offset-stretch SQL the reports use for sub-day intervals must put every 15-minute bucket in
 * exactly the interval the local-wall-time SQL does — checked by PostgreSQL itself, bucket by
 * bucket, over ranges with DST changes (one-hour and Lord Howe's half-hour) and odd offsets.
 */
describe('intervalStartSqlBySegments agrees with intervalStartSql', () => {
  const cases: Array<[string, string, string]> = [
    ['Europe/London', '2026-03-20T00:00:00Z', '2026-04-05T00:00:00Z'],
    ['Europe/London', '2026-10-18T00:00:00Z', '2026-11-02T00:00:00Z'],
    ['America/New_York', '2026-02-25T00:00:00Z', '2026-03-20T00:00:00Z'],
    ['America/New_York', '2026-10-25T00:00:00Z', '2026-11-10T00:00:00Z'],
    ['Australia/Sydney', '2026-03-30T00:00:00Z', '2026-04-15T00:00:00Z'],
    ['Australia/Lord_Howe', '2026-03-28T00:00:00Z', '2026-04-12T00:00:00Z'],
    ['Asia/Kathmandu', '2026-02-28T18:15:00Z', '2026-03-31T18:15:00Z'],
    ['Asia/Kolkata', '2026-02-28T18:30:00Z', '2026-03-31T18:30:00Z'],
    ['UTC', '2026-03-01T00:00:00Z', '2026-03-08T00:00:00Z'],
  ];
  const granularities: Granularity[] = ['FIFTEEN_MINUTES', 'THIRTY_MINUTES', 'HOUR'];

  it.each(cases)('%s from %s to %s', async (zone, fromIso, toIso) => {
    const from = new Date(fromIso);
    const to = new Date(toIso);
    const segments = offsetSegments(zone, from, to);
    for (const granularity of granularities) {
      const params: unknown[] = [from, to, zone];
      const fast = intervalStartSqlBySegments('b', granularity, segments, params);
      expect(fast).not.toBeNull();
      const { rows } = await pool.query<{ buckets: number; differing: number }>(
        `SELECT count(*)::int AS buckets, count(*) FILTER (WHERE ${fast} <> ${intervalStartSql('b', granularity, '$3::text')})::int AS differing
         FROM generate_series($1::timestamptz, $2::timestamptz - interval '15 minutes', interval '15 minutes') AS b
         WHERE $3::text IS NOT NULL -- types the zone where the granularity does not read it`,
        params,
      );
      expect(rows[0].buckets).toBe((to.getTime() - from.getTime()) / 900_000);
      expect(rows[0].differing).toBe(0);
    }
  });
});

import { Pool } from 'pg';
import { forEachRow } from '@app/platform';
import { TEST_DATABASE_URL, testPool } from '../support/env';

let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await pool?.end();
});

const series = {
  text: 'SELECT n, n * 2 FROM generate_series(1, $1::int) AS n',
  values: [5000],
  rowMode: 'array' as const,
};

describe('forEachRow', () => {
  it('hands every row over in order, on a pool and on a client', async () => {
    const seen: unknown[][] = [];
    await forEachRow(pool, series, (row) => seen.push(row));
    expect(seen).toHaveLength(5000);
    expect(seen[0]).toEqual([1, 2]);
    expect(seen[4999]).toEqual([5000, 10000]);
    const client = await pool.connect();
    try {
      let sum = 0;
      await forEachRow(client, series, (row) => (sum += row[1] as number));
      expect(sum).toBe(5000 * 5001);
    } finally {
      client.release();
    }
  });

  it("rejects with the query's error or the first error of onRow, and the connection stays usable", async () => {
    const client = await pool.connect();
    try {
      await expect(forEachRow(client, { text: 'SELECT 1/0', rowMode: 'array' }, () => undefined)).rejects.toThrow(
        'division by zero',
      );
      let calls = 0;
      await expect(
        forEachRow(client, series, () => {
          calls++;
          throw new Error(`bad row ${calls}`);
        }),
      ).rejects.toThrow('bad row 1');
      expect(calls).toBe(1);
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      client.release();
    }
    // The pool's client went back: all of the pool is free again.
    expect(pool.idleCount).toBe(pool.totalCount);
  });
});

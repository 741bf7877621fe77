import { Readable } from 'node:stream';
import { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CopyOutStream } from '@app/exports';
import { TEST_DATABASE_URL, testPool } from '../support/env';

/** CopyOutStream against the reference reader (pg-copy-streams) on real PostgreSQL. */
let pool: Pool;
let client: PoolClient;

beforeAll(async () => {
  pool = testPool(TEST_DATABASE_URL);
  client = await pool.connect();
});
afterAll(async () => {
  client?.release();
  await pool?.end();
});

async function bytes(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const ROWS = `SELECT g, md5(g::text) || repeat('é', g % 50) AS t, now() - g * interval '1 second' AS at
              FROM generate_series(1, 200000) g`;

describe('CopyOutStream', () => {
  it.each(['binary', 'text', 'csv'])(
    'reads a %s COPY byte for byte like pg-copy-streams, and hands the client back',
    async (format) => {
      await client.query('BEGIN');
      const ours = new CopyOutStream(`COPY (${ROWS}) TO STDOUT (FORMAT ${format})`);
      const mine = await bytes(client.query(ours));
      const reference = await bytes(client.query(copyTo(`COPY (${ROWS}) TO STDOUT (FORMAT ${format})`)));
      await client.query('COMMIT');
      expect(mine.length).toBeGreaterThan(4_000_000);
      expect(mine.equals(reference)).toBe(true);
      expect(ours.rowCount).toBe(200000);
      expect((await client.query<{ n: number }>('SELECT 42 AS n')).rows).toEqual([{ n: 42 }]);
    },
  );

  it('fails with the server’s error when a row fails half-way, and the client stays usable', async () => {
    const failing = client.query(
      new CopyOutStream(`COPY (SELECT 1 / (100000 - g) FROM generate_series(1, 200000) g) TO STDOUT (FORMAT binary)`),
    );
    await expect(bytes(failing)).rejects.toThrow('division by zero');
    expect((await client.query<{ n: number }>('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
  });

  it('an empty result is the header and trailer only', async () => {
    const empty = await bytes(client.query(new CopyOutStream(`COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT binary)`)));
    expect(empty.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    expect(empty.length).toBe(21);
  });
});

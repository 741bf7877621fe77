import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvColumn, CsvWriter } from './csv-writer';
import { PgBinaryCsv } from './pg-binary-csv';
import { ZoneClock } from './zone-clock';

const COLUMNS: CsvColumn[] = [
  { name: 'id', kind: 'uuid' },
  { name: 'name', kind: 'text' },
  { name: 'n', kind: 'int' },
  { name: 'big', kind: 'int' },
  { name: 'at', kind: 'timestamp' },
  { name: 'x', kind: 'float' },
  { name: 'ok', kind: 'bool' },
  { name: 'cost', kind: 'decimal' },
];

const field = (b: Buffer | null): Buffer => {
  if (!b) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
};
const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int8 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const float8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};
/** A timestamptz as PostgreSQL sends it: microseconds since 2000-01-01. */
const tstz = (iso: string, extraMicros = 0) =>
  int8(BigInt(Date.parse(iso) - Date.parse('2000-01-01T00:00:00Z')) * 1000n + BigInt(extraMicros));

/** What `COPY ... TO STDOUT (FORMAT binary)` sends for these rows. */
function binaryCopy(rows: Array<Array<Buffer | null>>): Buffer {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int4(0), int4(0)]);
  const body = rows.map((r) => {
    const count = Buffer.alloc(2);
    count.writeInt16BE(r.length);
    return Buffer.concat([count, ...r.map(field)]);
  });
  return Buffer.concat([header, ...body, Buffer.from([0xff, 0xff])]);
}

async function toCsv(data: Buffer, chunk: number, zone = 'UTC'): Promise<string> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  const decoder = new PgBinaryCsv(COLUMNS, new CsvWriter(new ZoneClock(zone), 32));
  await pipeline(Readable.from(chunks), decoder, async (source: AsyncIterable<Buffer>) => {
    for await (const b of source) out.push(b);
  });
  return Buffer.concat(out).toString('utf8');
}

const ROWS = binaryCopy([
  [
    Buffer.from('6f1c2a4e8b3d4c5e9f700a1b2c3d4e5f', 'hex'),
    Buffer.from('=HYPERLINK("x")'),
    int4(-42),
    int8(9_007_199_254_740_991n),
    tstz('2026-03-02T09:00:00.123Z', 456),
    float8(8 / 17),
    Buffer.from([1]),
    Buffer.from('0.0533'),
  ],
  [
    Buffer.from('00000000000000000000000000000001', 'hex'),
    Buffer.from('Zoë, "Z"'),
    null,
    null,
    null,
    null,
    Buffer.from([0]),
    null,
  ],
]);

const EXPECTED =
  '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f,"\'=HYPERLINK(""x"")",-42,9007199254740991,2026-03-02T14:45:00.123+05:45,0.47058823529411764,true,0.0533\r\n' +
  '00000000-0000-0000-0000-000000000001,"Zoë, ""Z""",,,,,false,\r\n';

describe('PgBinaryCsv', () => {
  it('decodes every kind, truncating timestamps to the millisecond as GraphQL does', async () => {
    expect(await toCsv(ROWS, 1 << 16, 'Asia/Kathmandu')).toBe(EXPECTED);
  });

  it('gives the same CSV however the stream is cut into chunks', async () => {
    for (const size of [1, 2, 3, 5, 7, 11, 19, 64]) expect(await toCsv(ROWS, size, 'Asia/Kathmandu')).toBe(EXPECTED);
  });

  it('rejects a stream that ends early, or a row of another shape', async () => {
    await expect(toCsv(ROWS.subarray(0, ROWS.length - 2), 64)).rejects.toThrow('ended in the middle');
    const short = binaryCopy([[Buffer.from('00', 'hex')]]);
    await expect(toCsv(short, 64)).rejects.toThrow('binary COPY row has 1 fields; the report has 8 columns');
    const badUuid = binaryCopy([[Buffer.from('ab', 'hex'), null, null, null, null, null, null, null]]);
    await expect(toCsv(badUuid, 64)).rejects.toThrow('column id (uuid) has 1 bytes in binary COPY, expected 16');
    await expect(toCsv(Buffer.from('id,name\n1,2\n, and more bytes'), 64)).rejects.toThrow('not a binary COPY stream');
  });
});

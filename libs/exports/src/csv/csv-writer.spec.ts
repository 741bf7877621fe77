import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { CsvColumn, CsvWriter, needsNeutralising } from './csv-writer';
import { ZoneClock } from './zone-clock';

const utc = new ZoneClock('UTC');

function csv(fill: (w: CsvWriter) => void, chunkBytes = 64 * 1024): string {
  const w = new CsvWriter(utc, chunkBytes);
  fill(w);
  return Buffer.concat(w.take(true)).toString('utf8');
}

const cell = (s: string) => csv((w) => w.text(s));
const cellBytes = (s: string) => csv((w) => w.textBytes(Buffer.from(`xx${s}yy`), 2, 2 + Buffer.byteLength(s)));

describe('formula injection (CONTRACT.md "CSV files")', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['=1+1', "'=1+1"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['+1+cmd', "'+1+cmd"],
    ['-2+3', "'-2+3"],
    ['+', "'+"],
    ['-', "'-"],
    ['+61 2 9000 0000', "'+61 2 9000 0000"],
    ['+1.', "'+1."],
    ['-.5', "'-.5"],
  ])('neutralises %j', (text, expected) => {
    expect(needsNeutralising(text)).toBe(true);
    expect(cell(text)).toBe(expected);
    expect(cellBytes(text)).toBe(expected);
  });

  it.each(['+61290000000', '-5', '+1.25', '-0.0533', '61290000000', '1+1', 'Alice', ' =1', '', '101'])(
    'leaves %j as it is',
    (text) => {
      expect(needsNeutralising(text)).toBe(false);
      expect(cell(text)).toBe(text);
      expect(cellBytes(text)).toBe(text);
    },
  );
});

// Text full of the characters that matter here, and any other text.
const special = fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"', ',', "'", 'a', '1', '.', 'é', '😀');
const anyText = fc.oneof(fc.string({ unit: special }), fc.string({ unit: 'grapheme' }));

describe('CsvWriter', () => {
  const columns: CsvColumn[] = [
    { name: 'name', kind: 'text' },
    { name: 'count', kind: 'int' },
    { name: 'ratio', kind: 'float' },
    { name: 'at', kind: 'timestamp' },
    { name: 'cost', kind: 'decimal' },
    { name: 'ok', kind: 'bool' },
  ];

  it('writes a header, rows with CRLF, empty cells for null, RFC 4180 quoting', () => {
    const out = csv((w) => {
      w.header(columns);
      w.row(columns, ['Smith, John', 3, 8 / 17, new Date('2026-03-02T09:00:00Z'), '0.0533', true]);
      w.row(columns, ['say "hi"\nbye', 0, null, null, undefined, false]);
      expect(w.rows).toBe(2);
    });
    expect(out).toBe(
      'name,count,ratio,at,cost,ok\r\n' +
        '"Smith, John",3,0.47058823529411764,2026-03-02T09:00:00.000+00:00,0.0533,true\r\n' +
        '"say ""hi""\nbye",0,,,,false\r\n',
    );
  });

  it('prints numbers exactly as JSON does (what GraphQL answers)', () => {
    for (const n of [0.1 + 0.2, 1e-7, 123456789012, -0.5, 2 / 3]) {
      expect(csv((w) => w.number(n))).toBe(JSON.stringify(n));
    }
    expect(csv((w) => w.number(Number.NaN))).toBe('');
  });

  it('writes a UUID from its 16 bytes', () => {
    const id = '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f';
    expect(csv((w) => w.uuidBytes(Buffer.from(`00${id.replace(/-/g, '')}`, 'hex'), 1))).toBe(id);
  });

  it('gives the same bytes whatever the chunk size (cells never split wrongly)', () => {
    const fill = (w: CsvWriter) => {
      w.header(columns);
      for (let i = 0; i < 200; i++)
        w.row(columns, [
          `row ${i}, "q" ${'é'.repeat(i % 7)}`,
          i,
          i / 7,
          new Date(1_772_000_000_000 + i),
          `${i}.5`,
          i % 2,
        ]);
    };
    const big = csv(fill);
    expect(csv(fill, 16)).toBe(big);
    expect(csv(fill, 100)).toBe(big);
  });

  it('round-trips any text through a CSV parser, string and byte paths alike', () => {
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 2, maxLength: 6 }), (texts) => {
        const viaString = csv((w) => {
          for (const t of texts) w.text(t);
          w.endRow();
        });
        const viaBytes = csv((w) => {
          for (const t of texts) {
            const b = Buffer.from(t);
            w.textBytes(b, 0, b.length);
          }
          w.endRow();
        });
        expect(viaBytes).toBe(viaString);
        const rows: string[][] = parse(viaString, { relax_column_count: true });
        const parsed = rows[0];
        expect(parsed).toEqual(texts.map((t) => (needsNeutralising(t) ? `'${t}` : t)));
      }),
      { numRuns: 2000 },
    );
  });
});

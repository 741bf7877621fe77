import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BillingInputError, FileTooLargeError } from './billing.errors';
import { CsvDefect, CsvRecord, readCsv } from './csv-reader';

async function readAll(text: string | Buffer, chunk = 7, options = {}) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const { records, digest } = readCsv(Readable.from(chunks), options);
  const out: Array<CsvRecord | CsvDefect> = [];
  for await (const r of records) out.push(r);
  return { out, digest: digest(), bytes };
}

describe('readCsv', () => {
  it('reads records with the line they start on, across chunk borders and quoted newlines', async () => {
    const { out, digest, bytes } = await readAll(
      '\uFEFFa,b,c\r\n1,2,3\r\n4,"five\nlines",6\r\n\r\n7,"say ""hi""",9\n10,x"y,12\n',
    );
    expect(out.map((r) => [r.kind, r.line, r.kind === 'record' ? r.fields : r.reason])).toEqual([
      ['record', 1, ['a', 'b', 'c']],
      ['record', 2, ['1', '2', '3']],
      ['record', 3, ['4', 'five\nlines', '6']],
      ['record', 6, ['7', 'say "hi"', '9']],
      ['record', 7, ['10', 'x"y', '12']],
    ]);
    expect(digest).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
  });

  it('keeps going after a broken record and reports it with its line', async () => {
    const { out } = await readAll('h1,h2\nok,1\n"never closed,2\nmore,3\n');
    expect(out[0]).toMatchObject({ kind: 'record', line: 1 });
    expect(out[1]).toMatchObject({ kind: 'record', line: 2, fields: ['ok', '1'] });
    expect(out[2]).toMatchObject({ kind: 'defect', line: 3, reason: 'a quoted field is never closed' });
    expect(out).toHaveLength(3);
  });

  it('fails the file on a record longer than the limit (a quote never closed), naming its line', async () => {
    const read = readAll(`h\nok\n"${'x'.repeat(200)}\nsmall\n`, 16, { maxRecordBytes: 100 });
    await expect(read).rejects.toBeInstanceOf(BillingInputError);
    await expect(read).rejects.toThrow('line 3: a record longer than 100 bytes (a quote opened and never closed?)');
  });

  it('accepts other delimiters', async () => {
    const { out } = await readAll('a;b\n1,5;2\n', 3, { delimiter: ';' });
    expect(out[1]).toMatchObject({ fields: ['1,5', '2'] });
  });

  it('fails with FileTooLargeError past the byte limit', async () => {
    await expect(readAll('a,b\n'.repeat(100), 16, { maxBytes: 100 })).rejects.toBeInstanceOf(FileTooLargeError);
  });
});

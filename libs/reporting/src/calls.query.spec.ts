import {
  DEFAULT_CALLS_PAGE,
  decodeCursor,
  encodeCursor,
  CALL_FIELDS,
  bindParams,
  callsWhere,
  getCallsByIds,
  legsForCalls,
  listCalls,
  numberVariants,
  validCallFilter,
  validFirst,
} from './calls.query';
import { ReportInputError } from './intervals';

const ID = '6f1c2a4e-8b3d-4c5e-9f70-0a1b2c3d4e5f';
const BAD_CURSOR = 'after is not a cursor returned by this API';

/** The error a call throws (fails the test when it does not throw). */
function errorOf(fn: () => unknown): ReportInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportInputError);
    return error as ReportInputError;
  }
  throw new Error('expected a ReportInputError');
}

describe('cursors', () => {
  it('round-trip the exact microsecond timestamp and id, and are opaque base64url', () => {
    const cursor = encodeCursor({ startedAt: '2026-03-01T10:00:00.123456Z', id: ID });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(cursor, 'base64url').toString('utf8')).toBe(`{"s":"2026-03-01T10:00:00.123456Z","i":"${ID}"}`);
    expect(decodeCursor(cursor)).toEqual({ startedAt: '2026-03-01T10:00:00.123456Z', id: ID });
  });

  it('normalises an upper-case id', () => {
    const cursor = encodeCursor({ startedAt: '2026-03-01T10:00:00.000000Z', id: ID.toUpperCase() });
    expect(decodeCursor(cursor).id).toBe(ID);
  });

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/=='],
    ['not JSON', b64('hello')],
    ['JSON array', b64(`["2026-03-01T10:00:00.000000Z","${ID}"]`)],
    ['JSON null', b64('null')],
    ['missing id', b64('{"s":"2026-03-01T10:00:00.000000Z"}')],
    ['id not a uuid', b64(`{"s":"2026-03-01T10:00:00.000000Z","i":"1 OR 1=1"}`)],
    ['milliseconds only', b64(`{"s":"2026-03-01T10:00:00.000Z","i":"${ID}"}`)],
    ['offset instead of Z', b64(`{"s":"2026-03-01T10:00:00.000000+01:00","i":"${ID}"}`)],
    ['impossible date', b64(`{"s":"2026-02-30T10:00:00.000000Z","i":"${ID}"}`)],
    ['impossible hour', b64(`{"s":"2026-03-01T25:00:00.000000Z","i":"${ID}"}`)],
    ['timestamp as number', b64(`{"s":1772359200000000,"i":"${ID}"}`)],
    ['extra field', b64(`{"s":"2026-03-01T10:00:00.000000Z","i":"${ID}","t":"other-tenant"}`)],
    ['too long', 'A'.repeat(201)],
  ])('rejects a cursor that is %s', (_what, after) => {
    const error = errorOf(() => decodeCursor(after));
    expect(error.field).toBe('after');
    expect(error.message).toBe(BAD_CURSOR);
  });
});

describe('validFirst', () => {
  it('defaults to 50 and accepts 1..500', () => {
    expect(validFirst(undefined)).toBe(DEFAULT_CALLS_PAGE);
    expect(validFirst(null)).toBe(50);
    expect(validFirst(1)).toBe(1);
    expect(validFirst(500)).toBe(500);
  });
  it.each([0, -1, 501, 2.5, Number.NaN])('rejects %p', (first) => {
    const error = errorOf(() => validFirst(first));
    expect(error.field).toBe('first');
    expect(error.message).toBe('first must be between 1 and 500');
  });
});

describe('validCallFilter', () => {
  it('accepts an empty filter', () => {
    expect(validCallFilter(undefined)).toEqual({
      from: null,
      to: null,
      direction: null,
      disposition: null,
      status: null,
      queue: null,
      agent: null,
      numbers: null,
      sourceId: null,
    });
  });

  it('parses dates given as Date or ISO strings with offset, and trims text', () => {
    const f = validCallFilter({
      from: '2026-03-01T10:00:00+10:00',
      to: new Date('2026-03-02T00:00:00Z'),
      queue: ' 8000 ',
      agent: '101',
      number: '+61290000000',
      sourceId: ID.toUpperCase(),
      direction: 'INBOUND',
      disposition: 'ABANDONED',
      status: 'COMPLETED',
    });
    expect(f).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
      queue: '8000',
      agent: '101',
      numbers: ['+61290000000', '61290000000'],
      sourceId: ID,
      direction: 'INBOUND',
      disposition: 'ABANDONED',
      status: 'COMPLETED',
    });
  });

  it.each([
    ['from', { from: '2026-03-01' }, 'from is not a valid date (ISO 8601 with offset)'],
    ['to', { to: 'yesterday' }, 'to is not a valid date (ISO 8601 with offset)'],
    ['from', { from: new Date('nope') }, 'from is not a valid date (ISO 8601 with offset)'],
    ['to', { from: '2026-03-02T00:00:00Z', to: '2026-03-02T00:00:00Z' }, 'from must be before to'],
    ['direction', { direction: 'inbound' }, 'direction must be one of INBOUND, OUTBOUND, INTERNAL, TRANSIT, UNKNOWN'],
    [
      'disposition',
      { disposition: 'MISSED' },
      'disposition must be one of ANSWERED, NO_ANSWER, BUSY, FAILED, ABANDONED, VOICEMAIL',
    ],
    ['status', { status: 'DONE' }, 'status must be one of IN_PROGRESS, COMPLETED'],
    ['sourceId', { sourceId: 'abc' }, 'sourceId is not a UUID'],
    ['queue', { queue: '  ' }, 'queue must be a non-empty string of at most 200 characters'],
    ['agent', { agent: 'x'.repeat(201) }, 'agent must be a non-empty string of at most 200 characters'],
    ['number', { number: '' }, 'number must be a non-empty string of at most 200 characters'],
  ])('rejects a bad %s (case %#)', (field, filter, message) => {
    const error = errorOf(() => validCallFilter(filter as never));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });
});

describe('numberVariants', () => {
  it('matches with and without the leading +', () => {
    expect(numberVariants('+61290000000')).toEqual(['+61290000000', '61290000000']);
    expect(numberVariants('0290000000')).toEqual(['0290000000', '+0290000000']);
  });
});

describe('callsWhere', () => {
  it('always bounds by tenant and binds every value, typed', () => {
    const params: unknown[] = [];
    const where = callsWhere(
      'tenant',
      validCallFilter({ queue: "8000' OR 1=1 --", number: '101', agent: '102', direction: 'OUTBOUND' }),
      bindParams(params),
    );
    expect(where[0]).toBe('c.tenant_id = $1::uuid');
    expect(where.join(' ')).not.toContain('OR 1=1');
    expect(params).toEqual(['tenant', 'OUTBOUND', "8000' OR 1=1 --", '102', ['101', '+101']]);
    expect(where).toContain('c.queue = $3::text');
    expect(where.find((w) => w.includes('answered_by'))).toContain('l.tenant_id = $1::uuid');
    expect(where[where.length - 1]).toBe(
      '(c.caller_number = ANY($5::text[]) OR c.callee_number = ANY($5::text[]) OR c.did_number = ANY($5::text[]))',
    );
  });

  it('lets a caller bind values its own way (the CSV export)', () => {
    const values: unknown[] = [];
    const where = callsWhere('t', validCallFilter({ status: 'COMPLETED' }), (value, type) => {
      values.push(value);
      return `arg(${values.length - 1})::${type}`;
    });
    expect(where).toEqual(['c.tenant_id = arg(0)::uuid', 'c.status = arg(1)::text']);
    expect(values).toEqual(['t', 'COMPLETED']);
  });
});

describe('CALL_FIELDS', () => {
  it('lists every scalar field of Call once, in schema order', () => {
    const names = CALL_FIELDS.map((f) => f.name);
    expect(new Set(names).size).toBe(30);
    expect(names.slice(0, 3)).toEqual(['id', 'vendor', 'sourceId']);
    expect(names.slice(-5)).toEqual(['billableSeconds', 'cost', 'currency', 'ratePrefix', 'carrier']);
  });
});

describe('input errors are raised before any query', () => {
  const db = { query: jest.fn() };
  afterEach(() => db.query.mockReset());

  it('listCalls', async () => {
    await expect(listCalls(db, ID, { first: 501 })).rejects.toThrow('first must be between 1 and 500');
    await expect(listCalls(db, ID, { after: 'garbage!' })).rejects.toThrow(BAD_CURSOR);
    expect(db.query).not.toHaveBeenCalled();
  });

  it('batch loaders skip ids that are not UUIDs without querying', async () => {
    expect((await getCallsByIds(db, ID, ['nope', ''])).size).toBe(0);
    expect([...(await legsForCalls(db, ID, ['nope']))]).toEqual([['nope', []]]);
    expect(db.query).not.toHaveBeenCalled();
  });
});

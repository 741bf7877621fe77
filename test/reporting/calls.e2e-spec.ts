import { randomUUID } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { EventStore } from '@app/event-store';
import {
  CallEdgeRow,
  CallFilter,
  ReportInputError,
  eventsForCalls,
  getCallsByIds,
  legsForCalls,
  listCalls,
} from '@app/reporting';
import { TEST_DATABASE_URL, freshIds, testPool } from '../support/env';

let pool: Pool;
let store: EventStore;

beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
  store = new EventStore(pool);
});
afterAll(async () => {
  await pool?.end();
});

async function createTenant(): Promise<{ tenantId: string; sourceId: string }> {
  const ids = freshIds();
  await pool.query(`INSERT INTO tenants (id, name) VALUES ($1, 'calls-report')`, [ids.tenantId]);
  await createSource(ids.tenantId, ids.sourceId);
  return ids;
}

async function createSource(tenantId: string, sourceId: string = randomUUID()): Promise<string> {
  await pool.query(
    `INSERT INTO sources (id, tenant_id, name, vendor, auth_method, credentials)
     VALUES ($1, $2, 'pbx', 'portsip', 'none', '{}')`,
    [sourceId, tenantId],
  );
  return sourceId;
}

interface Seed {
  tenantId: string;
  sourceId: string;
  /** UTC with microseconds, e.g. 2026-01-15T10:00:00.000001Z (also the expected cursor time). */
  startedAt: string;
  id?: string;
  vendorCallId?: string;
  direction?: string;
  status?: string;
  disposition?: string | null;
  callerNumber?: string | null;
  calleeNumber?: string | null;
  didNumber?: string | null;
  answeredBy?: string | null;
  queue?: string | null;
}

/** Inserts a call_sessions row as the projection would write it; returns its id. */
async function insertCall(s: Seed): Promise<string> {
  const id = s.id ?? randomUUID();
  await pool.query(
    `INSERT INTO call_sessions (id, tenant_id, source_id, vendor, vendor_call_id, direction, status, disposition,
       caller_number, callee_number, did_number, answered_by, queue, started_at, last_event_at, event_count)
     VALUES ($1, $2, $3, 'portsip', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1)`,
    [
      id,
      s.tenantId,
      s.sourceId,
      s.vendorCallId ?? `vc-${id}`,
      s.direction ?? 'INBOUND',
      s.status ?? 'COMPLETED',
      s.disposition === undefined ? 'ANSWERED' : s.disposition,
      s.callerNumber ?? null,
      s.calleeNumber ?? null,
      s.didNumber ?? null,
      s.answeredBy ?? null,
      s.queue ?? null,
      s.startedAt,
    ],
  );
  return id;
}

/** `n` calls one second apart, newest at `base + n - 1` seconds; returns them in expected (newest-first) order. */
async function seedMany(tenantId: string, sourceId: string, n: number, base: number): Promise<Expected[]> {
  const out: Expected[] = [];
  for (let k = 0; k < n; k++) {
    // Every 7th call shares its start with the previous one (a tie broken by id), and the
    // microseconds differ from the milliseconds a JS Date could hold.
    const second = k % 7 === 6 ? k - 1 : k;
    const startedAt = isoMicros(base + second, 123457);
    out.push({ id: await insertCall({ tenantId, sourceId, startedAt }), startedAt });
  }
  return newestFirst(out);
}

interface Expected {
  id: string;
  startedAt: string;
}

const isoMicros = (epochSeconds: number, micros: number): string =>
  `${new Date(epochSeconds * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;

/** The API's order: started_at DESC, id DESC (uuid order is the order of its lower-case text). */
const newestFirst = (calls: Expected[]): Expected[] =>
  [...calls].sort((a, b) =>
    a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1,
  );

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id);

/** Every page of a listing, following endCursor. */
async function allPages(tenantId: string, filter: CallFilter, first: number): Promise<CallEdgeRow[][]> {
  const pages: CallEdgeRow[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = await listCalls(pool, tenantId, { filter, first, after });
    pages.push(page.rows);
    if (!page.hasNextPage) return pages;
    after = page.endCursor;
  }
}

async function inputError(promise: Promise<unknown>): Promise<ReportInputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReportInputError);
  return error as ReportInputError;
}

const BASE = Date.parse('2026-01-15T00:00:00Z') / 1000;

describe('listCalls filters', () => {
  let t: { tenantId: string; sourceId: string };
  let otherSource: string;
  const c: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTenant();
    otherSource = await createSource(t.tenantId);
    const at = (s: number) => isoMicros(BASE + s, 0);
    c.a = await insertCall({
      ...t,
      startedAt: at(0),
      callerNumber: '+61290000001',
      didNumber: '1300000000',
      queue: '8000',
      answeredBy: '101',
    });
    c.b = await insertCall({
      ...t,
      startedAt: at(60),
      direction: 'OUTBOUND',
      callerNumber: '101',
      calleeNumber: '0412345678',
      answeredBy: '0412345678',
    });
    c.c = await insertCall({
      ...t,
      startedAt: at(120),
      disposition: 'ABANDONED',
      callerNumber: '61290000002',
      queue: '8000',
    });
    c.d = await insertCall({
      ...t,
      startedAt: at(180),
      direction: 'INTERNAL',
      disposition: 'NO_ANSWER',
      callerNumber: '102',
      calleeNumber: '103',
    });
    c.e = await insertCall({
      ...t,
      sourceId: otherSource,
      startedAt: at(240),
      status: 'IN_PROGRESS',
      disposition: null,
      callerNumber: '+61290000003',
      queue: '8001',
    });
    // Rang agent 101 (an extension leg) without being answered by it; a queue leg named 101
    // (a queue number, not an agent) must not count.
    c.f = await insertCall({ ...t, startedAt: at(300), disposition: 'VOICEMAIL', answeredBy: 'voicemail:900' });
    c.g = await insertCall({ ...t, startedAt: at(360), answeredBy: '102' });
    await pool.query(
      `INSERT INTO call_legs (tenant_id, call_id, ordinal, destination, kind, status) VALUES
         ($1, $2, 0, '101', 'extension', 'no_answer'), ($1, $2, 1, '900', 'voicemail', 'answered'),
         ($1, $3, 0, '101', 'queue', 'answered'), ($1, $3, 1, '102', 'extension', 'answered')`,
      [t.tenantId, c.f, c.g],
    );
  });

  const list = async (filter: CallFilter) => {
    const page = await listCalls(pool, t.tenantId, { filter });
    expect(page.totalCount).toBe(page.rows.length);
    return ids(page.rows);
  };

  it('without a filter: every call of the tenant, newest first', async () => {
    expect(await list({})).toEqual([c.g, c.f, c.e, c.d, c.c, c.b, c.a]);
  });

  it('from/to is [from, to) on started_at', async () => {
    const at = (s: number) => new Date((BASE + s) * 1000);
    expect(await list({ from: at(60), to: at(240) })).toEqual([c.d, c.c, c.b]);
    expect(await list({ from: at(61) })).toEqual([c.g, c.f, c.e, c.d, c.c]);
    expect(await list({ to: at(60) })).toEqual([c.a]);
    expect(await list({ from: '2026-01-15T10:03:00+10:00', to: '2026-01-15T00:04:00.001Z' })).toEqual([c.e, c.d]);
  });

  it('direction, disposition, status, queue, sourceId', async () => {
    expect(await list({ direction: 'OUTBOUND' })).toEqual([c.b]);
    expect(await list({ direction: 'INTERNAL' })).toEqual([c.d]);
    expect(await list({ direction: 'TRANSIT' })).toEqual([]);
    expect(await list({ disposition: 'ABANDONED' })).toEqual([c.c]);
    expect(await list({ disposition: 'ANSWERED' })).toEqual([c.g, c.b, c.a]);
    expect(await list({ status: 'IN_PROGRESS' })).toEqual([c.e]);
    expect(await list({ status: 'COMPLETED' })).toEqual([c.g, c.f, c.d, c.c, c.b, c.a]);
    expect(await list({ queue: '8000' })).toEqual([c.c, c.a]);
    expect(await list({ queue: '800' })).toEqual([]);
    expect(await list({ sourceId: otherSource })).toEqual([c.e]);
    expect(await list({ sourceId: otherSource.toUpperCase() })).toEqual([c.e]);
    expect(await list({ sourceId: t.sourceId })).toEqual([c.g, c.f, c.d, c.c, c.b, c.a]);
  });

  it('agent: answered by the agent, or rung as an extension leg', async () => {
    expect(await list({ agent: '101' })).toEqual([c.f, c.a]);
    expect(await list({ agent: '102' })).toEqual([c.g]);
    expect(await list({ agent: '900' })).toEqual([]);
    expect(await list({ agent: '0412345678' })).toEqual([c.b]);
  });

  it('number: caller, callee or DID, with or without a leading +', async () => {
    expect(await list({ number: '+61290000001' })).toEqual([c.a]);
    expect(await list({ number: '61290000001' })).toEqual([c.a]);
    expect(await list({ number: '+61290000002' })).toEqual([c.c]);
    expect(await list({ number: '61290000003' })).toEqual([c.e]);
    expect(await list({ number: '0412345678' })).toEqual([c.b]);
    expect(await list({ number: '1300000000' })).toEqual([c.a]);
    expect(await list({ number: '101' })).toEqual([c.b]);
    expect(await list({ number: '103' })).toEqual([c.d]);
    expect(await list({ number: '6129000000' })).toEqual([]);
  });

  it('combines filters with AND, and totalCount counts every page', async () => {
    expect(await list({ queue: '8000', disposition: 'ANSWERED' })).toEqual([c.a]);
    expect(await list({ direction: 'INBOUND', status: 'COMPLETED', from: new Date((BASE + 1) * 1000) })).toEqual([
      c.g,
      c.f,
      c.c,
    ]);
    const page = await listCalls(pool, t.tenantId, { filter: { direction: 'INBOUND' }, first: 2 });
    expect(ids(page.rows)).toEqual([c.g, c.f]);
    expect(page.hasNextPage).toBe(true);
    expect(page.totalCount).toBe(5);
    // Without the count (GraphQL when totalCount is not selected): the same page, no count.
    const uncounted = await listCalls(pool, t.tenantId, {
      filter: { direction: 'INBOUND' },
      first: 2,
      withTotalCount: false,
    });
    expect(uncounted).toEqual({ ...page, totalCount: null });
  });

  it('rejects bad input with the field name', async () => {
    const from = new Date((BASE + 60) * 1000);
    expect((await inputError(listCalls(pool, t.tenantId, { filter: { from, to: from } }))).field).toBe('to');
    expect((await inputError(listCalls(pool, t.tenantId, { filter: { sourceId: '42' } }))).field).toBe('sourceId');
    expect((await inputError(listCalls(pool, t.tenantId, { filter: { direction: 'SIDEWAYS' as never } }))).field).toBe(
      'direction',
    );
  });
});

describe('listCalls pagination', () => {
  let t: { tenantId: string; sourceId: string };
  let expected: Expected[];

  beforeAll(async () => {
    t = await createTenant();
    expected = await seedMany(t.tenantId, t.sourceId, 120, BASE);
  });

  it('pages through 120 calls with first=50: each exactly once, in order', async () => {
    const pages = await allPages(t.tenantId, {}, 50);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    const seen = pages.flat();
    expect(ids(seen)).toEqual(ids(expected));
    expect(new Set(ids(seen)).size).toBe(120);
    // started_at keeps its microseconds in the cursor (a Date would round them to .123).
    const last = JSON.parse(Buffer.from(seen[0].cursor, 'base64url').toString('utf8')) as { s: string; i: string };
    expect(last).toEqual({ s: expected[0].startedAt, i: expected[0].id });
    expect(seen[0].startedAt).toEqual(new Date(expected[0].startedAt.replace('457Z', 'Z')));
  });

  it('reports hasNextPage, endCursor and totalCount on every page', async () => {
    const p1 = await listCalls(pool, t.tenantId, { first: 50 });
    expect(p1).toMatchObject({ hasNextPage: true, totalCount: 120, endCursor: p1.rows[49].cursor });
    const p3 = await listCalls(pool, t.tenantId, {
      first: 50,
      after: (await listCalls(pool, t.tenantId, { first: 50, after: p1.endCursor })).endCursor,
    });
    expect(p3).toMatchObject({ hasNextPage: false, totalCount: 120, endCursor: p3.rows[19].cursor });
    // Any row's cursor continues right after that row (rows 29 and 30 share started_at, so this
    // cursor sits inside a tie and only the id tells the rows apart).
    expect(expected[29].startedAt).toBe(expected[30].startedAt);
    const mid = await listCalls(pool, t.tenantId, { first: 20, after: p1.rows[29].cursor });
    expect(ids(mid.rows)).toEqual(ids(expected.slice(30, 50)));
    const end = await listCalls(pool, t.tenantId, { first: 5, after: p3.endCursor });
    expect(end).toEqual({ rows: [], hasNextPage: false, endCursor: null, totalCount: 120 });
  });

  it('the default page is 50; first must be 1..500', async () => {
    expect((await listCalls(pool, t.tenantId, {})).rows).toHaveLength(50);
    expect((await listCalls(pool, t.tenantId, { first: 500 })).rows).toHaveLength(120);
    for (const first of [501, 0, -5]) {
      const error = await inputError(listCalls(pool, t.tenantId, { first }));
      expect(error.field).toBe('first');
      expect(error.message).toBe('first must be between 1 and 500');
    }
  });

  it('rejects a malformed or tampered cursor', async () => {
    const good = (await listCalls(pool, t.tenantId, { first: 1 })).endCursor!;
    const tampered = Buffer.from(
      // Well-formed, but month 13: must not reach PostgreSQL as a date/time error.
      Buffer.from(good, 'base64url')
        .toString('utf8')
        .replace(/"s":"(\d{4})-\d{2}/, '"s":"$1-13'),
    ).toString('base64url');
    for (const after of ['nope', '', `${good}!`, good.slice(0, -3), tampered]) {
      const error = await inputError(listCalls(pool, t.tenantId, { after }));
      expect(error.field).toBe('after');
      expect(error.message).toBe('after is not a cursor returned by this API');
    }
  });

  it('a cursor stays valid while newer calls arrive: no duplicates, no skips', async () => {
    const own = await createTenant();
    const before = await seedMany(own.tenantId, own.sourceId, 120, BASE);
    const p1 = await listCalls(pool, own.tenantId, { first: 50 });
    expect(ids(p1.rows)).toEqual(ids(before.slice(0, 50)));

    // Ten newer calls arrive between the first and the next pages.
    const newer: Expected[] = [];
    for (let k = 1; k <= 10; k++) {
      const startedAt = isoMicros(BASE + 1000 + k, 0);
      newer.push({ id: await insertCall({ ...own, startedAt }), startedAt });
    }

    const rest: CallEdgeRow[] = [];
    let after = p1.endCursor;
    for (;;) {
      const page = await listCalls(pool, own.tenantId, { first: 50, after });
      expect(page.totalCount).toBe(130);
      rest.push(...page.rows);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(ids(rest)).toEqual(ids(before.slice(50)));
    // A fresh listing shows the new calls first, then the same sequence.
    const fresh = (await allPages(own.tenantId, {}, 50)).flat();
    expect(ids(fresh)).toEqual(ids(newestFirst([...before, ...newer])));
  });

  it('pages filtered results with the filter kept across pages', async () => {
    const every3rd = expected.filter((_, k) => k % 3 === 0).map((e) => e.id);
    // Mark every third call (in expected order) as OUTBOUND.
    await pool.query(`UPDATE call_sessions SET direction = 'OUTBOUND' WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [
      t.tenantId,
      every3rd,
    ]);
    const pages = await allPages(t.tenantId, { direction: 'OUTBOUND' }, 15);
    expect(pages.map((p) => p.length)).toEqual([15, 15, 10]);
    expect(ids(pages.flat())).toEqual(every3rd);
    await pool.query(`UPDATE call_sessions SET direction = 'INBOUND' WHERE tenant_id = $1`, [t.tenantId]);
  });
});

describe('tenant isolation', () => {
  let a: { tenantId: string; sourceId: string };
  let b: { tenantId: string; sourceId: string };
  let aCalls: Expected[];
  let bCalls: Expected[];

  beforeAll(async () => {
    a = await createTenant();
    b = await createTenant();
    // Interleaved in time, with the same vendor call ids in both tenants.
    aCalls = await seedMany(a.tenantId, a.sourceId, 30, BASE);
    bCalls = [];
    for (let k = 0; k < 30; k++) {
      const startedAt = isoMicros(BASE + k, 500000);
      bCalls.push({
        id: await insertCall({ ...b, startedAt, vendorCallId: `vc-${aCalls[k].id}`, queue: '8000' }),
        startedAt,
      });
    }
    bCalls = newestFirst(bCalls);
  });

  it("never lists another tenant's calls, with any filter", async () => {
    const aIds = (await allPages(a.tenantId, {}, 7)).flat().map((r) => r.id);
    expect(aIds).toEqual(ids(aCalls));
    expect((await listCalls(pool, a.tenantId, { filter: { queue: '8000' } })).totalCount).toBe(0);
    expect((await listCalls(pool, a.tenantId, { filter: { sourceId: b.sourceId } })).rows).toEqual([]);
  });

  it("a cursor of tenant A used by tenant B only positions within B's calls", async () => {
    const aPage = await listCalls(pool, a.tenantId, { first: 10 });
    const cursorTime = aCalls[9].startedAt;
    const bPage = await listCalls(pool, b.tenantId, { first: 500, after: aPage.endCursor });
    expect(ids(bPage.rows)).toEqual(ids(bCalls.filter((c) => c.startedAt < cursorTime)));
    expect(bPage.rows.every((r) => r.sourceId === b.sourceId)).toBe(true);
    expect(bPage.totalCount).toBe(30);
  });

  it("call(id), legs and events of another tenant's calls are not found", async () => {
    const aIds = ids(aCalls.slice(0, 3));
    expect((await getCallsByIds(pool, b.tenantId, aIds)).size).toBe(0);
    expect([...(await legsForCalls(pool, b.tenantId, aIds)).values()]).toEqual([[], [], []]);
    expect([...(await eventsForCalls(pool, b.tenantId, aIds)).values()]).toEqual([[], [], []]);
  });
});

describe('getCallsByIds, legsForCalls, eventsForCalls', () => {
  let t: { tenantId: string; sourceId: string };
  let ids3: string[];
  const rawOf: Record<string, Buffer> = {};

  beforeAll(async () => {
    t = await createTenant();
    ids3 = [];
    for (let k = 0; k < 3; k++)
      ids3.push(await insertCall({ ...t, startedAt: isoMicros(BASE + k, 1), vendorCallId: `call-${k}` }));
    await pool.query(
      `INSERT INTO call_legs (tenant_id, call_id, ordinal, destination, kind, status, started_at, answered_at,
         ended_at, ring_seconds, talk_seconds, end_reason) VALUES
         ($1, $2, 1, '101', 'extension', 'answered', '2026-01-15T00:00:05Z', '2026-01-15T00:00:09Z',
          '2026-01-15T00:01:09Z', 4, 60, 'caller_hangup'),
         ($1, $2, 0, '8000', 'queue', 'answered', '2026-01-15T00:00:01Z', NULL, NULL, NULL, NULL, NULL),
         ($1, $3, 0, '0412345678', 'external', 'failed', NULL, NULL, NULL, NULL, NULL, '503')`,
      [t.tenantId, ids3[0], ids3[1]],
    );
    // Exact bytes: odd spacing, key order, an escape and a non-ASCII character.
    rawOf.late = Buffer.from('{ "event" : "hangup",\n  "at": 3, "name":"Ren\\u00e9e Zoë" }');
    rawOf.first = Buffer.from('{"event":"ringing","at":1}');
    rawOf.mid = Buffer.from('{"at":2,  "event":"answered"}');
    rawOf.noTime = Buffer.from('{"event":"note"}');
    const ev = (callKey: string, dedupKey: string, raw: Buffer, occurredAt: Date | null, extra = {}) => ({
      tenantId: t.tenantId,
      sourceId: t.sourceId,
      vendor: 'portsip',
      type: JSON.parse(raw.toString('utf8')).event as string,
      recognized: true,
      dedupKey,
      occurredAt,
      callKey,
      raw,
      ...extra,
    });
    const at = (s: number) => new Date((BASE + s) * 1000);
    // Appended out of occurred order, so position order differs from the expected order.
    await store.append([
      ev('call-0', 'late', rawOf.late, at(3)),
      ev('call-0', 'no-time', rawOf.noTime, null),
      ev('call-0', 'first', rawOf.first, at(1)),
    ]);
    await store.append([ev('call-0', 'mid', rawOf.mid, at(2)), ev('call-2', 'c2', rawOf.first, at(1))]);
    // Same call key but another source, and another tenant: not events of call-0.
    const otherSource = await createSource(t.tenantId);
    await store.append([ev('call-0', 'other-source', rawOf.first, at(0), { sourceId: otherSource })]);
    const other = await createTenant();
    await store.append([
      ev('call-0', 'other-tenant', rawOf.first, at(0), { tenantId: other.tenantId, sourceId: other.sourceId }),
    ]);
  });

  /** A pool wrapper that counts queries (one per batch, never one per call). */
  const counting = () => {
    const calls: string[] = [];
    return {
      calls,
      db: {
        query: (text: string, values?: unknown[]) => {
          calls.push(text);
          return pool.query(text, values);
        },
      },
    };
  };

  it('getCallsByIds returns every Call field, keyed by the ids as given', async () => {
    const { db, calls } = counting();
    const found = await getCallsByIds(db as never, t.tenantId, [ids3[0].toUpperCase(), ids3[1], 'nope', randomUUID()]);
    expect(calls).toHaveLength(1);
    expect([...found.keys()]).toEqual([ids3[0].toUpperCase(), ids3[1]]);
    expect(found.get(ids3[1])).toEqual({
      id: ids3[1],
      vendor: 'portsip',
      sourceId: t.sourceId,
      vendorCallId: 'call-1',
      sessionId: null,
      direction: 'INBOUND',
      status: 'COMPLETED',
      disposition: 'ANSWERED',
      callerNumber: null,
      callerName: null,
      calleeNumber: null,
      didNumber: null,
      answeredBy: null,
      queue: null,
      ringGroup: null,
      trunk: null,
      endReason: null,
      digits: null,
      startedAt: new Date((BASE + 1) * 1000),
      answeredAt: null,
      endedAt: null,
      ringSeconds: null,
      talkSeconds: null,
      holdSeconds: null,
      durationSeconds: null,
      billableSeconds: null,
      cost: null,
      currency: null,
      ratePrefix: null,
      carrier: null,
    });
  });

  it('legsForCalls: one query, legs by ordinal, an empty list for calls without legs', async () => {
    const { db, calls } = counting();
    const legs = await legsForCalls(db as never, t.tenantId, [...ids3, 'not-a-uuid']);
    expect(calls).toHaveLength(1);
    expect([...legs.keys()]).toEqual([...ids3, 'not-a-uuid']);
    expect(legs.get(ids3[0])).toEqual([
      {
        destination: '8000',
        kind: 'queue',
        status: 'answered',
        startedAt: new Date('2026-01-15T00:00:01Z'),
        answeredAt: null,
        endedAt: null,
        ringSeconds: null,
        talkSeconds: null,
        endReason: null,
      },
      {
        destination: '101',
        kind: 'extension',
        status: 'answered',
        startedAt: new Date('2026-01-15T00:00:05Z'),
        answeredAt: new Date('2026-01-15T00:00:09Z'),
        endedAt: new Date('2026-01-15T00:01:09Z'),
        ringSeconds: 4,
        talkSeconds: 60,
        endReason: 'caller_hangup',
      },
    ]);
    expect(legs.get(ids3[1])).toEqual([expect.objectContaining({ destination: '0412345678', endReason: '503' })]);
    expect(legs.get(ids3[2])).toEqual([]);
    expect(legs.get('not-a-uuid')).toEqual([]);
  });

  it('work the same as the API runs them: role cdr_api under row-level security', async () => {
    const asApi = async <T>(settingTenant: string, fn: (db: PoolClient) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN READ ONLY');
        await client.query('SET LOCAL ROLE cdr_api');
        await client.query(`SELECT set_config('cdr.tenant_id', $1, true)`, [settingTenant]);
        return await fn(client);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    };
    const direct = {
      page: await listCalls(pool, t.tenantId, { first: 2 }),
      legs: await legsForCalls(pool, t.tenantId, ids3),
      events: await eventsForCalls(pool, t.tenantId, ids3),
    };
    const viaApi = await asApi(t.tenantId, async (db) => ({
      page: await listCalls(db, t.tenantId, { first: 2 }),
      legs: await legsForCalls(db, t.tenantId, ids3),
      events: await eventsForCalls(db, t.tenantId, ids3),
    }));
    expect(viaApi).toEqual(direct);
    expect(direct.page.totalCount).toBe(3);
    // Even a query naming this tenant sees nothing when the session belongs to another one.
    const other = await createTenant();
    const leak = await asApi(other.tenantId, async (db) => ({
      page: await listCalls(db, t.tenantId, {}),
      calls: await getCallsByIds(db, t.tenantId, ids3),
    }));
    expect(leak.page).toEqual({ rows: [], hasNextPage: false, endCursor: null, totalCount: 0 });
    expect(leak.calls.size).toBe(0);
  });

  it('eventsForCalls: one query, the exact bytes, by occurred time then position, own source and tenant only', async () => {
    const { db, calls } = counting();
    const events = await eventsForCalls(db as never, t.tenantId, ids3);
    expect(calls).toHaveLength(1);
    const call0 = events.get(ids3[0])!;
    expect(call0.map((e) => e.payload)).toEqual(
      [rawOf.first, rawOf.mid, rawOf.late, rawOf.noTime].map((b) => b.toString('utf8')),
    );
    expect(call0.map((e) => e.type)).toEqual(['ringing', 'answered', 'hangup', 'note']);
    expect(call0.map((e) => e.occurredAt)).toEqual([
      new Date((BASE + 1) * 1000),
      new Date((BASE + 2) * 1000),
      new Date((BASE + 3) * 1000),
      null,
    ]);
    expect(Buffer.from(call0[2].payload, 'utf8').equals(rawOf.late)).toBe(true);
    for (const e of call0) {
      expect(e.position).toMatch(/^\d+$/);
      expect(e.receivedAt).toBeInstanceOf(Date);
    }
    // Positions follow append order: late < no-time < first < mid.
    const [first, mid, late, noTime] = call0.map((e) => BigInt(e.position));
    expect(late < noTime && noTime < first && first < mid).toBe(true);
    expect(events.get(ids3[1])).toEqual([]);
    expect(events.get(ids3[2])!.map((e) => e.payload)).toEqual([rawOf.first.toString('utf8')]);
  });
});

import { randomUUID } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import {
  Checkpoint,
  CheckpointConflictError,
  EventStore,
  EventStoreMaintenance,
  NewEvent,
  START_CHECKPOINT,
  StoredEvent,
  inIndexOrder,
  tenantPartition,
  markNonAppending,
  toPayloadJson,
} from '@app/event-store';
import { TEST_DATABASE_URL, freshIds, testPool, waitFor } from '../support/env';

let pool: Pool;
let store: EventStore;

beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL, { max: 30 });
  store = new EventStore(pool);
});
afterAll(() => pool.end());

function event(ids: { tenantId: string; sourceId: string }, key: string, body?: string): NewEvent {
  const raw = Buffer.from(body ?? `{"event": "CALL_ANSWER",  "id": "${key}", "n": 1.50}`);
  return {
    ...ids,
    vendor: 'nexbro',
    type: 'CALL_ANSWER',
    recognized: true,
    dedupKey: key,
    occurredAt: new Date('2026-01-27T17:02:30Z'),
    callKey: 'call-1',
    extension: '102',
    raw,
    payloadJson: toPayloadJson(JSON.parse(raw.toString('utf8'))),
  };
}

/** Reads every committed event of one tenant after the start, following checkpoints. */
async function readAllOf(tenantId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cp = START_CHECKPOINT;
  for (;;) {
    const batch = await store.readAfter(cp, 1000);
    if (batch.length === 0) return out;
    out.push(...batch.filter((e) => e.tenantId === tenantId));
    cp = EventStore.checkpointAfter(batch, cp);
  }
}

describe('append', () => {
  it('stores events with every field and the exact bytes received', async () => {
    const ids = freshIds();
    const body = '{"event":"CALL_ANSWER", "dup":1, "dup":2, "amount": 1.50e0}';
    const result = await store.append([event(ids, 'a', body), event(ids, 'b')]);
    expect(result.accepted).toBe(2);
    expect(result.duplicates).toBe(0);
    expect(result.outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);

    const events = await readAllOf(ids.tenantId);
    expect(events).toHaveLength(2);
    const [a, b] = events;
    expect(a.raw.toString('utf8')).toBe(body); // duplicate keys and number formatting survive
    expect(a.payload).toEqual({ event: 'CALL_ANSWER', dup: 2, amount: 1.5 });
    expect(a).toMatchObject({
      tenantId: ids.tenantId,
      sourceId: ids.sourceId,
      vendor: 'nexbro',
      type: 'CALL_ANSWER',
      recognized: true,
      dedupKey: 'a',
      callKey: 'call-1',
      extension: '102',
      occurredAt: new Date('2026-01-27T17:02:30Z'),
    });
    expect(a.receivedAt).toBeInstanceOf(Date);
    expect(BigInt(b.position)).toBeGreaterThan(BigInt(a.position));
    expect(result.outcomes[0]).toEqual({ status: 'stored', position: a.position });
  });

  it('reports repeats within a batch and across batches as duplicates', async () => {
    const ids = freshIds();
    const first = await store.append([event(ids, 'k1'), event(ids, 'k1'), event(ids, 'k2')]);
    expect(first.outcomes.map((o) => o.status)).toEqual(['stored', 'duplicate', 'stored']);
    const again = await store.append([event(ids, 'k2'), event(ids, 'k3')]);
    expect(again).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(again.outcomes[0]).toEqual({ status: 'duplicate' });
    expect((await readAllOf(ids.tenantId)).map((e) => e.dedupKey)).toEqual(['k1', 'k2', 'k3']);
  });

  it('scopes dedup keys to the source', async () => {
    const ids = freshIds();
    const other = { tenantId: ids.tenantId, sourceId: randomUUID() };
    const r = await store.append([event(ids, 'same'), event(other, 'same')]);
    expect(r.accepted).toBe(2);
  });

  it('stores one row when the same event is appended concurrently', async () => {
    const ids = freshIds();
    const results = await Promise.all(Array.from({ length: 12 }, () => store.append([event(ids, 'race')])));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(11);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM raw_events WHERE source_id = $1', [ids.sourceId]);
    expect(rows[0].n).toBe(1);
  });

  it('does not deadlock when concurrent batches share keys in different orders', async () => {
    const ids = freshIds();
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const batches = Array.from({ length: 8 }, (_, w) =>
      [...keys].sort(() => (w % 2 ? 1 : -1)).map((k) => event(ids, k)),
    );
    const results = await Promise.all(batches.map((b) => store.append(b)));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(50);
  });

  it('stores nothing of a batch whose transaction rolls back', async () => {
    const ids = freshIds();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await store.append([event(ids, 'x')], client);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await readAllOf(ids.tenantId)).toEqual([]);
    expect((await store.append([event(ids, 'x')])).accepted).toBe(1); // the claim was rolled back too
  });

  it('keeps payloads with U+0000 (jsonb cannot) with their exact bytes', async () => {
    const ids = freshIds();
    const body = '{"name":"a\\u0000b"}';
    await store.append([
      { ...event(ids, 'nul'), raw: Buffer.from(body), payloadJson: toPayloadJson(JSON.parse(body)) },
    ]);
    const [stored] = await readAllOf(ids.tenantId);
    expect(stored.raw.toString()).toBe(body);
    expect(stored.payload).toEqual({ name: 'a\ufffdb' });
  });

  it('keeps payloads with lone surrogates (jsonb rejects them) with their exact bytes', async () => {
    const ids = freshIds();
    const body = '{"name":"caller \\ud83d","ok":"\\ud83d\\udcde"}';
    await store.append([
      { ...event(ids, 'surrogate'), raw: Buffer.from(body), payloadJson: toPayloadJson(JSON.parse(body)) },
    ]);
    const [stored] = await readAllOf(ids.tenantId);
    expect(stored.raw.toString()).toBe(body);
    expect(stored.payload).toEqual({ name: 'caller \ufffd', ok: '📞' });
  });

  it('rejects malformed events before touching the database', async () => {
    const ids = freshIds();
    await expect(store.append([{ ...event(ids, 'a'), tenantId: 'nope' }])).rejects.toThrow(
      'event 0: tenantId must be a UUID',
    );
    await expect(store.append([event(ids, 'b'), { ...event(ids, '') }])).rejects.toThrow(
      'event 1: dedupKey is required',
    );
    expect(await readAllOf(ids.tenantId)).toEqual([]);
  });
});

describe('gap-safe reads', () => {
  it('sees every committed event exactly once while 8 writers hold transactions open for random times', async () => {
    const ids = freshIds();
    const writers = 8;
    const perWriter = 25;
    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    let writing = true;

    const writer = async (w: number) => {
      for (let i = 0; i < perWriter; i++) {
        const client: PoolClient = await pool.connect();
        const key = `w${w}-${i}`;
        try {
          await client.query('BEGIN');
          await store.append([event(ids, key)], client);
          // Hold the transaction open so positions commit out of order.
          await new Promise((r) => setTimeout(r, Math.random() * 40));
          if (i % 10 === 9) {
            await client.query('ROLLBACK');
            rolledBack.add(key);
          } else {
            await client.query('COMMIT');
            committed.add(key);
          }
        } finally {
          client.release();
        }
      }
    };

    const seen: string[] = [];
    const reader = async () => {
      let cp = START_CHECKPOINT;
      for (;;) {
        const done = !writing;
        const batch = await store.readAfter(cp, 7); // small pages stress the checkpoint logic
        seen.push(...batch.filter((e) => e.tenantId === ids.tenantId).map((e) => e.dedupKey));
        cp = EventStore.checkpointAfter(batch, cp);
        if (batch.length === 0) {
          if (done && seen.length >= committed.size) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };

    const readerDone = reader();
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    writing = false;
    await readerDone;

    expect(committed.size).toBe(writers * (perWriter - 2));
    expect(seen).toHaveLength(committed.size);
    expect(new Set(seen)).toEqual(committed);
    for (const key of rolledBack) expect(seen).not.toContain(key);
  });

  it('is held back by a running transaction that may append, never by one marked as not appending', async () => {
    const ids = freshIds();
    const open = async (marked: boolean) => {
      const client = await pool.connect();
      await client.query('BEGIN');
      if (marked) await markNonAppending(client);
      await client.query('SELECT pg_current_xact_id()'); // holds a transaction id, as a writer does
      return client;
    };
    const keysOf = async () => (await readAllOf(ids.tenantId)).map((e) => e.dedupKey);
    const projectionLike = await open(true);
    const mayAppend = await open(false);
    try {
      await store.append([event(ids, 'behind-both')]);
      // The unmarked transaction began first and may still append: the event stays out of sight.
      expect(await keysOf()).toEqual([]);
      await mayAppend.query('COMMIT');
      // Only the marked transaction is left running; it does not hold the event back.
      await waitFor(async () => ((await keysOf()).length === 1 ? true : null), 15000, 'event visible');
      expect(await keysOf()).toEqual(['behind-both']);
    } finally {
      await mayAppend.query('ROLLBACK').catch(() => undefined);
      mayAppend.release();
      await projectionLike.query('ROLLBACK');
      projectionLike.release();
    }
  });

  it('pages through large transactions in numeric position order (never text order)', async () => {
    const ids = freshIds();
    const keys = Array.from({ length: 1200 }, (_, i) => `big-${i}`);
    await store.append(keys.slice(0, 600).map((k) => event(ids, k)));
    await store.append(keys.slice(600).map((k) => event(ids, k)));
    const seen: StoredEvent[] = [];
    let cp = START_CHECKPOINT;
    for (;;) {
      const batch = await store.readAfter(cp, 97, undefined, { fields: 'keys' });
      if (!batch.length) break;
      seen.push(...batch.filter((e) => e.tenantId === ids.tenantId));
      cp = EventStore.checkpointAfter(batch, cp);
    }
    expect(seen.map((e) => e.dedupKey)).toEqual(keys);
    const positions = seen.map((e) => BigInt(e.position));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1])).toBe(true);
  });

  it('returns events in a stable (transaction, position) order', async () => {
    const ids = freshIds();
    await store.append([event(ids, 'o1'), event(ids, 'o2'), event(ids, 'o3')]);
    const first = await readAllOf(ids.tenantId);
    const second = await readAllOf(ids.tenantId);
    expect(second.map((e) => e.position)).toEqual(first.map((e) => e.position));
    expect(first.map((e) => e.dedupKey)).toEqual(['o1', 'o2', 'o3']);
  });

  it('splits events by tenant partition exactly as tenantPartition computes it', async () => {
    const tenants = Array.from({ length: 12 }, () => freshIds());
    await store.append(tenants.map((ids, i) => event(ids, `p${i}`)));
    const mine = new Set(tenants.map((t) => t.tenantId));
    const count = 4;
    const seen = new Map<string, number>();
    for (let index = 0; index < count; index++) {
      let cp = START_CHECKPOINT;
      for (;;) {
        const batch = await store.readAfter(cp, 500, undefined, { partition: { index, count }, fields: 'keys' });
        if (!batch.length) break;
        for (const e of batch.filter((x) => mine.has(x.tenantId))) {
          expect(e.payload).toBeNull(); // keys only
          expect(tenantPartition(e.tenantId, count)).toBe(index);
          seen.set(e.tenantId, index);
        }
        cp = EventStore.checkpointAfter(batch, cp);
      }
    }
    expect(seen.size).toBe(tenants.length);
    await expect(
      store.readAfter(START_CHECKPOINT, 1, undefined, { partition: { index: 4, count: 4 } }),
    ).rejects.toThrow(RangeError);
  });

  it("moves a quiet partition on past the other partitions' events, never past one still to commit", async () => {
    // Tenant ids whose last byte puts them in partition 0 (quiet) and 1 (busy) of 4.
    const inPartition = (p: number) => ({ ...freshIds(), tenantId: `${randomUUID().slice(0, -2)}0${p}` });
    const quiet = inPartition(0);
    const busy = inPartition(1);
    const partition = { index: 0, count: 4 };
    const after = (a: Checkpoint, b: Checkpoint) =>
      BigInt(a.txId) > BigInt(b.txId) || (a.txId === b.txId && BigInt(a.position) > BigInt(b.position));
    // Start where partition 0 stands now (other suites append concurrently).
    let cp = START_CHECKPOINT;
    for (;;) {
      const page = await store.readPage(cp, 1000, undefined, { partition, fields: 'keys' });
      cp = page.end;
      if (page.events.length < 1000) break;
    }

    await store.append([event(busy, 'busy-1')]);
    const [busyEvent] = await waitFor(async () => {
      const mine = (await readAllOf(busy.tenantId)).filter((e) => e.dedupKey === 'busy-1');
      return mine.length ? mine : null;
    });
    const page = await store.readPage(cp, 1000, undefined, { partition, fields: 'keys' });
    expect(page.events.filter((e) => e.tenantId === quiet.tenantId)).toEqual([]);
    // Not full, so the end is the settled end of the whole store: at or after the busy event.
    expect(after(busyEvent, page.end)).toBe(false);
    cp = page.end;

    // An appender of partition 0 still running: the end must stay before its transaction.
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      await store.append([event(quiet, 'quiet-late')], writer);
      const { rows } = await writer.query<{ tx: string }>('SELECT pg_current_xact_id()::text AS tx');
      await store.append([event(busy, 'busy-2')]);
      const held = await store.readPage(cp, 1000, undefined, { partition, fields: 'keys' });
      expect(held.events.filter((e) => e.tenantId === quiet.tenantId)).toEqual([]);
      expect(BigInt(held.end.txId) < BigInt(rows[0].tx)).toBe(true);
      cp = held.end;
      await writer.query('COMMIT');
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      writer.release();
    }
    // Once committed, the late event is read from where the partition had moved to.
    const late = await waitFor(async () => {
      const p = await store.readPage(cp, 1000, undefined, { partition, fields: 'keys' });
      const mine = p.events.filter((e) => e.tenantId === quiet.tenantId);
      return mine.length ? mine : null;
    });
    expect(late.map((e) => e.dedupKey)).toEqual(['quiet-late']);
  });

  it('ends a full page at its last event', async () => {
    const ids = freshIds();
    await store.append(['f1', 'f2', 'f3'].map((k) => event(ids, k)));
    const mine = await waitFor(async () => {
      const all = await readAllOf(ids.tenantId);
      return all.length === 3 ? all : null;
    });
    const before = { txId: mine[0].txId, position: String(BigInt(mine[0].position) - 1n) };
    const page = await store.readPage(before, 2, undefined, { partition: { index: 0, count: 1 } });
    expect(page.events.map((e) => e.dedupKey)).toEqual(['f1', 'f2']);
    expect(page.end).toEqual({ txId: mine[1].txId, position: mine[1].position });
  });

  it('reads in index order with sorting off for that statement only', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const rows = await inIndexOrder<{ s: string }>(client, `SELECT current_setting('enable_sort') AS s`, []);
      expect(rows).toEqual([{ s: 'off' }]);
      const { rows: after } = await client.query<{ enable_sort: string }>('SHOW enable_sort');
      expect(after[0].enable_sort).toBe('on');
      // A failed read is reported as itself.
      await expect(inIndexOrder(client, 'SELECT 1/0', [])).rejects.toThrow('division by zero');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('rejects bad checkpoints and limits', async () => {
    await expect(store.readAfter({ txId: '-1', position: '0' }, 10)).rejects.toThrow(RangeError);
    await expect(store.readAfter(START_CHECKPOINT, 0)).rejects.toThrow('limit must be a positive integer');
  });
});

describe('checkpoints', () => {
  it('saves with compare-and-set and refuses a stale expectation', async () => {
    const name = `test-${randomUUID()}`;
    expect(await store.getCheckpoint(name)).toEqual(START_CHECKPOINT);
    await store.saveCheckpoint(name, START_CHECKPOINT, { txId: '10', position: '5' });
    expect(await store.getCheckpoint(name)).toEqual({ txId: '10', position: '5' });
    await expect(store.saveCheckpoint(name, START_CHECKPOINT, { txId: '11', position: '6' })).rejects.toBeInstanceOf(
      CheckpointConflictError,
    );
    await store.saveCheckpoint(name, { txId: '10', position: '5' }, { txId: '12', position: '7' });
    expect(await store.getCheckpoint(name)).toEqual({ txId: '12', position: '7' });
    await expect(
      store.saveCheckpoint(`test-${randomUUID()}`, { txId: '1', position: '1' }, { txId: '2', position: '2' }),
    ).rejects.toBeInstanceOf(CheckpointConflictError);
  });

  it('moves with the caller transaction: a rollback keeps the old checkpoint', async () => {
    const name = `test-${randomUUID()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await store.saveCheckpoint(name, START_CHECKPOINT, { txId: '3', position: '4' }, client);
      expect(await store.getCheckpoint(name, client)).toEqual({ txId: '3', position: '4' });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await store.getCheckpoint(name)).toEqual(START_CHECKPOINT);
  });

  it('lets exactly one of two concurrent runners move the same checkpoint', async () => {
    const name = `test-${randomUUID()}`;
    await store.saveCheckpoint(name, START_CHECKPOINT, { txId: '1', position: '1' });
    const attempts = await Promise.allSettled(
      [2, 3].map((n) =>
        store.saveCheckpoint(name, { txId: '1', position: '1' }, { txId: String(n), position: String(n) }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 'rejected')).toHaveLength(1);
  });
});

describe('append-only enforcement', () => {
  let ids: { tenantId: string; sourceId: string };
  let partition: string;
  beforeAll(async () => {
    ids = freshIds();
    await store.append([event(ids, 'immutable')]);
    const { rows } = await pool.query(`SELECT tableoid::regclass::text AS part FROM raw_events WHERE source_id = $1`, [
      ids.sourceId,
    ]);
    partition = rows[0].part;
  });

  it.each([
    ['UPDATE', `UPDATE raw_events SET type = 'x' WHERE source_id = $1`],
    ['DELETE', `DELETE FROM raw_events WHERE source_id = $1`],
  ])('rejects %s even for the owner', async (op, sql) => {
    await expect(pool.query(sql, [ids.sourceId])).rejects.toThrow(`raw_events is append-only: ${op} is not allowed`);
  });

  it('rejects TRUNCATE of the table and of a partition, even for the owner', async () => {
    await expect(pool.query('TRUNCATE raw_events')).rejects.toThrow(
      'raw_events is append-only: TRUNCATE is not allowed',
    );
    await expect(pool.query(`TRUNCATE ${partition}`)).rejects.toThrow(
      'raw_events is append-only: TRUNCATE is not allowed',
    );
    await expect(pool.query(`UPDATE ${partition} SET type = 'x' WHERE source_id = $1`, [ids.sourceId])).rejects.toThrow(
      'append-only',
    );
  });

  it('gives the application role only SELECT and INSERT', async () => {
    const client = await pool.connect();
    try {
      await client.query('SET ROLE cdr_app');
      const own = freshIds();
      expect((await store.append([event(own, 'as-app')], client)).accepted).toBe(1);
      const { rows } = await client.query('SELECT count(*)::int AS n FROM raw_events WHERE source_id = $1', [
        own.sourceId,
      ]);
      expect(rows[0].n).toBe(1);
      for (const sql of [
        `UPDATE raw_events SET type = 'x' WHERE source_id = '${own.sourceId}'`,
        `DELETE FROM raw_events WHERE source_id = '${own.sourceId}'`,
        'TRUNCATE raw_events',
        `DELETE FROM ${partition}`,
        `DROP TABLE ${partition}`,
      ]) {
        await expect(client.query(sql)).rejects.toThrow(/permission denied|must be owner/);
      }
    } finally {
      await client.query('RESET ROLE').catch(() => undefined);
      client.release();
    }
    const { rows } = await pool.query(
      `SELECT privilege_type FROM information_schema.role_table_grants
       WHERE grantee = 'cdr_app' AND table_name = 'raw_events' ORDER BY 1`,
    );
    expect(rows.map((r) => r.privilege_type)).toEqual(['INSERT', 'SELECT']);
  });
});

describe('partitions and maintenance', () => {
  it('keeps monthly partitions ahead, each protected against TRUNCATE', async () => {
    const maintenance = new EventStoreMaintenance(pool);
    await maintenance.ensurePartitions(14);
    const { rows } = await pool.query(`
      SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'raw_events_no_truncate') AS guarded
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'raw_events'::regclass ORDER BY c.relname`);
    const names = rows.map((r) => r.relname);
    const now = new Date();
    const inAYear = new Date(Date.UTC(now.getUTCFullYear() + 1, now.getUTCMonth(), 1));
    const monthName = (d: Date) => `raw_events_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(names).toContain(monthName(now));
    expect(names).toContain(monthName(inAYear));
    expect(names).toContain('raw_events_default');
    expect(rows.every((r) => r.guarded)).toBe(true);
    expect(await maintenance.ensurePartitions(14)).toBe(0); // idempotent
  });

  it('prunes dedup claims older than the retention, and only those', async () => {
    const ids = freshIds();
    await store.append([event(ids, 'old'), event(ids, 'recent')]);
    await pool.query(
      `UPDATE event_dedup SET first_seen_at = now() - interval '40 days' WHERE source_id = $1 AND dedup_key = 'old'`,
      [ids.sourceId],
    );
    const maintenance = new EventStoreMaintenance(pool);
    expect(await maintenance.pruneDedup(35)).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query('SELECT dedup_key FROM event_dedup WHERE source_id = $1', [ids.sourceId]);
    expect(rows.map((r) => r.dedup_key)).toEqual(['recent']);
    await expect(maintenance.pruneDedup(3)).rejects.toThrow('at least 7 days');
  });
});

describe('payload derivation', () => {
  it('derives jsonb from the exact bytes, or prepares a safe copy when PostgreSQL would read them differently', async () => {
    const ids = freshIds();
    const bodies = [
      '{"plain":"text","n":1.50,"big":123456789012345678901234567890}',
      '{"esc":"caf\\u00e9 \\u0000 \\ud83d"}',
      '\ufeff{"bom":true}',
      '{"nonUtf8":"',
    ];
    const raws = [
      Buffer.from(bodies[0]),
      Buffer.from(bodies[1]),
      Buffer.from(bodies[2]),
      Buffer.concat([Buffer.from(bodies[3]), Buffer.from([0xff, 0x22, 0x7d])]),
    ];
    const result = await store.append(raws.map((raw, i) => ({ ...event(ids, `d${i}`), raw, payloadJson: undefined })));
    expect(result.accepted).toBe(4);
    const stored = await readAllOf(ids.tenantId);
    expect(stored.map((e) => e.raw.equals(raws[stored.indexOf(e)]))).toEqual([true, true, true, true]);
    expect(stored[0].payload).toEqual({ plain: 'text', n: 1.5, big: 1.2345678901234568e29 });
    expect(stored[1].payload).toEqual({ esc: 'café \ufffd \ufffd' });
    expect(stored[2].payload).toEqual({ bom: true });
    expect(stored[3].payload).toEqual({ nonUtf8: '\ufffd' });
    const { rows } = await pool.query(
      `SELECT payload->>'big' AS big FROM raw_events WHERE source_id = $1 AND dedup_key = 'd0'`,
      [ids.sourceId],
    );
    expect(rows[0].big).toBe('123456789012345678901234567890'); // exact: jsonb parsed the bytes themselves
  });
});

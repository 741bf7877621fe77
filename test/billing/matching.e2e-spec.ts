import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { processRun, requestRun, stalledRuns, validRunRequest } from '@app/billing';
import { withTransaction } from '@app/platform';
import { TEST_DATABASE_URL, testPool } from '../support/env';

/**
 * The reconciliation engine on hand-made rows (call_costs and carrier_records written directly):
 * closest-first one-to-one matching, its rounds, call-id precedence, tolerances and period borders.
 */
let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(() => pool.end());

const DAY = '2026-03-02';
const at = (hms: string, plusSeconds = 0) => new Date(new Date(`${DAY}T${hms}Z`).getTime() + plusSeconds * 1000);

interface Ours {
  id: string;
  to?: string;
  from?: string | null;
  started: Date;
  answered?: Date;
  talk?: number;
  cost?: string | null;
  session?: string;
}
interface Theirs {
  line: number;
  to?: string;
  from?: string | null;
  start: Date;
  duration?: number;
  cost?: string | null;
  callId?: string | null;
}

async function scenario(ours: Ours[], theirs: Theirs[], settings: Record<string, unknown> = {}) {
  const tenantId = randomUUID();
  await pool.query(`INSERT INTO tenants (id, name) VALUES ($1, 'matching')`, [tenantId]);
  const callIds = new Map<string, string>();
  for (const o of ours) {
    const callId = randomUUID();
    callIds.set(callId, o.id);
    await pool.query(
      `INSERT INTO call_costs (tenant_id, call_id, source_id, carrier, started_at, answered_at, vendor_call_id, session_id,
                               from_number, to_number, talk_seconds, billable_seconds, cost, currency)
       VALUES ($1, $2, $3, 'acme', $4, $5, $6, $7, $8, $9, $10, $10, $11, 'AUD')`,
      [
        tenantId,
        callId,
        randomUUID(),
        o.started,
        o.answered ?? o.started,
        o.id,
        o.session ?? null,
        o.from ?? null,
        o.to ?? '61290000000',
        o.talk ?? 60,
        o.cost === undefined ? '0.1000' : o.cost,
      ],
    );
  }
  const importId = randomUUID();
  for (const c of theirs) {
    await pool.query(
      `INSERT INTO carrier_records (tenant_id, import_id, line, carrier, carrier_call_id, started_at, to_raw, from_number,
                                    to_number, duration_seconds, cost)
       VALUES ($1, $2, $3, 'acme', $4, $5, 'x', $6, $7, $8, $9)`,
      [
        tenantId,
        importId,
        c.line,
        c.callId ?? null,
        c.start,
        c.from ?? null,
        c.to ?? '61290000000',
        c.duration ?? 60,
        c.cost === undefined ? '0.1000' : c.cost,
      ],
    );
  }
  const run = async () => {
    const request = validRunRequest({
      tenantId,
      carrier: 'acme',
      from: `${DAY}T00:00:00Z`,
      to: '2026-03-03T00:00:00Z',
      ...settings,
    });
    const { id } = await withTransaction(pool, (c) => requestRun(c, request));
    expect(await processRun(pool, { tenantId, runId: id })).toBe('succeeded');
    const { rows } = await pool.query<{
      status: string;
      matched_by: string | null;
      ours: string | null;
      line: number | null;
    }>(
      `SELECT status, matched_by, call_id AS ours, carrier_line AS line FROM reconciliation_items
       WHERE tenant_id = $1 AND run_id = $2 ORDER BY item_no`,
      [tenantId, id],
    );
    const totals = (await pool.query(`SELECT * FROM reconciliation_runs WHERE id = $1`, [id])).rows[0];
    return {
      id,
      totals,
      // Items are ordered by time, then call id (random in these tests): compare in a fixed order.
      items: rows
        .map((r) => [r.status, r.ours ? callIds.get(r.ours)! : null, r.line, r.matched_by] as const)
        .sort(
          (a, b) =>
            Number(a[1] === null) - Number(b[1] === null) ||
            (a[1] ?? '').localeCompare(b[1] ?? '', 'en', { numeric: true }) ||
            (a[2] ?? 0) - (b[2] ?? 0),
        ),
    };
  };
  return { tenantId, run };
}

describe('reconciliation matching', () => {
  it('pairs one-to-one, closest start time first (greedy), not the largest number of pairs', async () => {
    // O1 answered 09:00:00, O2 09:00:04; C1 09:00:03, C2 09:00:08 (tolerance 5 s).
    // Candidates: O1-C1 3 s, O2-C1 1 s, O2-C2 4 s (O1-C2 8 s is too far). Closest first: O2-C1;
    // then O1 and C2 have no free candidate left.
    const { run } = await scenario(
      [
        { id: 'O1', started: at('08:59:50'), answered: at('09:00:00') },
        { id: 'O2', started: at('08:59:50'), answered: at('09:00:04') },
      ],
      [
        { line: 2, start: at('09:00:03') },
        { line: 3, start: at('09:00:08') },
      ],
    );
    expect((await run()).items).toEqual([
      ['MISSING_IN_CARRIER', 'O1', null, null],
      ['MATCHED', 'O2', 2, 'NUMBERS_AND_TIME'],
      ['MISSING_IN_OURS', null, 3, null],
    ]);
  });

  it('resolves chains of competing candidates over several rounds, exactly as greedy would', async () => {
    // Alternating calls and records 1, 2, 3, 4, 5 s apart: greedy takes O1-C1 (1 s), then O2-C2
    // (3 s), then O3-C3 (5 s) — each pair only once the better one next to it is taken.
    const { run } = await scenario(
      [
        { id: 'O1', started: at('10:00:00') },
        { id: 'O2', started: at('10:00:03') },
        { id: 'O3', started: at('10:00:10') },
      ],
      [
        { line: 2, start: at('10:00:01') },
        { line: 3, start: at('10:00:06') },
        { line: 4, start: at('10:00:15') },
      ],
    );
    const { items } = await run();
    expect(items).toEqual([
      ['MATCHED', 'O1', 2, 'NUMBERS_AND_TIME'],
      ['MATCHED', 'O2', 3, 'NUMBERS_AND_TIME'],
      ['MATCHED', 'O3', 4, 'NUMBERS_AND_TIME'],
    ]);
  });

  it('matches by call id first (vendor call id or session id), whatever the time; numbers must agree otherwise', async () => {
    const { run } = await scenario(
      [
        { id: 'X1', started: at('11:00:00') },
        { id: 'X2', session: 'sess-2', started: at('11:00:30'), to: '61290000002' },
        { id: 'X3', started: at('11:00:02') }, // same number, 2 s from the record that X1 takes by id
        { id: 'X4', started: at('11:10:00'), from: '61280000001' },
      ],
      [
        { line: 2, callId: 'X1', start: at('11:00:02') }, // X1 answered 2 s earlier: by id, not X3 (0 s)
        { line: 3, callId: 'sess-2', start: at('11:05:00'), to: '61290000002' }, // 4.5 min away, by session id
        { line: 4, start: at('11:10:01'), from: '61280000009' }, // other caller: not X4
        { line: 5, start: at('11:20:00'), to: '6129', callId: 'unknown-id' }, // no such call
      ],
    );
    expect((await run()).items).toEqual([
      ['MATCHED', 'X1', 2, 'CALL_ID'],
      ['MATCHED', 'X2', 3, 'CALL_ID'],
      ['MISSING_IN_CARRIER', 'X3', null, null],
      ['MISSING_IN_CARRIER', 'X4', null, null],
      ['MISSING_IN_OURS', null, 4, null],
      ['MISSING_IN_OURS', null, 5, null],
    ]);
  });

  it('applies the match, duration and cost tolerances at their edges', async () => {
    const { run } = await scenario(
      [
        { id: 'T1', started: at('12:00:00'), to: '611', talk: 60, cost: '0.1000' },
        { id: 'T2', started: at('12:00:00'), to: '612', talk: 60, cost: '0.1000' },
        { id: 'T3', started: at('12:00:00'), to: '613', talk: 60, cost: '0.1000' },
        { id: 'T4', started: at('12:00:00'), to: '614', talk: 60, cost: '0.1000' },
        { id: 'T5', started: at('12:00:00'), to: '615', talk: 60, cost: null },
        { id: 'T6', started: at('12:00:00'), to: '616', talk: 60, cost: '0.1000' },
      ],
      [
        { line: 2, to: '611', start: at('12:00:05'), duration: 61, cost: '0.1010' }, // 5 s, 1 s, 0.001: MATCHED
        { line: 3, to: '612', start: at('12:00:05.5'), duration: 60 }, // 5.5 s: too far
        { line: 4, to: '613', start: at('11:59:55'), duration: 62, cost: '0.2' }, // 2 s and cost off: DURATION
        { line: 5, to: '614', start: at('12:00:00'), duration: 60, cost: '0.1011' }, // 0.0011: COST
        { line: 6, to: '615', start: at('12:00:00'), duration: 60, cost: '0.1000' }, // we could not rate it: COST
        { line: 7, to: '616', start: at('12:00:00'), duration: 60, cost: null }, // no carrier cost: durations only
      ],
    );
    const { items, totals } = await run();
    expect(items).toEqual([
      ['MATCHED', 'T1', 2, 'NUMBERS_AND_TIME'],
      ['MISSING_IN_CARRIER', 'T2', null, null],
      ['DURATION_MISMATCH', 'T3', 4, 'NUMBERS_AND_TIME'],
      ['COST_MISMATCH', 'T4', 5, 'NUMBERS_AND_TIME'],
      ['COST_MISMATCH', 'T5', 6, 'NUMBERS_AND_TIME'],
      ['MATCHED', 'T6', 7, 'NUMBERS_AND_TIME'],
      ['MISSING_IN_OURS', null, 3, null],
    ]);
    // expected: 5 x 0.1000 (T5 has none); billed: 0.1010 + 0.2 + 0.1011 + 0.1000 (+ line 3: 0.1000)
    expect({ e: totals.expected_total, b: totals.billed_total }).toEqual({ e: '0.5000', b: '0.6021' });
  });

  it('uses wider tolerances when asked', async () => {
    const { run } = await scenario(
      [{ id: 'W1', started: at('13:00:00'), talk: 60 }],
      [{ line: 2, start: at('13:00:20'), duration: 63 }],
      { matchToleranceSeconds: 30, durationToleranceSeconds: 3 },
    );
    expect((await run()).items).toEqual([['MATCHED', 'W1', 2, 'NUMBERS_AND_TIME']]);
  });

  it('reports a pair in the period of its carrier record, so border calls are never missing on both sides', async () => {
    const { run } = await scenario(
      [
        // started before the period, answered 2 s before a record inside it: reported here
        { id: 'B1', started: new Date('2026-03-01T23:59:50Z'), answered: new Date('2026-03-01T23:59:59Z') },
        // started in the period, its record falls in the next one: reported there, not missing here
        { id: 'B2', started: new Date('2026-03-02T23:59:58Z'), answered: new Date('2026-03-03T00:00:01Z') },
        // started before the period, unmatched: not this period's
        { id: 'B3', started: new Date('2026-03-01T23:59:57Z'), to: '61299' },
      ],
      [
        { line: 2, start: new Date('2026-03-02T00:00:01Z') },
        { line: 3, start: new Date('2026-03-03T00:00:03Z') },
      ],
    );
    expect((await run()).items).toEqual([['MATCHED', 'B1', 2, 'NUMBERS_AND_TIME']]);
  });

  it('is deterministic: a second run gives the same items; concurrent processing runs it once', async () => {
    const ours: Ours[] = [];
    const theirs: Theirs[] = [];
    // 200 calls to 20 numbers every 3 s with records 0-4 s off: many competing candidates.
    for (let i = 0; i < 200; i++) {
      const to = `6129000${String(i % 20).padStart(4, '0')}`;
      ours.push({ id: `D${i}`, started: at('14:00:00', i * 3), to });
      if (i % 7 !== 0) theirs.push({ line: i + 2, start: at('14:00:00', i * 3 + (i % 5)), to });
    }
    const { run, tenantId } = await scenario(ours, theirs);
    const first = await run();
    const second = await run();
    expect(second.items).toEqual(first.items);
    expect(first.items.filter((i) => i[0] === 'MATCHED')).toHaveLength(200 - Math.ceil(200 / 7));

    const request = validRunRequest({
      tenantId,
      carrier: 'acme',
      from: '2026-03-02T14:00:00Z',
      to: '2026-03-02T15:00:00Z',
    });
    const { id } = await withTransaction(pool, (c) => requestRun(c, request));
    const outcomes = await Promise.all([1, 2, 3].map(() => processRun(pool, { tenantId, runId: id })));
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM reconciliation_items WHERE run_id = $1`, [id]);
    expect(rows[0].n).toBe(first.items.length);
  });

  it('finds runs whose job was lost; a run that keeps failing ends FAILED', async () => {
    const tenantId = randomUUID();
    await pool.query(`INSERT INTO tenants (id, name) VALUES ($1, 'stalled')`, [tenantId]);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO reconciliation_runs (tenant_id, carrier, period_from, period_to, created_at)
       VALUES ($1, 'acme', '2026-03-01', '2026-03-02', now() - interval '5 minutes'),
              ($1, 'acme', '2026-03-02', '2026-03-03', now()) RETURNING id`,
      [tenantId],
    );
    const stalled = (await stalledRuns(pool, 30, 1000)).filter((r) => r.tenantId === tenantId);
    expect(stalled).toEqual([{ tenantId, runId: rows[0].id }]);
    await pool.query(`UPDATE reconciliation_runs SET attempts = 3, status = 'RUNNING' WHERE id = $1`, [rows[0].id]);
    expect(await processRun(pool, { tenantId, runId: rows[0].id })).toBe('skipped');
    const after = await pool.query(`SELECT status, error FROM reconciliation_runs WHERE id = $1`, [rows[0].id]);
    expect(after.rows[0]).toEqual({ status: 'FAILED', error: 'gave up after 3 attempts' });
  });
});

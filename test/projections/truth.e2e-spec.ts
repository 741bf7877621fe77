import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { CallSessionsProjection, ProjectionRunner, QueueAttemptsProjection } from '@app/projections';
import { queueStats } from '@app/reporting';
import { CallTruth, QueueIntervalTruth } from '@app/simulator';
import { testPool } from '../support/env';
import { catchUpFully, privateDatabase } from '../support/projections';
import { TWO_FAULTY_HOURS, simulateDirect } from '../support/simulator';

interface TruthFile {
  tenants: Array<{ id: string; sources: Record<string, string> }>;
  calls: Record<string, Omit<CallTruth, 'vendorCallId'>>;
  queues: QueueIntervalTruth[];
}

/**
 * The simulator's ground truth (computed from its model, never from the payloads) against what
 * the projections make of the payloads it emitted — with duplicates, reordering and late
 * deliveries on.
 */
/**
 * The truth names only a person (extension or external number) as answering, else null; the
 * call row also marks a device that answered alone (METRICS.md: `ivr:…`, `queue:…`, `voicemail`,
 * or the bare number of an IVR the source was not told about — the world's IVR is 5000). And it
 * keeps a VoIPcloud external number as the vendor sent it (national), the truth in E.164 (+61).
 * Returns the value the row must hold.
 */
function answeredBy(truth: string | null, projected: string | null | undefined): string | null | undefined {
  if (truth === null)
    return projected != null && /^(ivr:|queue:|ring_group:|voicemail|5000$)/.test(projected) ? projected : null;
  return projected != null && truth.startsWith('+61') && projected === `0${truth.slice(3)}` ? projected : truth;
}

describe('generator truth equals the projections', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: Pool;
  let dir: string;
  let truth: TruthFile;
  let tenantId: string;

  beforeAll(async () => {
    db = await privateDatabase('truth');
    pool = testPool(db.url, { max: 4 });
    dir = mkdtempSync(join(tmpdir(), 'truth-e2e-'));
    await simulateDirect(db.url, pool, [
      ...TWO_FAULTY_HOURS,
      '--late-rate',
      '0.02',
      '--truth',
      join(dir, 'truth.json'),
      '--quiet',
    ]);
    truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as TruthFile;
    tenantId = truth.tenants[0].id;
    const store = new EventStore(pool);
    const runner = new ProjectionRunner(pool, store, { partitions: 2, batchSize: 400 });
    for (const projection of [new CallSessionsProjection(), new QueueAttemptsProjection()])
      await catchUpFully(runner, projection);
  }, 120000);

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every call: direction, disposition, talk, answeredBy, queue, ring group, digits, times', async () => {
    const { rows } = await pool.query(
      `SELECT vendor_call_id, vendor, direction, disposition, talk_seconds, hold_seconds, answered_by, queue, ring_group,
              digits, started_at, ended_at, session_id
       FROM call_sessions WHERE tenant_id = $1`,
      [tenantId],
    );
    const mine = Object.entries(truth.calls).filter(([, c]) => c.tenant === 0);
    expect(mine.length).toBeGreaterThan(100);
    const projected = new Map(rows.map((r) => [r.vendor_call_id as string, r]));
    const mismatches: unknown[] = [];
    for (const [id, t] of mine) {
      const p = projected.get(id);
      const expected = {
        vendor: t.vendor,
        direction: t.direction,
        disposition: t.disposition,
        talk_seconds: t.talkSeconds,
        answered_by: answeredBy(t.answeredBy, p?.answered_by),
        queue: t.queue,
        ring_group: t.ringGroup,
        digits: t.digits,
        started_at: new Date(t.startedAt),
        ended_at: new Date(t.endedAt),
        ...(t.holdSeconds !== null && { hold_seconds: t.holdSeconds }),
      };
      const actual = p && Object.fromEntries(Object.keys(expected).map((k) => [k, p[k]]));
      try {
        expect(actual).toEqual(expected);
      } catch {
        mismatches.push({ id, expected, actual });
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(rows).toHaveLength(mine.length);
  });

  it('every queue and ring group, per 15 minutes: offered, answered, within SLA, abandons, timeouts, callbacks', async () => {
    const expected = truth.queues
      .filter((q) => q.tenant === 0)
      .map((q) => ({
        queue: q.queue,
        intervalStart: new Date(q.intervalStart).toISOString(),
        offered: q.offered,
        answered: q.answered,
        answeredWithinSla: q.answeredWithinSla,
        abandoned: q.abandoned,
        shortAbandoned: q.shortAbandoned,
        timedOut: q.timedOut,
        callbacks: q.callbacks,
      }));
    expect(expected.length).toBeGreaterThan(5);
    const rows = await queueStats(pool, tenantId, {
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-03T00:00:00Z'),
      granularity: 'FIFTEEN_MINUTES',
      timezone: 'UTC',
    });
    const actual = rows.map((r) => ({
      queue: r.queue,
      intervalStart: r.intervalStart.toISOString(),
      offered: r.offered,
      answered: r.answered,
      answeredWithinSla: r.answeredWithinSla,
      abandoned: r.abandoned,
      shortAbandoned: r.shortAbandoned,
      timedOut: r.timedOut,
      callbacks: r.callbacks,
    }));
    const key = (x: { queue: string; intervalStart: string }) => `${x.intervalStart} ${x.queue}`;
    const sort = <T extends { queue: string; intervalStart: string }>(xs: T[]) =>
      [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(actual)).toEqual(sort(expected));
  });
});

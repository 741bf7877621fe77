import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { AgentTimelineProjection, ProjectionRunner } from '@app/projections';
import { agentTimeline } from '@app/reporting';
import { testPool } from '../support/env';
import { catchUpFully, privateDatabase } from '../support/projections';
import { TWO_FAULTY_HOURS, simulateDirect } from '../support/simulator';

/**
 * agent_segments_reaching (migration 1764000012000) finds the segments of an agent that reach a
 * window through the primary key, relying on the segments of one timeline never overlapping. It
 * must return exactly what the closed-range overlap test (what the GiST index it replaced served)
 * returns — checked here on hand-made edge cases and on every boundary of a simulated two hours
 * of agent timelines.
 */
let db: { url: string; drop: () => Promise<void> };
let pool: Pool;

beforeAll(async () => {
  db = await privateDatabase('reaching');
  pool = testPool(db.url, { max: 4 });
}, 60000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** Windows whose function result differs from the overlap test; `windows` counts them all. */
async function compareWindows(windowsSql: string, params: unknown[]): Promise<{ windows: number; wrong: unknown[] }> {
  const key = `format('%s|%s|%s|%s', s.layer, s.queue, s.started_at, s.ordinal)`;
  const { rows } = await pool.query<{
    tenant_id: string;
    agent: string;
    f: Date;
    t: Date | null;
    got: string[];
    want: string[];
  }>(
    `WITH w AS (${windowsSql})
     SELECT w.tenant_id, w.agent, w.f, w.t,
            coalesce((SELECT array_agg(${key} ORDER BY ${key}) FROM agent_segments_reaching(w.tenant_id, w.agent, w.f, w.t) s), '{}') AS got,
            coalesce((SELECT array_agg(${key} ORDER BY ${key}) FROM agent_segments s
                      WHERE s.tenant_id = w.tenant_id AND s.agent = w.agent
                        AND tstzrange(s.started_at, s.ended_at, '[]') && tstzrange(w.f, w.t, '[)')), '{}') AS want
     FROM w`,
    params,
  );
  const wrong = rows.filter((r) => JSON.stringify(r.got) !== JSON.stringify(r.want));
  return { windows: rows.length, wrong: wrong.slice(0, 3) };
}

describe('agent_segments_reaching', () => {
  it('matches the overlap test on edge cases: touching, zero-length, same-instant, open, none', async () => {
    const tenant = randomUUID();
    const t = (hms: string) => `2026-03-02T${hms}Z`;
    // [layer, queue, started, ordinal, state, ended]
    const segments: Array<[string, string, string, number, string, string | null]> = [
      ['REGISTRATION', '', t('08:00:00'), 0, 'ONLINE', null], // open since long before any window
      ['PRESENCE', '', t('08:00:00'), 0, 'ONLINE', t('09:00:00')],
      ['PRESENCE', '', t('09:00:00'), 0, 'AWAY', t('09:30:00')], // touches the previous one
      ['PRESENCE', '', t('09:30:00'), 0, 'ONLINE', null],
      ['AGENT_STATE', '8000', t('08:30:00'), 0, 'READY', t('09:10:00')],
      ['AGENT_STATE', '8001', t('08:45:00'), 0, 'NOT_READY', t('08:50:00')], // a queue left early
      ['CALL', '', t('09:05:00'), 0, 'RINGING', t('09:05:00')], // zero-length: answered at once
      ['CALL', '', t('09:05:00'), 1, 'TALKING', t('09:06:00')],
      ['CALL', '', t('09:07:00'), 0, 'RINGING', t('09:07:10')], // a gap before it
    ];
    for (const [layer, queue, started, ordinal, state, ended] of segments)
      await pool.query(
        `INSERT INTO agent_segments (tenant_id, agent, layer, queue, started_at, ordinal, state, ended_at)
         VALUES ($1, '101', $2, $3, $4, $5, $6, $7)`,
        [tenant, layer, queue, started, ordinal, state, ended],
      );
    const instants = [
      '07:00:00',
      '08:45:00',
      '08:50:00',
      '08:59:59',
      '09:00:00',
      '09:05:00',
      '09:05:30',
      '09:06:00',
      '09:06:30',
      '09:07:05',
      '09:10:00',
      '09:30:00',
      '10:00:00',
    ].map(t);
    const { windows, wrong } = await compareWindows(
      `SELECT $1::uuid AS tenant_id, '101'::text AS agent, f, t
       FROM unnest($2::timestamptz[]) AS f
       CROSS JOIN LATERAL (SELECT unnest($2::timestamptz[] || ARRAY[NULL]::timestamptz[]) AS t) x
       WHERE t IS NULL OR t >= f`,
      [tenant, instants],
    );
    expect(windows).toBe(13 * 14 - (13 * 12) / 2); // every ordered pair (equal ones too) and every open end
    expect(wrong).toEqual([]);

    // Spot checks of what the report answers (its own exact filter on top).
    const at = (from: string, to: string) =>
      agentTimeline(pool, tenant, '101', new Date(t(from)), new Date(t(to))).then((rows) =>
        rows.map((r) => `${r.layer}:${r.state}:${r.startedAt.toISOString().slice(11, 19)}`),
      );
    expect(await at('09:05:00', '09:05:01')).toEqual([
      'REGISTRATION:ONLINE:08:00:00',
      'AGENT_STATE:READY:08:30:00',
      'PRESENCE:AWAY:09:00:00',
      'CALL:RINGING:09:05:00',
      'CALL:TALKING:09:05:00',
    ]);
    // A segment ending exactly where the window starts is not in it; the next one is.
    expect(await at('09:30:00', '09:31:00')).toEqual(['REGISTRATION:ONLINE:08:00:00', 'PRESENCE:ONLINE:09:30:00']);
    expect(await at('06:00:00', '07:00:00')).toEqual([]);
    expect(
      await pool.query(`SELECT * FROM agent_segments_reaching($1, 'nobody', now(), NULL)`, [tenant]),
    ).toMatchObject({
      rowCount: 0,
    });
  });

  it('matches the overlap test at every segment boundary of two simulated hours', async () => {
    await simulateDirect(db.url, pool, [...TWO_FAULTY_HOURS, '--quiet']);
    const runner = new ProjectionRunner(pool, new EventStore(pool), { partitions: 2, batchSize: 500 });
    await catchUpFully(runner, new AgentTimelineProjection(), 60000);
    const { rows } = await pool.query<{ segments: number; zero: number; open: number }>(
      `SELECT count(*)::int AS segments, count(*) FILTER (WHERE ended_at = started_at)::int AS zero,
              count(*) FILTER (WHERE ended_at IS NULL)::int AS open FROM agent_segments`,
    );
    // The data exercises what the function relies on.
    expect(rows[0].segments).toBeGreaterThan(500);
    expect(rows[0].zero).toBeGreaterThan(0);
    expect(rows[0].open).toBeGreaterThan(0);

    const { windows, wrong } = await compareWindows(
      `SELECT b.tenant_id, b.agent, b.at + d.f AS f, b.at + d.t AS t
       FROM (SELECT DISTINCT tenant_id, agent, at FROM agent_segments, LATERAL (VALUES (started_at), (ended_at)) v(at)
             WHERE at IS NOT NULL) b
       CROSS JOIN (VALUES (interval '0', interval '0'), (interval '0', interval '1 second'),
                          (interval '-1 second', interval '0'), (interval '-10 minutes', interval '10 minutes'),
                          (interval '0', NULL)) d(f, t)`,
      [],
    );
    expect(windows).toBeGreaterThan(2000);
    expect(wrong).toEqual([]);
  }, 180000);
});

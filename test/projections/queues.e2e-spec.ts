import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { resolve } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { TenancyService, withTransaction } from '@app/platform';
import { QueueAttemptsProjection, ProjectionRunner, recomputeTenantQueueStats } from '@app/projections';
import { ReportInputError, queueStats } from '@app/reporting';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { DAY, Q_ID, T0 } from '../fixtures/portsip-queue-day';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { catchUpFully, privateDatabase, waitForProjections } from '../support/projections';
import { prng, toEvents } from './scenario';

const PROJECTION = ['queue-attempts'];
const at = (s: number) => new Date((T0 + s) * 1000);
const iso = (s: number) => at(s).toISOString();

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule], { PROJECTION_CATCHUP_MS: '200' }));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

async function post(sourceId: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/webhooks/${sourceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/** The day's payloads shuffled, some twice, as a flaky PBX link delivers them. */
function shuffledWithDuplicates(seed: number): unknown[] {
  const rnd = prng(seed);
  const list = [...DAY, ...DAY.filter(() => rnd() < 0.3)];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

const H = 3600;
const DAY_TOTALS = {
  offered: 23,
  answered: 10,
  answeredWithinSla: 8,
  abandoned: 4,
  shortAbandoned: 3,
  timedOut: 3,
  callbacks: 2,
  maxWaitSeconds: 180,
  averageWaitSeconds: 16.8,
  averageAbandonWaitSeconds: 35,
  averageTalkSeconds: 101.25,
  averageHandleSeconds: 101.25, // no wrap-up reported for these calls
};

describe('queue statistics through webhooks, workers and the report query', () => {
  let tenantId: string;

  beforeAll(async () => {
    const tenant = await tenancy.createTenant({ name: 'queues', timezone: 'Europe/London' });
    tenantId = tenant.id;
    const source = await tenancy.createSource({ tenantId, vendor: 'portsip', auth: 'none' });
    for (const payload of shuffledWithDuplicates(7)) await post(source.id, payload);
    await waitForProjections(pool, tenantId, 30000, PROJECTION);
  });

  it('one attempt per caller, labelled with the queue number learnt from queue_status', async () => {
    const { rows } = await pool.query(
      `SELECT call_key, queue, outcome, wait_seconds, answered_by, talk_seconds FROM queue_attempts
       WHERE tenant_id = $1 ORDER BY call_key`,
      [tenantId],
    );
    expect(rows).toHaveLength(23);
    expect(new Set(rows.map((r) => r.queue))).toEqual(new Set(['8000']));
    expect(rows.find((r) => r.call_key === 'c04')).toEqual({
      call_key: 'c04',
      queue: '8000',
      outcome: 'ANSWERED',
      wait_seconds: 15,
      answered_by: '102',
      talk_seconds: 60,
    });
    expect(rows.find((r) => r.call_key === 'c22')).toMatchObject({ outcome: 'WAITING', wait_seconds: null });
  });

  it('15-minute UTC intervals match the hand-computed figures', async () => {
    const rows = await queueStats(pool, tenantId, {
      from: at(0),
      to: at(H),
      granularity: 'FIFTEEN_MINUTES',
      timezone: 'UTC',
    });
    expect(rows.map((r) => r.toJSON())).toEqual([
      {
        queue: '8000',
        intervalStart: at(0),
        offered: 14,
        answered: 7,
        answeredWithinSla: 5,
        abandoned: 3,
        shortAbandoned: 2,
        timedOut: 1,
        callbacks: 1,
        serviceLevel: 5 / 11,
        abandonRate: 0.25,
        averageWaitSeconds: 117 / 7,
        maxWaitSeconds: 120,
        averageAbandonWaitSeconds: 80 / 3,
        averageTalkSeconds: 80,
        averageHandleSeconds: 80,
      },
      {
        queue: '8000',
        intervalStart: at(900),
        offered: 9,
        answered: 3,
        answeredWithinSla: 3,
        abandoned: 1,
        shortAbandoned: 1,
        timedOut: 2,
        callbacks: 1,
        serviceLevel: 0.5,
        abandonRate: 0.125,
        averageWaitSeconds: 17,
        maxWaitSeconds: 180,
        averageAbandonWaitSeconds: 60,
        averageTalkSeconds: 122.5,
        averageHandleSeconds: 122.5,
      },
    ]);
  });

  it('rolls up exactly into local hours at +05:45 and +05:30, and into the tenant-zone day', async () => {
    // Kathmandu hours start at :15 UTC: 09:00Z is in the 08:15Z hour, 09:15Z opens the next one.
    const kathmandu = await queueStats(pool, tenantId, {
      from: at(-H),
      to: at(2 * H),
      granularity: 'HOUR',
      timezone: 'Asia/Kathmandu',
    });
    expect(kathmandu.map((r) => [r.intervalStart.toISOString(), r.offered, r.answered])).toEqual([
      [iso(-45 * 60), 14, 7],
      [iso(900), 9, 3],
    ]);
    // Kolkata hours start at :30 UTC: 08:30Z–09:30Z holds both buckets.
    const kolkata = await queueStats(pool, tenantId, {
      from: at(-H),
      to: at(2 * H),
      granularity: 'HOUR',
      timezone: 'Asia/Kolkata',
    });
    expect(kolkata).toHaveLength(1);
    expect(kolkata[0]).toMatchObject({ intervalStart: at(-30 * 60), ...DAY_TOTALS });
    expect(kolkata[0].serviceLevel).toBeCloseTo(8 / 17, 12);
    expect(kolkata[0].abandonRate).toBeCloseTo(0.2, 12);
    // No zone given: the tenant's (Europe/London, GMT on 2 March): the day starts at 00:00Z.
    const day = await queueStats(pool, tenantId, { from: at(-9 * H), to: at(15 * H), granularity: 'DAY' });
    expect(day).toHaveLength(1);
    expect(day[0]).toMatchObject({ intervalStart: new Date('2026-03-02T00:00:00Z'), ...DAY_TOTALS });
    const halfHours = await queueStats(pool, tenantId, {
      from: at(0),
      to: at(H),
      granularity: 'THIRTY_MINUTES',
      timezone: 'Asia/Kathmandu',
    });
    // Kathmandu half hours start at :15 and :45 UTC.
    expect(halfHours.map((r) => [r.intervalStart.toISOString(), r.offered])).toEqual([
      [iso(-15 * 60), 14],
      [iso(15 * 60), 9],
    ]);
  });

  it('a changed SLA threshold recomputes the tenant', async () => {
    await pool.query('UPDATE tenants SET sla_seconds = 10 WHERE id = $1', [tenantId]);
    await withTransaction(pool, (c) => recomputeTenantQueueStats(c, tenantId));
    const [day] = await queueStats(pool, tenantId, { from: at(0), to: at(H), granularity: 'DAY', timezone: 'UTC' });
    // Waits of answered calls: 10 8 3 (<= 10) and 12 15 19 20 20 21 40.
    expect(day).toMatchObject({ answered: 10, answeredWithinSla: 3 });
    expect(day.serviceLevel).toBeCloseTo(3 / 17, 12);
    await pool.query('UPDATE tenants SET sla_seconds = 20 WHERE id = $1', [tenantId]);
    await withTransaction(pool, (c) => recomputeTenantQueueStats(c, tenantId));
  });

  it('bad report parameters are clear errors', async () => {
    const base = { from: at(0), to: at(H), granularity: 'HOUR' as const };
    await expect(queueStats(pool, tenantId, { ...base, timezone: 'Mars/Olympus' })).rejects.toThrow(
      new ReportInputError('timezone', 'timezone "Mars/Olympus" is not an IANA time zone (e.g. Europe/London)'),
    );
    await expect(queueStats(pool, tenantId, { ...base, from: at(H) })).rejects.toThrow('from must be before to');
    await expect(
      queueStats(pool, tenantId, { ...base, granularity: 'FIFTEEN_MINUTES', to: at(40 * 24 * H) }),
    ).rejects.toThrow('the range may span at most 31 days at FIFTEEN_MINUTES');
  });
});

describe('VoIPcloud queue and ring-group summaries', () => {
  it('each summary is one attempt of its queue or ring group, by name', async () => {
    const tenant = await tenancy.createTenant({ name: 'voip', timezone: 'Australia/Sydney' });
    const source = await tenancy.createSource({ tenantId: tenant.id, vendor: 'voipcloud', auth: 'none' });
    const fixture = (name: string) =>
      JSON.parse(
        readFileSync(resolve(__dirname, '../../libs/vendors/voipcloud/__fixtures__', name), 'utf8'),
      ) as unknown;
    await post(source.id, fixture('queue_call.json'));
    await post(source.id, fixture('ring_group_call.json'));
    await waitForProjections(pool, tenant.id, 30000, PROJECTION);
    // 12:20+11:00 = 01:20Z; answered after 25 s (connected_at − call_start_at): beyond the 20 s SLA.
    // The ring group call (01:25Z) was abandoned after 32 s (call_duration).
    const rows = await queueStats(pool, tenant.id, {
      from: new Date('2026-01-27T00:00:00Z'),
      to: new Date('2026-01-27T02:00:00Z'),
      granularity: 'HOUR',
    });
    expect(rows.map((r) => r.toJSON())).toEqual([
      {
        queue: 'Sales',
        intervalStart: new Date('2026-01-27T01:00:00Z'),
        offered: 1,
        answered: 1,
        answeredWithinSla: 0,
        abandoned: 0,
        shortAbandoned: 0,
        timedOut: 0,
        callbacks: 0,
        serviceLevel: 0,
        abandonRate: 0,
        averageWaitSeconds: 25,
        maxWaitSeconds: 25,
        averageAbandonWaitSeconds: null,
        averageTalkSeconds: 155,
        averageHandleSeconds: 155,
      },
      {
        queue: 'Support',
        intervalStart: new Date('2026-01-27T01:00:00Z'),
        offered: 1,
        answered: 0,
        answeredWithinSla: 0,
        abandoned: 1,
        shortAbandoned: 0,
        timedOut: 0,
        callbacks: 0,
        serviceLevel: 0,
        abandonRate: 1,
        averageWaitSeconds: null,
        maxWaitSeconds: 32,
        averageAbandonWaitSeconds: 32,
        averageTalkSeconds: null,
        averageHandleSeconds: null,
      },
    ]);
  });
});

describe('rollups over DST changes', () => {
  /** One answered VoIPcloud queue call at the start of every UTC hour of [from, to). */
  async function hourlyCalls(timezone: string, from: string, to: string): Promise<string> {
    const tenant = await tenancy.createTenant({ name: `dst ${timezone}`, timezone });
    const source = await tenancy.createSource({ tenantId: tenant.id, vendor: 'voipcloud', auth: 'none' });
    const payloads: unknown[] = [];
    for (let t = Date.parse(from); t < Date.parse(to); t += H * 1000) {
      payloads.push({
        type: 'queue_call',
        unique_call_id: `dst.${t}`,
        caller_id: '+61399990000',
        user_number: '201',
        call_start_at: new Date(t).toISOString(),
        connected_at: new Date(t + 10_000).toISOString(),
        call_duration: 70,
        conversation_duration: 60,
        queue_name: 'Sales',
        status: 'answered',
      });
    }
    await new EventStore(pool).append(
      toEvents(payloads, { tenantId: tenant.id, sourceId: source.id }, 'UTC', 'voipcloud'),
    );
    await waitForProjections(pool, tenant.id, 30000, PROJECTION);
    return tenant.id;
  }

  it('Europe/London, 25 October 2026: a 25-hour day, two 01:00 hours', async () => {
    const tenantId = await hourlyCalls('Europe/London', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z');
    const days = await queueStats(pool, tenantId, {
      from: new Date('2026-10-24T00:00:00Z'),
      to: new Date('2026-10-27T00:00:00Z'),
      granularity: 'DAY',
    });
    expect(days.map((d) => [d.intervalStart.toISOString(), d.offered])).toEqual([
      ['2026-10-23T23:00:00.000Z', 23], // 24 Oct BST from 00:00Z (the first hour of the day is not in the range)
      ['2026-10-24T23:00:00.000Z', 25],
      ['2026-10-26T00:00:00.000Z', 24],
    ]);
    const hours = await queueStats(pool, tenantId, {
      from: new Date('2026-10-24T23:00:00Z'),
      to: new Date('2026-10-26T00:00:00Z'),
      granularity: 'HOUR',
    });
    expect(hours).toHaveLength(25);
    expect(hours.slice(1, 3).map((h) => h.intervalStart.toISOString())).toEqual([
      '2026-10-25T00:00:00.000Z', // 01:00 BST
      '2026-10-25T01:00:00.000Z', // 01:00 GMT
    ]);
    expect(hours.every((h) => h.offered === 1 && h.answeredWithinSla === 1)).toBe(true);
  });

  it('America/New_York, 8 March 2026: a 23-hour day; weeks start on Monday, months on the 1st', async () => {
    const tenantId = await hourlyCalls('America/New_York', '2026-02-28T00:00:00Z', '2026-03-10T00:00:00Z');
    const range = { from: new Date('2026-03-08T05:00:00Z'), to: new Date('2026-03-09T04:00:00Z') };
    const [day] = await queueStats(pool, tenantId, { ...range, granularity: 'DAY' });
    expect(day).toMatchObject({ intervalStart: range.from, offered: 23, answered: 23, averageWaitSeconds: 10 });
    const hours = await queueStats(pool, tenantId, { ...range, granularity: 'HOUR' });
    expect(hours).toHaveLength(23);
    const weeks = await queueStats(pool, tenantId, {
      from: new Date('2026-03-02T05:00:00Z'),
      to: new Date('2026-03-09T04:00:00Z'),
      granularity: 'WEEK',
    });
    // Monday 2 March 00:00 EST to Monday 9 March 00:00 EDT: 7 days minus the lost hour.
    expect(weeks.map((w) => [w.intervalStart.toISOString(), w.offered])).toEqual([
      ['2026-03-02T05:00:00.000Z', 7 * 24 - 1],
    ]);
    const months = await queueStats(pool, tenantId, {
      from: new Date('2026-02-28T00:00:00Z'),
      to: new Date('2026-03-10T00:00:00Z'),
      granularity: 'MONTH',
    });
    expect(months.map((m) => [m.intervalStart.toISOString(), m.offered])).toEqual([
      ['2026-02-01T05:00:00.000Z', 29], // 28 Feb 00:00Z – 1 Mar 05:00Z
      ['2026-03-01T05:00:00.000Z', 9 * 24 - 5],
    ]);
  });
});

describe('order independence and rebuilds (private database)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let own: Pool;
  beforeAll(async () => {
    db = await privateDatabase('queues');
    own = testPool(db.url, { max: 4 });
  });
  afterAll(async () => {
    await own?.end();
    await db?.drop();
  });

  const snapshot = async () =>
    (
      await own.query(
        `SELECT json_build_object('attempts', (SELECT json_agg(a ORDER BY a.call_key, a.attempt_key) FROM queue_attempts a),
                                  'stats', (SELECT json_agg(s ORDER BY s.bucket_start, s.queue) FROM queue_interval_stats s),
                                  'hours', (SELECT json_agg(h ORDER BY h.bucket_start, h.queue) FROM queue_hour_stats h)) AS v`,
      )
    ).rows[0].v;

  it('caller status before the queue mapping is relabelled when queue_status arrives, and any batching equals a rebuild', async () => {
    const { rows: t } = await own.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ('q') RETURNING id`);
    const { rows: s } = await own.query<{ id: string }>(
      `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials) VALUES ($1, 'pbx', 'portsip', 'none', '{"method":"none"}') RETURNING id`,
      [t[0].id],
    );
    const ids = { tenantId: t[0].id, sourceId: s[0].id };
    const store = new EventStore(own);
    const runner = new ProjectionRunner(own, store, { partitions: 1, batchSize: 7 });
    const projection = new QueueAttemptsProjection();
    const mapping = DAY.find((p) => p['event_type'] === 'queue_status')!;
    const rest = shuffledWithDuplicates(11).filter((p) => p !== mapping);

    // Everything but the mapping: PortSIP's caller pushes name the queue by its id only.
    for (let i = 0; i < rest.length; i += 9) await store.append(toEvents(rest.slice(i, i + 9), ids));
    await catchUpFully(runner, projection);
    const { rows: before } = await own.query(`SELECT DISTINCT queue FROM queue_attempts ORDER BY 1`);
    expect(before.map((r) => r.queue)).toEqual(expect.arrayContaining([Q_ID]));

    await store.append(toEvents([mapping], ids));
    await catchUpFully(runner, projection);
    const { rows: after } = await own.query(`SELECT queue, count(*)::int AS n FROM queue_attempts GROUP BY 1`);
    expect(after).toEqual([{ queue: '8000', n: 23 }]);
    const { rows: stats } = await own.query(
      `SELECT queue, sum(offered)::int AS offered FROM queue_interval_stats GROUP BY 1`,
    );
    expect(stats).toEqual([{ queue: '8000', offered: 23 }]);

    const incremental = await snapshot();
    await runner.reset(projection);
    expect((await snapshot()).attempts).toBeNull();
    await catchUpFully(new ProjectionRunner(own, store, { partitions: 1, batchSize: 1000 }), projection);
    expect(await snapshot()).toEqual(incremental);
  });

  it('property: any order and batching of the day gives the same attempts and stats as a clean rebuild', async () => {
    const store = new EventStore(own);
    const projection = new QueueAttemptsProjection();
    const tenantRows = async (tenantId: string) =>
      (
        await own.query(
          `SELECT json_build_object(
             'attempts', (SELECT json_agg(json_build_array(call_key, attempt_key, kind, queue, entered_at, left_at, outcome,
                                                           wait_seconds, answered_by, talk_seconds, callback)
                                          ORDER BY call_key, attempt_key) FROM queue_attempts WHERE tenant_id = $1),
             'stats', (SELECT json_agg(to_jsonb(s) - 'tenant_id' ORDER BY bucket_start, queue)
                       FROM queue_interval_stats s WHERE tenant_id = $1),
             'hours', (SELECT json_agg(to_jsonb(h) - 'tenant_id' ORDER BY bucket_start, queue)
                       FROM queue_hour_stats h WHERE tenant_id = $1)) AS v`,
          [tenantId],
        )
      ).rows[0].v;
    const tenantWith = async (payloads: unknown[], chunk: number) => {
      const { rows: t } = await own.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ('p') RETURNING id`);
      const { rows: s } = await own.query<{ id: string }>(
        `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials) VALUES ($1, 'pbx', 'portsip', 'none', '{"method":"none"}') RETURNING id`,
        [t[0].id],
      );
      const ids = { tenantId: t[0].id, sourceId: s[0].id };
      for (let i = 0; i < payloads.length; i += chunk) await store.append(toEvents(payloads.slice(i, i + chunk), ids));
      return t[0].id;
    };
    // The reference: the day in its own order, applied in one batch.
    const reference = await tenantWith(DAY, DAY.length);
    await catchUpFully(new ProjectionRunner(own, store, { partitions: 1, batchSize: 1000 }), projection);
    const expected = await tenantRows(reference);
    expect(expected.attempts).toHaveLength(23);

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 12 }),
        async (seed, batchSize) => {
          const tenantId = await tenantWith(shuffledWithDuplicates(seed), 1 + (seed % 7));
          await catchUpFully(new ProjectionRunner(own, store, { partitions: 1, batchSize }), projection);
          expect(await tenantRows(tenantId)).toEqual(expected);
        },
      ),
      { numRuns: 12 },
    );
  });
});

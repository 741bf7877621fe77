import { Pool } from 'pg';
import { EventStore, NewEvent, START_CHECKPOINT, StoredEvent } from '@app/event-store';
import { describeEvent } from '@app/ingestion';
import { withTransaction } from '@app/platform';
import { AgentTimelineProjection, ExtensionDirectoryProjection, Projection, ProjectionRunner } from '@app/projections';
import { agentStats, agentTimeline, extensions } from '@app/reporting';
import { getVendorAdapter } from '@app/vendors';
import { testPool } from '../support/env';
import { catchUpFully, privateDatabase } from '../support/projections';
import { prng } from './scenario';

type Vendor = 'nexbro' | 'portsip';
interface Item {
  vendor: Vendor;
  payload: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Agent 101 on PortSIP, agent 234 on Nexbro (Asia/Kolkata), one day: 2026-03-02 (times UTC).

const unix = (hms: string) => String(Date.parse(`2026-03-02T${hms}Z`) / 1000);
const at = (hms: string) => new Date(`2026-03-02T${hms}Z`);
const EXT = 'sip:101@pbx.example';
const portsip = (payload: Record<string, unknown>): Item => ({ vendor: 'portsip', payload });
const nexbro = (payload: Record<string, unknown>): Item => ({ vendor: 'nexbro', payload });

const status = (hms: string, presence: string) =>
  portsip({
    event_type: 'extension_status',
    status: [{ extension: EXT, extension_id: 'e101', online: true, presence, presence_note: '', time: unix(hms) }],
  });
const agentState = (hms: string, state: string) =>
  portsip({
    event_type: 'extension_agent_status',
    extension: EXT,
    extension_id: 'e101',
    agent_status: [{ queue_number: '8000', status: state }],
    time: unix(hms),
  });
// PortSIP names the queue of these pushes only by its id; queue_status maps it to 8000.
const queueAgent = (hms: string, state: string, session = '') =>
  portsip({
    event_type: 'queue_agent_status',
    queue_id: 'Q1',
    updated_agents: [{ state, agent_extension_number: '101', session_id: session, timestamp: unix(hms) }],
  });
const target = (type: string, session: string, ring: string, answered: string | null, ended: string | null) =>
  portsip({
    event_type: type,
    session_id: session,
    caller: '+15550100',
    callee: '101',
    destination: EXT,
    call_type: 'normal_call',
    ring_time: unix(ring),
    answered_time: answered === null ? '0' : unix(answered),
    ended_time: ended === null ? '0' : unix(ended),
  });
const QUEUE_STATUS = portsip({
  event_type: 'queue_status',
  queue_id: 'Q1',
  queue_number: '8000',
  queue_name: 'Sales',
  waiting_list: [],
  agents: [{ state: 'READY', agent_extension_number: '101', timestamp: unix('09:18:30') }],
});
const NEXBRO_DEVICE = { extension: '234', name: 'Rupinder Singh', ip: '10.1.1.71', user_agent: 'Zoiper 5.6.9' };

const DAY: Item[] = [
  portsip({ event_type: 'extension_created', extension_number: '101', disp_name: 'Alice Smith', extension_id: 'e101' }),
  status('08:58:00', 'ONLINE'),
  agentState('09:05:00', 'READY'),
  // Call s1, answered: rings 09:10:00, talk 09:10:12–09:17:30, then a minute of wrap-up.
  target('cdr_target_ringing', 's1', '09:10:00', null, null),
  target('cdr_target_answer', 's1', '09:10:00', '09:10:12', null),
  queueAgent('09:10:12', 'QUEUE_CALL', 's1'),
  target('cdr_target_end', 's1', '09:10:00', '09:10:12', '09:17:30'),
  portsip({ event_type: 'extension_call', extension: EXT, call_status: '', time: unix('09:17:30') }),
  queueAgent('09:17:30', 'WRAP_UP'),
  queueAgent('09:18:30', 'READY'),
  QUEUE_STATUS,
  // Call s2, missed: rings across the 09:30 border.
  target('cdr_target_ringing', 's2', '09:29:50', null, null),
  target('cdr_target_noanswer', 's2', '09:29:50', null, '09:30:10'),
  agentState('09:40:00', 'NOT_READY'),
  // Ring-all call s3 whose end never comes, then s4 answered: s3 is dropped when s4 is answered.
  target('cdr_target_ringing', 's3', '09:45:00', null, null),
  target('cdr_target_ringing', 's4', '09:46:00', null, null),
  target('cdr_target_answer', 's4', '09:46:00', '09:46:05', null),
  target('cdr_target_end', 's4', '09:46:00', '09:46:05', '09:50:00'),
  status('09:50:00', 'AWAY'),
  agentState('10:05:00', 'READY'), // still open at the end of the data
  status('10:20:00', 'ONLINE'), // the agent's latest change: open segments count up to here
  // Nexbro times are local (Asia/Kolkata, +05:30): 09:05Z and 09:40Z.
  nexbro({ event: 'EXTENSION_REGISTER_SUCCESS', ...NEXBRO_DEVICE, timestamp: '2026-03-02 14:35:00' }),
  nexbro({ event: 'EXTENSION_UNREGISTER', ...NEXBRO_DEVICE, timestamp: '2026-03-02 15:10:00' }),
];

// ---------------------------------------------------------------------------------------------

const PROJECTIONS: Projection[] = [new AgentTimelineProjection(), new ExtensionDirectoryProjection()];

let db: { url: string; drop: () => Promise<void> };
let pool: Pool;
let store: EventStore;

beforeAll(async () => {
  db = await privateDatabase('agents');
  pool = testPool(db.url, { max: 4 });
  store = new EventStore(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

interface Tenant {
  tenantId: string;
  sources: Record<Vendor, string>;
}

async function createTenant(): Promise<Tenant> {
  const { rows: t } = await pool.query<{ id: string }>(
    `INSERT INTO tenants (name, timezone) VALUES ('agents', 'UTC') RETURNING id`,
  );
  const source = async (vendor: Vendor, timezone: string | null) =>
    (
      await pool.query<{ id: string }>(
        `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials, timezone, queue_numbers)
         VALUES ($1, $2, $2, 'none', '{"method":"none"}', $3, '{8000}') RETURNING id`,
        [t[0].id, vendor, timezone],
      )
    ).rows[0].id;
  return {
    tenantId: t[0].id,
    sources: { portsip: await source('portsip', null), nexbro: await source('nexbro', 'Asia/Kolkata') },
  };
}

/** Store-ready events, described as ingestion does (a variant tag makes a distinct delivery of the same facts). */
function toEvents(items: readonly Item[], tenant: Tenant, variant = 0): NewEvent[] {
  return items.map(({ vendor, payload }) => {
    const body = variant ? { ...payload, delivery_variant: variant } : payload;
    const timezone = vendor === 'nexbro' ? 'Asia/Kolkata' : 'UTC';
    return describeEvent(
      { tenantId: tenant.tenantId, sourceId: tenant.sources[vendor], vendor },
      getVendorAdapter(vendor).parse(body, { timezone }),
      Buffer.from(JSON.stringify(body)),
    );
  });
}

async function catchUp(runner: ProjectionRunner): Promise<void> {
  for (const p of PROJECTIONS) await catchUpFully(runner, p);
}

/** The agent read models of a tenant in a canonical order (write times and ids left out). */
async function snapshot(tenantId: string): Promise<unknown> {
  const { rows } = await pool.query(
    `SELECT json_build_object(
       'segments', (SELECT json_agg(s ORDER BY s.agent, s.layer, s.queue, s.started_at, s.ordinal)
                    FROM (SELECT agent, layer, queue, started_at, ordinal, state, call_id, ended_at
                          FROM agent_segments WHERE tenant_id = $1) s),
       'stats', (SELECT json_agg(s ORDER BY s.agent, s.bucket_start)
                 FROM (SELECT agent, bucket_start, logged_in, ready, not_ready, wrap_up, ring, talk, hold, idle_ready,
                              calls_answered, calls_missed FROM agent_interval_stats WHERE tenant_id = $1) s),
       'extensions', (SELECT json_agg(x ORDER BY x.number)
                      FROM (SELECT e.number, e.name, e.online, e.presence, e.call_status, e.last_seen_at, e.user_agent,
                                   e.ip, e.removed, (SELECT vendor FROM sources WHERE id = e.source_id) AS vendor
                            FROM extensions e WHERE e.tenant_id = $1) x),
       'latest', (SELECT json_agg(l ORDER BY l.agent)
                  FROM (SELECT agent, at FROM agent_latest_changes WHERE tenant_id = $1) l)) AS v`,
    [tenantId],
  );
  return rows[0].v;
}

const stats = (
  loggedIn: number,
  ready: number,
  notReady: number,
  wrapUp: number,
  ring: number,
  talk: number,
  answered: number,
  missed: number,
  occupancy: number | null,
) => ({
  loggedInSeconds: loggedIn,
  readySeconds: ready,
  notReadySeconds: notReady,
  wrapUpSeconds: wrapUp,
  ringSeconds: ring,
  talkSeconds: talk,
  holdSeconds: 0,
  callsAnswered: answered,
  callsMissed: missed,
  occupancy,
});

describe('agent timeline, agent stats and extension directory', () => {
  it('projects a hand-computed agent day; reports roll up in UTC, Asia/Kathmandu and Asia/Kolkata', async () => {
    const tenant = await createTenant();
    const { tenantId } = tenant;
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 5 });

    // Everything but the queue mapping first: the queue-id pushes form their own timeline "Q1".
    await store.append(
      toEvents(
        DAY.filter((i) => i !== QUEUE_STATUS),
        tenant,
      ),
    );
    await catchUp(runner);
    const { rows: before } = await pool.query(
      `SELECT DISTINCT queue FROM agent_segments WHERE tenant_id = $1 AND layer = 'AGENT_STATE' ORDER BY 1`,
      [tenantId],
    );
    expect(before.map((r) => r.queue)).toEqual(['8000', 'Q1']);

    // queue_status maps Q1 → 8000: the stored changes are relabelled and the timelines merge.
    await store.append(toEvents([QUEUE_STATUS], tenant));
    await catchUp(runner);

    const { rows: segments } = await pool.query(
      `SELECT layer, nullif(queue, '') AS queue, state, call_id, started_at, ended_at FROM agent_segments
       WHERE tenant_id = $1 AND agent = '101' ORDER BY layer, started_at, ordinal`,
      [tenantId],
    );
    const seg = (
      layer: string,
      queue: string | null,
      state: string,
      callId: string | null,
      s: string,
      e: string | null,
    ) => ({
      layer,
      queue,
      state,
      call_id: callId,
      started_at: at(s),
      ended_at: e === null ? null : at(e),
    });
    expect(segments).toEqual([
      seg('AGENT_STATE', '8000', 'READY', null, '09:05:00', '09:10:12'),
      seg('AGENT_STATE', '8000', 'QUEUE_CALL', 's1', '09:10:12', '09:17:30'),
      seg('AGENT_STATE', '8000', 'WRAP_UP', null, '09:17:30', '09:18:30'),
      seg('AGENT_STATE', '8000', 'READY', null, '09:18:30', '09:40:00'),
      seg('AGENT_STATE', '8000', 'NOT_READY', null, '09:40:00', '10:05:00'),
      seg('AGENT_STATE', '8000', 'READY', null, '10:05:00', null),
      seg('CALL', null, 'RINGING', 's1', '09:10:00', '09:10:12'),
      seg('CALL', null, 'TALKING', 's1', '09:10:12', '09:17:30'),
      seg('CALL', null, 'RINGING', 's2', '09:29:50', '09:30:10'),
      seg('CALL', null, 'RINGING', 's3', '09:45:00', '09:46:00'),
      seg('CALL', null, 'RINGING', 's4', '09:46:00', '09:46:05'),
      seg('CALL', null, 'TALKING', 's4', '09:46:05', '09:50:00'),
      seg('PRESENCE', null, 'ONLINE', null, '08:58:00', '09:50:00'),
      seg('PRESENCE', null, 'AWAY', null, '09:50:00', '10:20:00'),
      seg('PRESENCE', null, 'ONLINE', null, '10:20:00', null),
      seg('REGISTRATION', null, 'ONLINE', null, '08:58:00', null),
    ]);

    // 15-minute buckets, by hand. loggedIn before the first agent state (09:05) is registration
    // time; the open READY from 10:05 counts up to 10:20, the agent's latest change.
    const { rows: buckets } = await pool.query(
      `SELECT to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI') AS b, logged_in, ready, not_ready, wrap_up, ring, talk,
              hold, idle_ready, calls_answered, calls_missed
       FROM agent_interval_stats WHERE tenant_id = $1 AND agent = '101' ORDER BY bucket_start`,
      [tenantId],
    );
    expect(buckets.map((r) => Object.values(r))).toEqual([
      // bucket, loggedIn, ready, notReady, wrapUp, ring, talk, hold, idleReady, answered, missed
      ['08:45', 120, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      ['09:00', 900, 312, 0, 0, 12, 288, 0, 300, 1, 0],
      ['09:15', 900, 690, 0, 60, 10, 150, 0, 680, 0, 1], // the 09:29:50 ring is counted where it began
      ['09:30', 900, 600, 300, 0, 10, 0, 0, 590, 0, 0],
      ['09:45', 900, 0, 900, 0, 65, 235, 0, 0, 1, 1],
      ['10:00', 900, 600, 300, 0, 0, 0, 0, 600, 0, 0],
      ['10:15', 300, 300, 0, 0, 0, 0, 0, 300, 0, 0],
    ]);
    const { rows: nexbroBuckets } = await pool.query(
      `SELECT to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI') AS b, logged_in FROM agent_interval_stats
       WHERE tenant_id = $1 AND agent = '234' ORDER BY bucket_start`,
      [tenantId],
    );
    expect(nexbroBuckets).toEqual([
      { b: '09:00', logged_in: 600 },
      { b: '09:15', logged_in: 900 },
      { b: '09:30', logged_in: 600 },
    ]);

    const day = { from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };
    const hourly = (timezone: string, agents?: string[]) =>
      agentStats(pool, tenantId, { ...day, granularity: 'HOUR', timezone, agents });
    expect(await hourly('UTC', ['101'])).toEqual([
      { agent: '101', intervalStart: at('08:00:00'), ...stats(120, 0, 0, 0, 0, 0, 0, 0, null) },
      { agent: '101', intervalStart: at('09:00:00'), ...stats(3600, 1602, 1200, 60, 97, 673, 2, 2, 733 / 2303) },
      { agent: '101', intervalStart: at('10:00:00'), ...stats(1200, 900, 300, 0, 0, 0, 0, 0, 0) },
    ]);
    // +05:45: local hours begin at :15 UTC.
    expect(await hourly('Asia/Kathmandu', ['101'])).toEqual([
      { agent: '101', intervalStart: at('08:15:00'), ...stats(1020, 312, 0, 0, 12, 288, 1, 0, 288 / 588) },
      { agent: '101', intervalStart: at('09:15:00'), ...stats(3600, 1890, 1500, 60, 85, 385, 1, 2, 445 / 2315) },
      { agent: '101', intervalStart: at('10:15:00'), ...stats(300, 300, 0, 0, 0, 0, 0, 0, 0) },
    ]);
    // +05:30: local hours begin at :30 UTC.
    expect(await hourly('Asia/Kolkata', ['101'])).toEqual([
      { agent: '101', intervalStart: at('08:30:00'), ...stats(1920, 1002, 0, 60, 22, 438, 1, 1, 498 / 1478) },
      { agent: '101', intervalStart: at('09:30:00'), ...stats(3000, 1500, 1500, 0, 75, 235, 1, 1, 235 / 1725) },
    ]);
    // Without an agent filter every agent is there, ordered by interval then agent.
    expect(
      (await hourly('UTC')).map((r) => [r.intervalStart.toISOString().slice(11, 16), r.agent, r.loggedInSeconds]),
    ).toEqual([
      ['08:00', '101', 120],
      ['09:00', '101', 3600],
      ['09:00', '234', 2100],
      ['10:00', '101', 1200],
    ]);
    // A local day is the sum of its buckets whatever the zone.
    const [kathmanduDay] = await agentStats(pool, tenantId, {
      ...day,
      granularity: 'DAY',
      timezone: 'Asia/Kathmandu',
      agents: ['101'],
    });
    expect(kathmanduDay).toMatchObject({
      intervalStart: new Date('2026-03-01T18:15:00Z'),
      loggedInSeconds: 4920,
      talkSeconds: 673,
    });

    expect(await agentTimeline(pool, tenantId, '101', at('09:15:00'), at('09:45:00'))).toEqual(
      [
        ['REGISTRATION', null, 'ONLINE', null, '08:58:00', null],
        ['PRESENCE', null, 'ONLINE', null, '08:58:00', '09:50:00'],
        ['AGENT_STATE', '8000', 'QUEUE_CALL', 's1', '09:10:12', '09:17:30'],
        ['CALL', null, 'TALKING', 's1', '09:10:12', '09:17:30'],
        ['AGENT_STATE', '8000', 'WRAP_UP', null, '09:17:30', '09:18:30'],
        ['AGENT_STATE', '8000', 'READY', null, '09:18:30', '09:40:00'],
        ['CALL', null, 'RINGING', 's2', '09:29:50', '09:30:10'],
        ['AGENT_STATE', '8000', 'NOT_READY', null, '09:40:00', '10:05:00'],
      ].map(([layer, queue, state, callId, s, e]) => ({
        agent: '101',
        layer,
        queue,
        state,
        callId,
        startedAt: at(s!),
        endedAt: e === null ? null : at(e),
      })),
    );
    // A zero-length range edge: a segment ending exactly at `from` does not overlap.
    expect((await agentTimeline(pool, tenantId, '101', at('09:17:30'), at('09:17:31'))).map((s) => s.state)).toEqual([
      'ONLINE',
      'ONLINE',
      'WRAP_UP',
    ]);
    // Tenant-bounded: another tenant sees nothing.
    const other = await createTenant();
    expect(await agentTimeline(pool, other.tenantId, '101', at('09:00:00'), at('10:00:00'))).toEqual([]);
    expect(await extensions(pool, other.tenantId)).toEqual([]);

    expect(await extensions(pool, tenantId)).toEqual([
      {
        number: '101',
        name: 'Alice Smith',
        online: true,
        presence: 'ONLINE',
        callStatus: 'IDLE',
        lastSeenAt: at('10:20:00'),
        userAgent: null,
        ip: null,
      },
      {
        number: '234',
        name: 'Rupinder Singh',
        online: false,
        presence: null,
        callStatus: null,
        lastSeenAt: at('09:40:00'),
        userAgent: 'Zoiper 5.6.9',
        ip: '10.1.1.71',
      },
    ]);
  });

  it("counts an open segment up to the agent's latest change, and further when a later change arrives", async () => {
    const tenant = await createTenant();
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 10 });
    const loggedIn = async () =>
      (
        await pool.query(
          `SELECT to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI') AS b, logged_in FROM agent_interval_stats
           WHERE tenant_id = $1 ORDER BY bucket_start`,
          [tenant.tenantId],
        )
      ).rows;
    // Registered at 10:55Z (16:25 in Asia/Kolkata): open, and nothing after it yet.
    await store.append(
      toEvents(
        [nexbro({ event: 'EXTENSION_REGISTER_SUCCESS', extension: '103', timestamp: '2026-03-02 16:25:00' })],
        tenant,
      ),
    );
    await catchUp(runner);
    expect(await loggedIn()).toEqual([]);
    // A first call at 11:20Z: a new CALL timeline, yet the registration counts up to it.
    await store.append(
      toEvents(
        [
          nexbro({
            event: 'CALL_RINGING',
            call_uuid: 'n2',
            call_session_uuid: 'n2',
            caller_id_number: '+15550100',
            destination_number: '103',
            timestamp: '2026-03-02 16:50:00',
          }),
        ],
        tenant,
      ),
    );
    await catchUp(runner);
    expect(await loggedIn()).toEqual([
      { b: '10:45', logged_in: 300 },
      { b: '11:00', logged_in: 900 },
      { b: '11:15', logged_in: 300 },
    ]);
  });

  it('a late answer turns an earlier missed ring into an answered one, in the bucket where it rang', async () => {
    const tenant = await createTenant();
    const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 10 });
    // Nexbro, Asia/Kolkata: 16:30 local = 11:00Z. Agent 102 is rung, the leg hangs up, later
    // activity moves its latest change on; only then does the answer of that same call arrive.
    const call = (event: string, local: string) =>
      nexbro({
        event,
        call_uuid: 'n1',
        call_session_uuid: 'n1',
        caller_id_number: '+15550100',
        destination_number: '102',
        timestamp: `2026-03-02 ${local}`,
      });
    const register = nexbro({
      event: 'EXTENSION_REGISTER_SUCCESS',
      extension: '102',
      timestamp: '2026-03-02 16:25:00',
    });
    const later = nexbro({ event: 'EXTENSION_REGISTER_SUCCESS', extension: '102', timestamp: '2026-03-02 17:10:00' });
    await store.append(
      toEvents([register, call('CALL_RINGING', '16:30:00'), call('CALL_HANGUP', '16:30:20'), later], tenant),
    );
    await catchUp(runner);
    const verdicts = async () =>
      (
        await pool.query(
          `SELECT to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI') AS b, calls_answered, calls_missed
           FROM agent_interval_stats WHERE tenant_id = $1 AND (calls_answered > 0 OR calls_missed > 0)`,
          [tenant.tenantId],
        )
      ).rows;
    expect(await verdicts()).toEqual([{ b: '11:00', calls_answered: 0, calls_missed: 1 }]);

    await store.append(toEvents([call('CALL_ANSWER', '16:50:00')], tenant));
    await catchUp(runner);
    expect(await verdicts()).toEqual([{ b: '11:00', calls_answered: 1, calls_missed: 0 }]);
    const incremental = await snapshot(tenant.tenantId);

    const rebuilt = await createTenant();
    await store.append(
      toEvents(
        [
          register,
          call('CALL_RINGING', '16:30:00'),
          call('CALL_HANGUP', '16:30:20'),
          later,
          call('CALL_ANSWER', '16:50:00'),
        ],
        rebuilt,
      ),
    );
    await catchUp(runner);
    expect(await snapshot(rebuilt.tenantId)).toEqual(incremental);
  });

  it('any batching, order and duplication gives the read models of a rebuild', async () => {
    const tenants: Array<{ tenantId: string; incremental: unknown }> = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const tenant = await createTenant();
      const rnd = prng(seed);
      // Distinct deliveries of the same facts (the store drops exact duplicates itself).
      const items = [...DAY.map((i) => ({ i, v: 0 })), ...DAY.filter(() => rnd() < 0.4).map((i) => ({ i, v: seed }))];
      for (let k = items.length - 1; k > 0; k--) {
        const j = Math.floor(rnd() * (k + 1));
        [items[k], items[j]] = [items[j], items[k]];
      }
      const runner = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 1 + Math.floor(rnd() * 3) });
      for (let k = 0; k < items.length;) {
        const n = 1 + Math.floor(rnd() * 4);
        const chunk = items.slice(k, k + n);
        k += n;
        await store.append(chunk.flatMap(({ i, v }) => toEvents([i], tenant, v)));
        await catchUp(runner);
      }
      const incremental = (await snapshot(tenant.tenantId)) as Record<string, unknown[] | null>;
      expect([incremental.segments?.length, incremental.stats?.length, incremental.extensions?.length]).toEqual([
        18, 10, 2,
      ]);
      tenants.push({ tenantId: tenant.tenantId, incremental });
      // Each agent's latest change time, kept by the insert of the changes, is that of its changes.
      const { rows: latest } = await pool.query(
        `SELECT json_agg(l ORDER BY l.agent) AS v
         FROM (SELECT agent, max(at) AS at FROM agent_changes WHERE tenant_id = $1 GROUP BY agent) l`,
        [tenant.tenantId],
      );
      expect(incremental.latest).toEqual(latest[0].v);
      expect(incremental.latest?.length).toBeGreaterThan(1);

      // Replaying stored events (in random order, in small batches) changes nothing.
      const stored = (await store.readAfter(START_CHECKPOINT, 10_000, undefined, { fields: 'keys' })).filter(
        (e) => e.tenantId === tenant.tenantId,
      );
      const shuffled: StoredEvent[] = [...stored].sort(() => rnd() - 0.5);
      for (let k = 0; k < shuffled.length; k += 3) {
        await withTransaction(pool, async (client) => {
          for (const p of PROJECTIONS) await p.apply(client, shuffled.slice(k, k + 3), new Date());
        });
      }
      expect(await snapshot(tenant.tenantId)).toEqual(incremental);
    }
    // The same facts in other orders and batches: identical read models.
    for (const t of tenants.slice(1)) expect(t.incremental).toEqual(tenants[0].incremental);

    const rebuild = new ProjectionRunner(pool, store, { partitions: 1, batchSize: 1000 });
    for (const p of PROJECTIONS) await rebuild.reset(p);
    expect(await snapshot(tenants[0].tenantId)).toEqual({
      segments: null,
      stats: null,
      extensions: null,
      latest: null,
    });
    await catchUp(rebuild);
    for (const t of tenants) expect(await snapshot(t.tenantId)).toEqual(t.incremental);
  });
});

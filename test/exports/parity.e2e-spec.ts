import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { CALL_FIELDS } from '@app/reporting';
import { REPORTS } from '@app/exports';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { cliInProcess, outboundCall, tempFile } from '../billing/support';
import { DAY } from '../fixtures/portsip-queue-day';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { voipcloudQueueCalls } from './fixtures';
import { Json, TestTenant, csvRows, expectedCsv, exportCsv, gql, tenantWith } from './support';

/**
 * The promise: a CSV export parsed back equals the GraphQL answer for the same
 * parameters — every report, in zones with whole, 45-minute and negative offsets.
 */
let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenant: TestTenant;

const FROM = '2026-03-01T00:00:00Z';
const TO = '2026-03-04T00:00:00Z';
const ZONES = ['UTC', 'Asia/Kathmandu', 'America/New_York'];

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule, ApiModule], { PROJECTION_CATCHUP_MS: '200' }));
  pool = testPool(TEST_DATABASE_URL);
  // Two days of VoIPcloud queue calls (every 61 minutes, across midnight in every zone), rated
  // outbound calls, and the PortSIP queue day (agent states of 101-103) in one tenant.
  const outbound = [3, 47, 61, 125, 601].map((talk, i) =>
    outboundCall({ id: `out-${i}`, to: `+6141${i}000000`, start: `2026-03-0${2 + (i % 2)}T0${i}:30:00Z`, talk }),
  );
  const rates = tempFile(
    'rates.csv',
    'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment\r\n61,Australia,0.10,0,60,60\r\n614,AU mobile,0.2375,0.05,30,6\r\n',
  );
  tenant = await tenantWith(
    url,
    app.get(TenancyService),
    pool,
    'parity',
    [
      {
        vendor: 'voipcloud',
        payloads: [...voipcloudQueueCalls('2026-03-01T20:10:00Z', 48, 61), ...outbound],
        carrier: 'telstra',
      },
      { vendor: 'portsip', payloads: DAY, queues: ['8000'] },
    ],
    {
      country: 'AU',
      beforeEvents: async (id) => {
        const imported = await cliInProcess('rates:import', '--tenant', id, '--carrier', 'telstra', '--file', rates);
        expect(imported.out).toMatchObject({ imported: 2, rejected: 0 });
      },
    },
  );
}, 120000);
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

/** Every page of `calls` with every scalar field. */
async function allCalls(filter: Json): Promise<Json[]> {
  const fields = CALL_FIELDS.map((f) => f.name).join(' ');
  const out: Json[] = [];
  let after: string | null = null;
  for (;;) {
    const { body } = await gql(
      url,
      tenant.key,
      `query($f: CallFilter, $a: String) { calls(filter: $f, first: 500, after: $a) {
         edges { node { ${fields} } } pageInfo { hasNextPage endCursor } } }`,
      { f: filter, a: after },
    );
    expect(body.errors).toBeUndefined();
    out.push(...body.data.calls.edges.map((e: { node: Json }) => e.node));
    if (!body.data.calls.pageInfo.hasNextPage) return out;
    after = body.data.calls.pageInfo.endCursor;
  }
}

async function graphqlList(query: string, variables: Json, field: string): Promise<Json[]> {
  const { body } = await gql(url, tenant.key, query, variables);
  expect(body.errors).toBeUndefined();
  return body.data[field] as Json[];
}

const fieldsOf = (report: keyof typeof REPORTS) => REPORTS[report].columns.map((c) => c.name).join(' ');

describe.each(ZONES)('CSV equals GraphQL in %s', (zone) => {
  it('calls: all of them, and a filtered listing', async () => {
    const all = await allCalls({ from: FROM, to: TO });
    expect(all.filter((c) => c.vendor === 'voipcloud')).toHaveLength(48 + 5);
    // Rated calls: the billing columns come through the export too (money as exact decimals).
    expect(all.filter((c) => c.cost !== null).map((c) => [c.billableSeconds, c.cost])).toHaveLength(5);
    expect(all.filter((c) => c.vendor === 'portsip').length).toBeGreaterThan(0);
    const { run, text } = await exportCsv(url, tenant.key, { report: 'CALLS', from: FROM, to: TO, timezone: zone });
    expect(csvRows(text)).toEqual(expectedCsv(REPORTS.CALLS.columns, all, zone));
    expect(run.rowCount).toBe(all.length);

    const filter = { direction: 'INBOUND', queue: 'Sales', disposition: 'ANSWERED' };
    const some = await allCalls({ ...filter, from: FROM, to: TO });
    expect(some.length).toBeGreaterThan(5);
    const filtered = await exportCsv(url, tenant.key, { report: 'CALLS', from: FROM, to: TO, timezone: zone, filter });
    expect(csvRows(filtered.text)).toEqual(expectedCsv(REPORTS.CALLS.columns, some, zone));
  });

  it.each(['HOUR', 'DAY'])('queue stats by %s', async (granularity) => {
    const stats = await graphqlList(
      `query($from: DateTime!, $to: DateTime!, $g: Granularity!, $z: String) {
         queueStats(from: $from, to: $to, granularity: $g, timezone: $z) { ${fieldsOf('QUEUE_STATS')} } }`,
      { from: FROM, to: TO, g: granularity, z: zone },
      'queueStats',
    );
    expect(new Set(stats.map((s) => s.queue))).toEqual(new Set(['Sales', 'Support', '8000']));
    const { text } = await exportCsv(url, tenant.key, {
      report: 'QUEUE_STATS',
      from: FROM,
      to: TO,
      timezone: zone,
      granularity,
    });
    expect(csvRows(text)).toEqual(expectedCsv(REPORTS.QUEUE_STATS.columns, stats, zone));
  });

  it('agent stats by hour, for two agents', async () => {
    const stats = await graphqlList(
      `query($from: DateTime!, $to: DateTime!, $z: String, $a: [String!]) {
         agentStats(from: $from, to: $to, granularity: HOUR, timezone: $z, agents: $a) { ${fieldsOf('AGENT_STATS')} } }`,
      { from: FROM, to: TO, z: zone, a: ['201', '101'] },
      'agentStats',
    );
    expect(stats.length).toBeGreaterThan(10);
    const { text } = await exportCsv(url, tenant.key, {
      report: 'AGENT_STATS',
      from: FROM,
      to: TO,
      timezone: zone,
      granularity: 'HOUR',
      agents: ['201', '101'],
    });
    expect(csvRows(text)).toEqual(expectedCsv(REPORTS.AGENT_STATS.columns, stats, zone));
  });

  it('agent timeline of two agents, in the order asked', async () => {
    const timeline: Json[] = [];
    for (const agent of ['201', '101']) {
      timeline.push(
        ...(await graphqlList(
          `query($a: String!, $from: DateTime!, $to: DateTime!) {
             agentTimeline(agent: $a, from: $from, to: $to) { ${fieldsOf('AGENT_TIMELINE')} } }`,
          { a: agent, from: FROM, to: TO },
          'agentTimeline',
        )),
      );
    }
    expect(new Set(timeline.map((s) => s.agent))).toEqual(new Set(['201', '101']));
    const { text } = await exportCsv(url, tenant.key, {
      report: 'AGENT_TIMELINE',
      from: FROM,
      to: TO,
      timezone: zone,
      agents: ['201', '101'],
    });
    expect(csvRows(text)).toEqual(expectedCsv(REPORTS.AGENT_TIMELINE.columns, timeline, zone));
  });
});

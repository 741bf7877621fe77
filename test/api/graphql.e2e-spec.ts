import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getIntrospectionQuery } from 'graphql';
import { Pool } from 'pg';
import { TenantDb, createApiKey, revokeApiKey } from '@app/api';
import { buildSchemaSdl } from '@app/api/schema';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { DAY, T0 } from '../fixtures/portsip-queue-day';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { waitForProjections } from '../support/projections';

const ROOT = resolve(__dirname, '../..');
const fixture = (vendor: string, name: string) =>
  JSON.parse(readFileSync(resolve(ROOT, 'libs/vendors', vendor, '__fixtures__', name), 'utf8')) as unknown;

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

interface Tenant {
  id: string;
  sourceId: string;
  key: string;
}

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule, ApiModule], { PROJECTION_CATCHUP_MS: '200' }));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

async function post(sourceId: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/webhooks/${sourceId}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function tenantWith(name: string, vendor: 'portsip' | 'voipcloud', payloads: unknown[]): Promise<Tenant> {
  const tenant = await tenancy.createTenant({ name, timezone: 'UTC' });
  const source = await tenancy.createSource({ tenantId: tenant.id, vendor, auth: 'none', queues: ['8000'] });
  for (const p of payloads) await post(source.id, p);
  await waitForProjections(pool, tenant.id, 30000, [
    'call-sessions',
    'queue-attempts',
    'agent-timeline',
    'extension-directory',
  ]);
  return { id: tenant.id, sourceId: source.id, key: (await createApiKey(pool, tenant.id, name)).key };
}

async function gql(
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers are checked by value
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('GraphQL API', () => {
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    // Tenant A: the PortSIP queue day (23 callers) and the documented call_cdr example.
    a = await tenantWith('A', 'portsip', [...DAY, fixture('portsip', 'call_cdr.json')]);
    // Tenant B: two VoIPcloud summaries.
    b = await tenantWith('B', 'voipcloud', [
      fixture('voipcloud', 'queue_call.json'),
      fixture('voipcloud', 'ring_group_call.json'),
    ]);
  }, 120000);

  it('schema.gql is the schema the code serves', async () => {
    expect(readFileSync(resolve(ROOT, 'schema.gql'), 'utf8')).toBe(await buildSchemaSdl());
  });

  it('needs a valid, unrevoked API key', async () => {
    const none = await gql(null, '{ extensions { number } }');
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0]).toEqual({
      message: 'send an API key as Authorization: Bearer <key>',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect((await gql('cdr_' + 'x'.repeat(43), '{ extensions { number } }')).status).toBe(401);
    const extra = await createApiKey(pool, a.id, 'temporary');
    expect((await gql(extra.key, '{ extensions { number } }')).status).toBe(200);
    expect(await revokeApiKey(pool, extra.id)).toBe(true);
    const revoked = await gql(extra.key, '{ extensions { number } }');
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors?.[0].message).toBe('the API key is not valid or was revoked');
  });

  it('calls: the PortSIP example with its legs and stored events, in one page', async () => {
    const { body } = await gql(
      a.key,
      `query($f: CallFilter) { calls(filter: $f, first: 10) { totalCount pageInfo { hasNextPage endCursor }
         edges { cursor node { id vendorCallId direction disposition didNumber answeredBy queue talkSeconds
           legs { destination kind status talkSeconds } events { type payload } } } } }`,
      { f: { number: '18800606' } },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.calls.totalCount).toBe(1);
    const call = body.data.calls.edges[0].node;
    expect(call).toMatchObject({
      direction: 'INBOUND',
      disposition: 'ANSWERED',
      didNumber: '18800606',
      answeredBy: '102',
      queue: '8000',
      talkSeconds: 21,
    });
    expect(call.legs.length).toBeGreaterThan(0);
    expect(call.events).toEqual([{ type: 'call_cdr', payload: JSON.stringify(fixture('portsip', 'call_cdr.json')) }]);
    const one = await gql(a.key, `query($id: ID!) { call(id: $id) { vendorCallId events { type } } }`, { id: call.id });
    expect(one.body.data.call).toEqual({ vendorCallId: call.vendorCallId, events: [{ type: 'call_cdr' }] });
  });

  it('queueStats and agentTimeline answer with the tenant’s numbers', async () => {
    const { body } = await gql(
      a.key,
      `query($from: DateTime!, $to: DateTime!) { queueStats(from: $from, to: $to, granularity: HOUR, timezone: "Asia/Kolkata") {
         queue intervalStart offered answered abandoned shortAbandoned serviceLevel } }`,
      { from: new Date((T0 - 3600) * 1000).toISOString(), to: new Date((T0 + 7200) * 1000).toISOString() },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.queueStats).toEqual([
      {
        queue: '8000',
        intervalStart: '2026-03-02T08:30:00.000Z',
        offered: 23,
        answered: 10,
        abandoned: 4,
        shortAbandoned: 3,
        serviceLevel: 8 / 17,
      },
    ]);
  });

  describe('tenant isolation', () => {
    it('B never sees A’s calls, stats or extensions — not by filters, ids or A’s cursors', async () => {
      const mine = await gql(b.key, '{ calls(first: 500) { totalCount edges { node { id vendor } } } }');
      expect(mine.body.data.calls.totalCount).toBe(2);
      expect(new Set(mine.body.data.calls.edges.map((e: { node: { vendor: string } }) => e.node.vendor))).toEqual(
        new Set(['voipcloud']),
      );

      const aCalls = await gql(a.key, '{ calls(first: 2) { edges { node { id } } pageInfo { endCursor } } }');
      const aId = aCalls.body.data.calls.edges[0].node.id;
      const aCursor = aCalls.body.data.calls.pageInfo.endCursor;
      expect((await gql(b.key, `query($id: ID!) { call(id: $id) { id } }`, { id: aId })).body.data.call).toBeNull();
      const withCursor = await gql(
        b.key,
        `query($c: String) { calls(after: $c, first: 500) { edges { node { vendor } } } }`,
        { c: aCursor },
      );
      for (const e of withCursor.body.data?.calls.edges ?? []) expect(e.node.vendor).toBe('voipcloud');
      const crafted = await gql(b.key, `query($s: ID) { calls(filter: { sourceId: $s }) { totalCount } }`, {
        s: a.sourceId,
      });
      expect(crafted.body.data.calls.totalCount).toBe(0);
      const stats = await gql(
        b.key,
        `{ queueStats(from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z", granularity: DAY, queues: ["8000"]) { queue } }`,
      );
      expect(stats.body.data.queueStats).toEqual([]);
      const timeline = await gql(
        b.key,
        `{ agentTimeline(agent: "101", from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z") { agent } }`,
      );
      expect(timeline.body.data.agentTimeline).toEqual([]);
      const agents = await gql(
        b.key,
        `{ agentStats(from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z", granularity: DAY) { agent } }`,
      );
      expect(agents.body.data.agentStats).toEqual([]);
    });

    it('PostgreSQL enforces it: an unfiltered query in B’s session returns only B’s rows', async () => {
      const db = new TenantDb(pool, b.id);
      const counts = await db.run(async (c) => {
        const out: Record<string, number> = {};
        for (const t of [
          'call_sessions',
          'call_legs',
          'raw_events',
          'queue_attempts',
          'queue_interval_stats',
          'queue_hour_stats',
          'tenants',
        ])
          out[t] = (await c.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n;
        out.foreign = (
          await c.query(`SELECT count(*)::int AS n FROM call_sessions WHERE tenant_id <> $1`, [b.id])
        ).rows[0].n;
        out.foreignHours = (
          await c.query(`SELECT count(*)::int AS n FROM queue_hour_stats WHERE tenant_id <> $1`, [b.id])
        ).rows[0].n;
        return out;
      });
      expect(counts).toEqual({
        call_sessions: 2,
        call_legs: counts.call_legs,
        raw_events: 2,
        queue_attempts: 2,
        queue_interval_stats: 2,
        queue_hour_stats: counts.queue_hour_stats,
        tenants: 1,
        foreign: 0,
        foreignHours: 0,
      });
      expect(counts.queue_hour_stats).toBeGreaterThan(0);
      // Other tenants have hour rows too; B's session sees none of them.
      expect(
        (await pool.query(`SELECT count(*)::int AS n FROM queue_hour_stats WHERE tenant_id <> $1`, [b.id])).rows[0].n,
      ).toBeGreaterThan(0);
      await expect(db.run((c) => c.query(`UPDATE call_sessions SET queue = 'x'`))).rejects.toThrow(
        /read-only transaction/,
      );
      await expect(db.run((c) => c.query(`SELECT count(*) FROM api_keys`))).rejects.toThrow(/permission denied/);
    });
  });

  describe('limits and errors', () => {
    const error = async (query: string, variables: Record<string, unknown> = {}) => {
      const { body } = await gql(a.key, query, variables);
      expect(body.errors?.length).toBeGreaterThan(0);
      for (const e of body.errors ?? []) expect(JSON.stringify(e)).not.toMatch(/stack|SELECT|node_modules|\.ts:/);
      return body.errors![0];
    };

    it('page size, time zone, range and span', async () => {
      expect(await error('{ calls(first: 501) { totalCount } }')).toMatchObject({
        message: 'first must be between 1 and 500',
        extensions: { code: 'BAD_USER_INPUT', field: 'first' },
      });
      expect(
        await error(
          '{ queueStats(from: "2026-03-02T00:00:00Z", to: "2026-03-03T00:00:00Z", granularity: HOUR, timezone: "Mars/Olympus") { queue } }',
        ),
      ).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'timezone' } });
      expect(
        (
          await error(
            '{ queueStats(from: "2026-03-03T00:00:00Z", to: "2026-03-02T00:00:00Z", granularity: HOUR) { queue } }',
          )
        ).message,
      ).toBe('from must be before to');
      expect(
        (
          await error(
            '{ agentStats(from: "2026-01-01T00:00:00Z", to: "2026-03-02T00:00:00Z", granularity: FIFTEEN_MINUTES) { agent } }',
          )
        ).message,
      ).toBe('the range may span at most 31 days at FIFTEEN_MINUTES');
      expect((await error('{ calls(after: "garbage") { totalCount } }')).extensions).toMatchObject({ field: 'after' });
    });

    it('depth, cost and body size', async () => {
      // The standard introspection query (depth 15) is what BI connectors send first: allowed.
      const introspection = await gql(a.key, getIntrospectionQuery());
      expect(introspection.body.errors).toBeUndefined();
      expect(introspection.body.data.__schema.queryType).toEqual({ kind: 'OBJECT', name: 'Query' });
      const deep = await error(
        `{ __schema { types { fields { type { ${'ofType { '.repeat(12)}name${' }'.repeat(12)} } } } } }`,
      );
      expect(deep.message).toBe('unnamedQuery query depth (17) exceeds the query depth limit of 15');
      expect(deep.extensions).toEqual({ code: 'QUERY_TOO_DEEP' });
      // GraphQL's own syntax and validation errors keep their message (not "internal error").
      expect((await error('{ calls { nope } }')).message).toBe('Cannot query field "nope" on type "CallConnection".');
      expect((await error('{ calls {')).message).toMatch(/^Syntax Error/);
      const costly = await error(
        '{ calls(first: 500) { edges { node { events { payload type position receivedAt occurredAt } legs { destination kind status startedAt endedAt } } } } }',
      );
      expect(costly).toMatchObject({ extensions: { code: 'QUERY_TOO_COSTLY' } });
      expect(costly.message).toMatch(/^query cost \d+ exceeds the limit of 100000/);
      const big = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` },
        body: JSON.stringify({ query: `{ extensions { number } } # ${'x'.repeat(70_000)}` }),
      });
      expect(big.status).toBe(413);
    });
  });
});

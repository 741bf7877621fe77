import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { createApiKey } from '@app/api';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { waitForProjections } from '../support/projections';
import { cli, cliInProcess, gql, inboundCall, outboundCall, tempFile } from './support';

const PROJECTIONS = ['call-sessions', 'call-costs'];

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

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

const RATES = [
  'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment',
  '61,Australia,0.10,0,60,60', // line 2
  '614,AU mobile,0.20,0,6,6',
  '6141,AU mobile 41,0.30,0,1,1',
  '6128,Sydney,0.05,0.15,60,30',
  '44x,bad prefix,0.1,0,60,60', // line 6: rejected
  '6129,Sydney 9,0.1,0,60,60',
  '6129,Sydney 9 again,0.2,0,60,60', // line 8: rejected (same prefix and date as line 7)
  '', // empty lines are skipped, not rejected
].join('\r\n');

interface CallCost {
  vendorCallId: string;
  talkSeconds: number;
  billableSeconds: number | null;
  cost: string | null;
  currency: string | null;
  ratePrefix: string | null;
  carrier: string | null;
}

describe('rating', () => {
  let tenantId: string;
  let sourceId: string;
  let key: string;

  const costs = async (): Promise<Record<string, Omit<CallCost, 'vendorCallId'>>> => {
    await waitForProjections(pool, tenantId, 30000, PROJECTIONS);
    const { body } = await gql(
      url,
      key,
      `{ calls(first: 50) { edges { node { vendorCallId talkSeconds billableSeconds cost currency ratePrefix carrier } } } }`,
    );
    expect(body.errors).toBeUndefined();
    return Object.fromEntries(
      (body.data.calls.edges as Array<{ node: CallCost }>).map(({ node: { vendorCallId, ...rest } }) => [
        vendorCallId,
        rest,
      ]),
    );
  };

  beforeAll(async () => {
    const tenant = await tenancy.createTenant({ name: 'Rated', timezone: 'Australia/Sydney', country: 'AU' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'voipcloud',
      auth: 'none',
      carrier: 'telstra',
    });
    tenantId = tenant.id;
    sourceId = source.id;
    key = (await createApiKey(pool, tenantId, 'billing')).key;
  });

  it('rates:import imports the good rows and rejects the bad ones with their line numbers', async () => {
    const r = await cli(
      'rates:import',
      '--tenant',
      tenantId,
      '--carrier',
      'telstra',
      '--file',
      tempFile('rates.csv', RATES),
      '--currency',
      'aud',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toEqual({
      importId: expect.any(String),
      imported: 5,
      rejected: 2,
      rerated: 0,
      errors: [
        { line: 6, reason: 'prefix: "44x" is not 1 to 15 digits' },
        { line: 8, reason: 'prefix 6129 with this effective_from is already on line 7' },
      ],
    });
    const { rows } = await pool.query(
      `SELECT prefix, rate_per_minute::text, connect_fee::text, first_increment, next_increment, currency
       FROM rates WHERE tenant_id = $1 ORDER BY prefix`,
      [tenantId],
    );
    expect(rows).toEqual([
      {
        prefix: '61',
        rate_per_minute: '0.10',
        connect_fee: '0',
        first_increment: 60,
        next_increment: 60,
        currency: 'AUD',
      },
      {
        prefix: '6128',
        rate_per_minute: '0.05',
        connect_fee: '0.15',
        first_increment: 60,
        next_increment: 30,
        currency: 'AUD',
      },
      {
        prefix: '6129',
        rate_per_minute: '0.1',
        connect_fee: '0',
        first_increment: 60,
        next_increment: 60,
        currency: 'AUD',
      },
      {
        prefix: '614',
        rate_per_minute: '0.20',
        connect_fee: '0',
        first_increment: 6,
        next_increment: 6,
        currency: 'AUD',
      },
      {
        prefix: '6141',
        rate_per_minute: '0.30',
        connect_fee: '0',
        first_increment: 1,
        next_increment: 1,
        currency: 'AUD',
      },
    ]);
  });

  it('rates completed outbound calls by the longest prefix, with their increments, exactly', async () => {
    await post(sourceId, outboundCall({ id: 'a', to: '0412345678', start: '2026-03-02T09:00:00Z', talk: 61 }));
    await post(sourceId, outboundCall({ id: 'b', to: '0422 222 222', start: '2026-03-02T10:00:00Z', talk: 61 }));
    await post(sourceId, outboundCall({ id: 'c', to: '(02) 8000 1234', start: '2026-03-02T11:00:00Z', talk: 61 }));
    await post(sourceId, outboundCall({ id: 'd', to: '+61390001234', start: '2026-03-02T12:00:00Z', talk: 61 }));
    await post(sourceId, outboundCall({ id: 'e', to: '0011442079460000', start: '2026-03-02T13:00:00Z', talk: 30 }));
    await post(sourceId, outboundCall({ id: 'g', to: '0422222222', start: '2026-03-02T11:00:00Z', talk: 7 }));
    await post(sourceId, inboundCall('in', '2026-03-02T09:30:00Z', 40));
    const telstra = { currency: 'AUD', carrier: 'telstra', talkSeconds: 61 };
    expect(await costs()).toEqual({
      // 6141 at 1/1: 61 s x 0.30 / 60 = 0.305
      a: { ...telstra, billableSeconds: 61, cost: '0.3050', ratePrefix: '6141' },
      // 614 at 6/6: 66 s x 0.20 / 60 = 0.22
      b: { ...telstra, billableSeconds: 66, cost: '0.2200', ratePrefix: '614' },
      // 6128 at 60/30 with 0.15 connect fee: 90 s = 0.15 + 1.5 x 0.05 = 0.225
      c: { ...telstra, billableSeconds: 90, cost: '0.2250', ratePrefix: '6128' },
      // 61 at 60/60: 120 s x 0.10 / 60 = 0.20
      d: { ...telstra, billableSeconds: 120, cost: '0.2000', ratePrefix: '61' },
      // 614 at 6/6: 7 s -> 12 s x 0.20 / 60 = 0.04
      g: { ...telstra, talkSeconds: 7, billableSeconds: 12, cost: '0.0400', ratePrefix: '614' },
      // UK: the carrier has no rate for it
      e: { talkSeconds: 30, billableSeconds: null, cost: null, currency: null, ratePrefix: null, carrier: 'telstra' },
      // inbound: not rated at all
      in: { talkSeconds: 40, billableSeconds: null, cost: null, currency: null, ratePrefix: null, carrier: null },
    });
    const { rows } = await pool.query(`SELECT problem FROM call_costs WHERE tenant_id = $1 AND cost IS NULL`, [
      tenantId,
    ]);
    expect(rows).toEqual([{ problem: "no rate for the destination at the call's start" }]);
  });

  it('a new rate plan re-rates the carrier’s calls: costs replaced, never added, effective dates kept', async () => {
    const plan = [
      'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment,effective_from',
      '6141,AU mobile 41,0.36,0,1,1,', // replaces the 0.30 rate for every call
      '614,AU mobile from 10:30,0.40,0,6,6,2026-03-02T10:30:00Z', // calls from 10:30 UTC on
      '44,UK,0.60,0.05,30,6,', // a rate for the UK call
    ].join('\n');
    const r = await cli(
      'rates:import',
      '--tenant',
      tenantId,
      '--carrier',
      'telstra',
      '--file',
      tempFile('plan2.csv', plan),
    );
    expect(r.code).toBe(0);
    // 6 calls of telstra, all re-rated (a row without effective_from applies to every call)
    expect(JSON.parse(r.out)).toMatchObject({ imported: 3, rejected: 0, rerated: 6, errors: [] });
    const after = await costs();
    expect(after.a).toMatchObject({ billableSeconds: 61, cost: '0.3660', ratePrefix: '6141' }); // 61 x 0.36 / 60
    expect(after.b).toMatchObject({ billableSeconds: 66, cost: '0.2200', ratePrefix: '614' }); // 10:00: old 614 rate
    expect(after.g).toMatchObject({ billableSeconds: 12, cost: '0.0800', ratePrefix: '614' }); // 11:00: 12 x 0.40 / 60
    expect(after.c).toMatchObject({ cost: '0.2250' });
    // UK 30 s at 30/6 with 0.05 fee: 30 s = 0.05 + 0.5 x 0.60 = 0.35
    expect(after.e).toMatchObject({ billableSeconds: 30, cost: '0.3500', ratePrefix: '44', currency: 'AUD' });
    const { rows } = await pool.query(
      `SELECT count(*)::int AS rows, count(DISTINCT call_id)::int AS calls, sum(cost)::text AS total
       FROM call_costs WHERE tenant_id = $1`,
      [tenantId],
    );
    // 0.3660 + 0.2200 + 0.2250 + 0.2000 + 0.3500 + 0.0800
    expect(rows[0]).toEqual({ rows: 6, calls: 6, total: '1.4410' });
  });

  it('a late or repeated event re-rates the call instead of charging it twice', async () => {
    await post(sourceId, outboundCall({ id: 'a', to: '0412345678', start: '2026-03-02T09:00:00Z', talk: 61 }));
    await post(sourceId, {
      ...outboundCall({ id: 'a', to: '0412345678', start: '2026-03-02T09:00:00Z', talk: 125 }),
      type: 'user_outbound_completed',
    });
    const after = await costs();
    // The later summary says 125 s: 125 x 0.36 / 60 = 0.75
    expect(after.a).toMatchObject({ talkSeconds: 125, billableSeconds: 125, cost: '0.7500' });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM call_costs WHERE tenant_id = $1`, [tenantId]);
    expect(rows[0].n).toBe(6);
  });

  it('rebuilding the call-costs projection gives the same rows', async () => {
    await waitForProjections(pool, tenantId, 30000, PROJECTIONS);
    const snapshot = async () =>
      (await pool.query(`SELECT * FROM call_costs WHERE tenant_id = $1 ORDER BY call_id`, [tenantId])).rows;
    const before = await snapshot();
    const r = await cli('projections:rebuild', '--projection', 'call-costs');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).rebuilt).toEqual(['call-costs']);
    await waitForProjections(pool, tenantId, 30000, PROJECTIONS);
    expect(await snapshot()).toEqual(before);
  });

  it('clear errors for bad rate imports; nothing is imported', async () => {
    const importing = (...args: string[]) => cliInProcess('rates:import', '--tenant', tenantId, ...args);
    expect(await importing('--carrier', 'telstra', '--file', '/nonexistent/rates.csv')).toMatchObject({
      error: expect.stringMatching(/^--file: cannot read \/nonexistent\/rates.csv: ENOENT/),
    });
    expect(await importing('--carrier', 'telstra', '--file', tempFile('r.csv', 'prefix,rate\n61,0.1\n'))).toEqual({
      error:
        "the rate file's header lacks description, rate_per_minute, connect_fee, first_increment, next_increment (expected prefix,description,rate_per_minute,connect_fee,first_increment,next_increment[,effective_from,currency])",
      usage: false,
    });
    expect(await importing('--carrier', 'telstra', '--currency', 'EUR', '--file', tempFile('r.csv', RATES))).toEqual({
      error:
        "--currency: currency EUR differs from the currency of telstra's rate plan (AUD); one currency per carrier",
      usage: false,
    });
    expect(await importing('--carrier', 'telstra', '--file', tempFile('r.csv', ''))).toEqual({
      error: 'the rate file is empty (expected a header row)',
      usage: false,
    });
    expect(await importing('--file', tempFile('r.csv', RATES))).toEqual({
      error: '--carrier is required',
      usage: true,
    });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM rate_imports WHERE tenant_id = $1`, [tenantId]);
    expect(rows[0].n).toBe(2);
  });
});

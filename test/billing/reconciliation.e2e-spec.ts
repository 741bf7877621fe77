import { randomUUID } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenantDb, createApiKey } from '@app/api';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool, waitFor } from '../support/env';
import { waitForProjections } from '../support/projections';
import { reconciliationReport } from '@app/exports/reports/reconciliation.report';
import { RECONCILIATION_ITEM_COLUMNS as RECONCILIATION_COLUMNS } from '@app/reporting';
import { csvRows, exportCsv, expectedCell } from '../exports/support';
import { cli, gql, outboundCall, tempFile } from './support';

const UPLOAD_LIMIT = 64 * 1024;

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule, ApiModule], {
    PROJECTION_CATCHUP_MS: '200',
    BILLING_UPLOAD_LIMIT: String(UPLOAD_LIMIT),
  }));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const RATES = [
  'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment,currency',
  '61,Australia,0.10,0,60,60,AUD',
  '614,AU mobile,0.20,0,6,6,AUD',
  '6141,AU mobile 41,0.30,0,1,1,AUD',
  '6128,Sydney,0.05,0.15,60,30,AUD',
].join('\n');

// One carrier record of each class, and a row that cannot be read (line 7).
const CARRIER_FILE = [
  'call_id,start_time,from,to,duration,cost',
  'c1,2026-03-02T09:00:05Z,+61280001000,+61412345678,61,0.3050', // MATCHED by call id
  ',2026-03-02T10:00:07Z,0280001000,0422222222,75,0.2500', // DURATION_MISMATCH (75 vs 61 s; cost differs too)
  ',2026-03-02 11:00:08,,+61 2 8000 1234,62,0.3000', // COST_MISMATCH (0.3000 vs 0.2250; 62 vs 61 s is within 1 s)
  ',2026-03-02T13:00:00Z,,61499999999,30,0.1500', // MISSING_IN_OURS
  ',2026-03-03T00:00:02Z,,0412345678,10,0.0500', // next period: not reported here
  ',yesterday,,0412345678,10,0.0500', // line 7: rejected
].join('\r\n');

async function upload(
  key: string | null,
  query: string,
  body: string | Buffer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/billing/carrier-files?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(key && { authorization: `Bearer ${key}` }) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const RUN_FIELDS = `id carrier status from to matched durationMismatch costMismatch missingInCarrier missingInOurs
  expectedTotal billedTotal difference currency error`;

describe('reconciliation', () => {
  let tenantId: string;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    const tenant = await tenancy.createTenant({ name: 'Reconciled', timezone: 'UTC', country: 'AU' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'voipcloud',
      auth: 'none',
      carrier: 'telstra',
    });
    tenantId = tenant.id;
    key = (await createApiKey(pool, tenantId, 'billing')).key;
    const other = await tenancy.createTenant({ name: 'Other', country: 'AU' });
    otherKey = (await createApiKey(pool, other.id, 'other')).key;

    const rates = await cli(
      'rates:import',
      '--tenant',
      tenantId,
      '--carrier',
      'telstra',
      '--file',
      tempFile('r.csv', RATES),
    );
    expect(JSON.parse(rates.out)).toMatchObject({ imported: 4, rejected: 0 });
    const calls = [
      outboundCall({ id: 'c1', to: '0412345678', start: '2026-03-02T09:00:00Z', answerAfter: 5, talk: 61 }), // 0.3050
      outboundCall({ id: 'c2', to: '0422222222', start: '2026-03-02T10:00:00Z', answerAfter: 4, talk: 61 }), // 0.2200
      outboundCall({ id: 'c3', to: '0280001234', start: '2026-03-02T11:00:00Z', answerAfter: 10, talk: 61 }), // 0.2250
      outboundCall({ id: 'c4', to: '0390001234', start: '2026-03-02T12:00:00Z', answerAfter: 3, talk: 61 }), // 0.2000
      outboundCall({ id: 'c0', to: '0390001234', start: '2026-03-01T23:59:00Z', talk: 61 }), // before the period
    ];
    for (const c of calls) {
      const res = await fetch(`${url}/webhooks/${source.id}`, { method: 'POST', body: JSON.stringify(c) });
      expect(res.status).toBe(200);
    }
    await waitForProjections(pool, tenantId, 30000, ['call-sessions', 'call-costs']);
  }, 60000);

  it('POST /billing/carrier-files streams the file in; bad rows kept with line and reason; the same file twice is not doubled', async () => {
    const first = await upload(key, 'carrier=telstra&filename=march.csv', CARRIER_FILE);
    expect(first).toEqual({
      status: 200,
      body: {
        importId: expect.any(String),
        imported: 5,
        rejected: 1,
        duplicate: false,
        errors: [
          {
            line: 7,
            reason:
              'start_time: "yesterday" is not an ISO 8601 time or Unix time; give the file\'s format as time_format (e.g. "dd/MM/yyyy HH:mm:ss")',
          },
        ],
      },
    });
    const again = await upload(key, 'carrier=telstra', CARRIER_FILE);
    expect(again).toEqual({
      status: 200,
      body: { importId: first.body.importId, imported: 5, rejected: 1, duplicate: true, errors: [] },
    });
    const { rows } = await pool.query(
      `SELECT (SELECT count(*)::int FROM carrier_records WHERE tenant_id = $1) AS records,
              (SELECT count(*)::int FROM carrier_imports WHERE tenant_id = $1) AS imports,
              (SELECT json_agg(json_build_object('line', line, 'raw', raw)) FROM carrier_rejects WHERE tenant_id = $1) AS rejects`,
      [tenantId],
    );
    expect(rows[0]).toEqual({
      records: 5,
      imports: 1,
      rejects: [{ line: 7, raw: ',yesterday,,0412345678,10,0.0500' }],
    });
    const record = await pool.query(
      `SELECT carrier_call_id, from_number, to_number, started_at, duration_seconds, cost::text FROM carrier_records
       WHERE tenant_id = $1 AND line = 4`,
      [tenantId],
    );
    expect(record.rows[0]).toEqual({
      carrier_call_id: null,
      from_number: null,
      to_number: '61280001234',
      started_at: new Date('2026-03-02T11:00:08Z'),
      duration_seconds: 62,
      cost: '0.3000',
    });
  });

  it('startReconciliation classifies every record and totals expected and billed amounts', async () => {
    const started = await gql(
      url,
      key,
      `mutation($c: String!, $f: DateTime!, $t: DateTime!) { startReconciliation(carrier: $c, from: $f, to: $t) { ${RUN_FIELDS} } }`,
      { c: 'telstra', f: '2026-03-02T00:00:00Z', t: '2026-03-03T00:00:00Z' },
    );
    expect(started.body.errors).toBeUndefined();
    const run = started.body.data.startReconciliation;
    expect(run).toMatchObject({ carrier: 'telstra', status: 'QUEUED', from: '2026-03-02T00:00:00.000Z' });
    const done = await waitFor(
      async () => {
        const { body } = await gql(url, key, `query($id: ID!) { reconciliationRun(id: $id) { ${RUN_FIELDS} } }`, {
          id: run.id,
        });
        const r = body.data.reconciliationRun;
        return r.status === 'SUCCEEDED' || r.status === 'FAILED' ? r : null;
      },
      30000,
      'the reconciliation run',
    );
    expect(done).toEqual({
      id: run.id,
      carrier: 'telstra',
      status: 'SUCCEEDED',
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-03T00:00:00.000Z',
      matched: 1,
      durationMismatch: 1,
      costMismatch: 1,
      missingInCarrier: 1,
      missingInOurs: 1,
      // 0.3050 + 0.2200 + 0.2250 + 0.2000
      expectedTotal: '0.9500',
      // 0.3050 + 0.2500 + 0.3000 + 0.1500
      billedTotal: '1.0050',
      difference: '0.0550',
      currency: 'AUD',
      error: null,
    });

    const items = await gql(
      url,
      key,
      `query($id: ID!) { reconciliationItems(runId: $id) { status matchedBy carrierCallId from to startedAt carrierStartedAt
         ourSeconds carrierSeconds expectedCost carrierCost difference carrierLine } }`,
      { id: run.id },
    );
    expect(items.body.errors).toBeUndefined();
    expect(items.body.data.reconciliationItems).toEqual([
      {
        status: 'MATCHED',
        matchedBy: 'CALL_ID',
        carrierCallId: 'c1',
        from: '61280001000',
        to: '61412345678',
        startedAt: '2026-03-02T09:00:00.000Z',
        carrierStartedAt: '2026-03-02T09:00:05.000Z',
        ourSeconds: 61,
        carrierSeconds: 61,
        expectedCost: '0.3050',
        carrierCost: '0.3050',
        difference: '0.0000',
        carrierLine: 2,
      },
      {
        status: 'DURATION_MISMATCH',
        matchedBy: 'NUMBERS_AND_TIME',
        carrierCallId: null,
        from: '61280001000',
        to: '61422222222',
        startedAt: '2026-03-02T10:00:00.000Z',
        carrierStartedAt: '2026-03-02T10:00:07.000Z',
        ourSeconds: 61,
        carrierSeconds: 75,
        expectedCost: '0.2200',
        carrierCost: '0.2500',
        difference: '0.0300',
        carrierLine: 3,
      },
      {
        status: 'COST_MISMATCH',
        matchedBy: 'NUMBERS_AND_TIME',
        carrierCallId: null,
        from: null, // our caller is extension 202; the carrier's file has none
        to: '61280001234',
        startedAt: '2026-03-02T11:00:00.000Z',
        carrierStartedAt: '2026-03-02T11:00:08.000Z',
        ourSeconds: 61,
        carrierSeconds: 62,
        expectedCost: '0.2250',
        carrierCost: '0.3000',
        difference: '0.0750',
        carrierLine: 4,
      },
      {
        status: 'MISSING_IN_CARRIER',
        matchedBy: null,
        carrierCallId: null,
        from: null, // our caller is extension 202; the carrier's file has none
        to: '61390001234',
        startedAt: '2026-03-02T12:00:00.000Z',
        carrierStartedAt: null,
        ourSeconds: 61,
        carrierSeconds: null,
        expectedCost: '0.2000',
        carrierCost: null,
        difference: null,
        carrierLine: null,
      },
      {
        status: 'MISSING_IN_OURS',
        matchedBy: null,
        carrierCallId: null,
        from: null,
        to: '61499999999',
        startedAt: '2026-03-02T13:00:00.000Z',
        carrierStartedAt: '2026-03-02T13:00:00.000Z',
        ourSeconds: null,
        carrierSeconds: 30,
        expectedCost: null,
        carrierCost: '0.1500',
        difference: null,
        carrierLine: 5,
      },
    ]);

    // One status, and pages by cursor.
    const missing = await gql(
      url,
      key,
      `query($id: ID!) { reconciliationItems(runId: $id, status: MISSING_IN_OURS) { to } }`,
      {
        id: run.id,
      },
    );
    expect(missing.body.data.reconciliationItems).toEqual([{ to: '61499999999' }]);
    const page1 = await gql(
      url,
      key,
      `query($id: ID!) { reconciliationItems(runId: $id, first: 2) { status cursor } }`,
      {
        id: run.id,
      },
    );
    const after = page1.body.data.reconciliationItems[1].cursor;
    const page2 = await gql(
      url,
      key,
      `query($id: ID!, $a: String) { reconciliationItems(runId: $id, first: 2, after: $a) { status } }`,
      { id: run.id, a: after },
    );
    expect(page2.body.data.reconciliationItems).toEqual([
      { status: 'COST_MISMATCH' },
      { status: 'MISSING_IN_CARRIER' },
    ]);

    // The same items as CSV (exports issue): parsed back, equal to GraphQL cell for cell.
    const fields = RECONCILIATION_COLUMNS.join(' ');
    const all = await gql(url, key, `query($id: ID!) { reconciliationItems(runId: $id, first: 500) { ${fields} } }`, {
      id: run.id,
    });
    const { run: exported, text } = await exportCsv(url, key, {
      report: 'RECONCILIATION',
      reconciliationRunId: run.id,
      timezone: 'Australia/Sydney',
    });
    expect(exported).toMatchObject({ status: 'SUCCEEDED', rowCount: 5 });
    // The file is named by the run's period in the export's zone.
    expect(exported.downloadPath).toBe(`/exports/${exported.id}/download`);
    const [header, ...rows] = csvRows(text);
    expect(header).toEqual([...RECONCILIATION_COLUMNS]);
    const kinds = reconciliationReport.columns.map((c) => c.kind);
    expect(rows).toEqual(
      (all.body.data.reconciliationItems as Array<Record<string, unknown>>).map((item) =>
        RECONCILIATION_COLUMNS.map((c, i) => expectedCell(item[c], kinds[i], 'Australia/Sydney')),
      ),
    );
    expect(rows[0].slice(0, 7)).toEqual([
      'MATCHED',
      'CALL_ID',
      rows[0][2],
      'c1',
      '61280001000',
      '61412345678',
      '2026-03-02T20:00:00.000+11:00',
    ]);
  });

  it('a RECONCILIATION export of an unknown or unfinished run is refused with a clear error', async () => {
    const unknown = randomUUID();
    const { body } = await gql(url, key, `mutation($i: ExportRequest!) { runExport(input: $i) { id } }`, {
      i: { report: 'RECONCILIATION', reconciliationRunId: unknown },
    });
    expect(body.errors?.[0]).toMatchObject({
      message: `no reconciliation run ${unknown}`,
      extensions: { code: 'BAD_USER_INPUT', field: 'reconciliationRunId' },
    });
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO reconciliation_runs (tenant_id, carrier, period_from, period_to, status)
       VALUES ($1, 'telstra', '2026-04-01T00:00:00Z', '2026-04-02T00:00:00Z', 'FAILED') RETURNING id`,
      [tenantId],
    );
    const failed = await gql(url, key, `mutation($i: ExportRequest!) { runExport(input: $i) { id } }`, {
      i: { report: 'RECONCILIATION', reconciliationRunId: rows[0].id },
    });
    expect(failed.body.errors?.[0].message).toBe(
      `reconciliation run ${rows[0].id} is FAILED: export it once its status is SUCCEEDED`,
    );
  });

  it('asking twice while a run is queued returns the same run; another tenant sees nothing of it', async () => {
    const ask = () =>
      gql(
        url,
        key,
        `mutation { startReconciliation(carrier: "telstra", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { id status } }`,
      );
    const [a, b] = await Promise.all([ask(), ask()]);
    expect(a.body.data.startReconciliation.id).toBe(b.body.data.startReconciliation.id);
    const id = a.body.data.startReconciliation.id;
    await waitFor(
      async () =>
        (await pool.query(`SELECT status FROM reconciliation_runs WHERE id = $1`, [id])).rows[0].status === 'SUCCEEDED',
      30000,
      'the month run',
    );
    const other = await gql(
      url,
      otherKey,
      `query($id: ID!) { reconciliationRun(id: $id) { id } reconciliationItems(runId: $id) { status } }`,
      {
        id,
      },
    );
    expect(other.body.data).toEqual({ reconciliationRun: null, reconciliationItems: [] });
    // PostgreSQL enforces it: cdr_api cannot queue a run for another tenant, nor see its rows.
    const otherDb = new TenantDb(
      pool,
      (await pool.query(`SELECT tenant_id FROM api_keys WHERE name = 'other'`)).rows[0].tenant_id,
    );
    expect(
      await otherDb.run(async (c) => (await c.query(`SELECT count(*)::int AS n FROM reconciliation_items`)).rows[0].n),
    ).toBe(0);
    await expect(
      otherDb.write((c) =>
        c.query(
          `INSERT INTO reconciliation_runs (tenant_id, carrier, period_from, period_to) VALUES ($1, 'x', now(), now() + interval '1 day')`,
          [tenantId],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('a run whose job never came (queue down when it was asked for) is run by the worker’s sweep', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO reconciliation_runs (tenant_id, carrier, period_from, period_to, created_at)
       VALUES ($1, 'telstra', '2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z', now() - interval '2 minutes') RETURNING id`,
      [tenantId],
    );
    const run = await waitFor(
      async () => {
        const r = (
          await pool.query(`SELECT status, matched, expected_total::text FROM reconciliation_runs WHERE id = $1`, [
            rows[0].id,
          ])
        ).rows[0];
        return r.status === 'SUCCEEDED' ? r : null;
      },
      40000,
      'the sweep to run the queued run',
    );
    expect(run).toEqual({ status: 'SUCCEEDED', matched: 1, expected_total: '0.3050' });
  }, 60000);

  it('bad input gets a clear error and stores nothing', async () => {
    const bad = async (query: string, variables: Record<string, unknown> = {}) => {
      const { body } = await gql(url, key, query, variables);
      return body.errors?.[0];
    };
    expect(
      await bad(
        `mutation { startReconciliation(carrier: "telstra", from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z") { id } }`,
      ),
    ).toMatchObject({ message: 'from must be before to', extensions: { code: 'BAD_USER_INPUT', field: 'to' } });
    expect(
      await bad(
        `mutation { startReconciliation(carrier: " ", from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z") { id } }`,
      ),
    ).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'carrier' } });
    expect(
      await bad(
        `mutation { startReconciliation(carrier: "t", from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z", matchToleranceSeconds: -1) { id } }`,
      ),
    ).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'matchToleranceSeconds' } });
    expect(await bad(`{ reconciliationItems(runId: "nope") { status } }`)).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'runId' },
    });

    // Uploads: no key, no carrier, a bad mapping, a file over the limit, a file with no usable header.
    expect(await upload(null, 'carrier=telstra', CARRIER_FILE)).toMatchObject({ status: 401 });
    expect(await upload(key, '', CARRIER_FILE)).toEqual({
      status: 400,
      body: { error: 'carrier must be a carrier name of 1 to 100 characters', field: 'carrier' },
    });
    expect(
      await upload(key, `carrier=telstra&mapping=${encodeURIComponent('{"start":"x"}')}`, CARRIER_FILE),
    ).toMatchObject({
      status: 400,
      body: { field: 'mapping' },
    });
    expect(await upload(key, 'carrier=telstra', 'when,where\n1,2\n')).toEqual({
      status: 400,
      body: {
        error:
          "the carrier file's columns: no start_time column (name it start_time or map it); no to column (name it to or map it); no duration column (name it duration or map it)",
        field: 'file',
      },
    });
    const form = new FormData();
    form.append('file', new Blob([CARRIER_FILE]), 'march.csv');
    const multipart = await fetch(`${url}/billing/carrier-files?carrier=telstra`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(multipart.status).toBe(415);
    expect(await multipart.json()).toEqual({
      error: 'send the CSV file itself as the request body (curl --data-binary @file.csv), not as a multipart form',
    });
    const big = Buffer.from(`${CARRIER_FILE}\r\n${',2026-03-02T13:00:00Z,,61499999999,30,0.1500\r\n'.repeat(2000)}`);
    expect(big.length).toBeGreaterThan(UPLOAD_LIMIT);
    expect(await upload(key, 'carrier=telstra', big)).toEqual({
      status: 413,
      body: { error: `the file exceeds the limit of ${UPLOAD_LIMIT} bytes; nothing was imported` },
    });
    // Streamed without a length (chunked): stopped at the limit all the same.
    const chunked = await fetch(`${url}/billing/carrier-files?carrier=telstra`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < big.length; i += 4096) controller.enqueue(big.subarray(i, i + 4096));
          controller.close();
        },
      }),
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM carrier_imports WHERE tenant_id = $1`, [
      tenantId,
    ]);
    expect(rows[0].n).toBe(1);
  });
});

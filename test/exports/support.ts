import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { Pool } from 'pg';
import { createApiKey } from '@app/api';
import { CsvKind, needsNeutralising } from '@app/exports';
import { TenancyService } from '@app/platform';
import { waitFor } from '../support/env';
import { waitForProjections } from '../support/projections';

export type Json = Record<string, unknown>;

/** A tenant with sources fed by webhooks, projected, and an API key. */
export interface TestTenant {
  id: string;
  key: string;
  sources: Record<string, string>;
}

/**
 * Creates a tenant (then runs `beforeEvents`, e.g. to import rates), posts each source's payloads
 * to its webhook, and waits for every projection.
 */
export async function tenantWith(
  url: string,
  tenancy: TenancyService,
  pool: Pool,
  name: string,
  sources: Array<{ vendor: 'portsip' | 'voipcloud'; payloads: unknown[]; queues?: string[]; carrier?: string }>,
  opts: { timezone?: string; country?: string; beforeEvents?: (tenantId: string) => Promise<void> } = {},
): Promise<TestTenant> {
  const tenant = await tenancy.createTenant({ name, timezone: opts.timezone ?? 'UTC', country: opts.country });
  await opts.beforeEvents?.(tenant.id);
  const ids: Record<string, string> = {};
  for (const s of sources) {
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: s.vendor,
      auth: 'none',
      queues: s.queues,
      carrier: s.carrier,
    });
    ids[s.vendor] = source.id;
    for (const p of s.payloads) {
      const res = await fetch(`${url}/webhooks/${source.id}`, { method: 'POST', body: JSON.stringify(p) });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    }
  }
  await waitForProjections(pool, tenant.id, 60000, ['call-sessions', 'queue-attempts', 'agent-timeline', 'call-costs']);
  return { id: tenant.id, key: (await createApiKey(pool, tenant.id, name)).key, sources: ids };
}

export interface GqlAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers are checked by value
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

export async function gql(url: string, key: string | null, query: string, variables: Json = {}): Promise<GqlAnswer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlAnswer['body'] };
}

export const RUN_FIELDS = `id report status rowCount bytes sha256 startedAt finishedAt error downloadPath createdAt
  from to timezone scheduleId fileName attempts`;

export interface RunView {
  id: string;
  report: string;
  status: string;
  rowCount: number | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
  downloadPath: string | null;
  from: string | null;
  to: string | null;
  timezone: string;
  scheduleId: string | null;
  fileName: string | null;
  attempts: number;
}

/** `runExport` (throws with the GraphQL errors when it is refused). */
export async function runExport(url: string, key: string, input: Json): Promise<RunView> {
  const { body } = await gql(url, key, `mutation($i: ExportRequest!) { runExport(input: $i) { ${RUN_FIELDS} } }`, {
    i: input,
  });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data.runExport as RunView;
}

/** Polls `exportRun` until the run is SUCCEEDED or FAILED. */
export async function finished(url: string, key: string, id: string, timeoutMs = 30000): Promise<RunView> {
  return waitFor(
    async () => {
      const { body } = await gql(url, key, `query($id: ID!) { exportRun(id: $id) { ${RUN_FIELDS} } }`, { id });
      const run = body.data?.exportRun as RunView | null;
      return run && (run.status === 'SUCCEEDED' || run.status === 'FAILED') ? run : null;
    },
    timeoutMs,
    `export run ${id} to finish`,
  );
}

export async function download(
  url: string,
  key: string | null,
  runId: string,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${url}/exports/${runId}/download`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Runs an export to the end and downloads its file; fails the test on anything else. */
export async function exportCsv(url: string, key: string, input: Json): Promise<{ run: RunView; text: string }> {
  const run = await finished(url, key, (await runExport(url, key, input)).id);
  if (run.status !== 'SUCCEEDED') throw new Error(`export failed: ${run.error}`);
  const file = await download(url, key, run.id);
  if (file.status !== 200) throw new Error(`download answered ${file.status}: ${file.body.toString()}`);
  return { run, text: file.body.toString('utf8') };
}

/** The rows of a CSV text, header first. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = parse(text, { relax_column_count: false });
  return rows;
}

/**
 * The CSV cell a GraphQL value must come out as, computed independently of the exporter (luxon
 * for times): empty for null, the instant in the zone with its offset, numbers as JSON, text
 * neutralised when it could be read as a formula.
 */
export function expectedCell(value: unknown, kind: CsvKind, zone: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value !== 'string') throw new Error(`unexpected GraphQL value ${JSON.stringify(value)}`);
  if (kind === 'timestamp') return DateTime.fromISO(value, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
  const text = value;
  return needsNeutralising(text) ? `'${text}` : text;
}

/** The CSV a GraphQL list must equal: header = field names, one row per item. */
export function expectedCsv(
  columns: ReadonlyArray<{ name: string; kind: CsvKind }>,
  items: readonly Json[],
  zone: string,
): string[][] {
  return [
    columns.map((c) => c.name),
    ...items.map((item) => columns.map((c) => expectedCell(item[c.name], c.kind, zone))),
  ];
}

import { spawn } from 'node:child_process';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { getVendorAdapter } from '@app/vendors';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { SECRETS, authHeaders, storedEvents, tenantWithSources, vendorFixtures } from './support';

const VENDORS = ['nexbro', 'portsip', 'voipcloud'] as const;
// Not events a PBX sends as such: WSI command replies and VoIPcloud's retired schema.
const EXPECTED_UNRECOGNIZED = new Set(['wsi_auth_ok.json', 'wsi_auth_error.json', 'legacy_inbound_call_to_user.json']);

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule]));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

/** POSTs with the source's auth method (not Digest: see curlDigest). */
async function post(sourceId: string, method: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/webhooks/${sourceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(method, SECRETS), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function parseCurl(out: string) {
  const lines = out.trimEnd().split('\n');
  const status = Number(lines.pop());
  const text = lines.join('\n');
  return { status, body: text ? JSON.parse(text) : null, headers: new Headers() };
}

/** `curl --digest` with the body on stdin, exactly as an operator would test a source. */
async function curlDigest(sourceId: string, body: Buffer, user = SECRETS.username, password = SECRETS.password) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const child = spawn('curl', [
      '-s',
      '--digest',
      '-u',
      `${user}:${password}`,
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      '@-',
      '-w',
      '\n%{http_code}',
      `${url}/webhooks/${sourceId}`,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const parsed = parseCurl(out);
      resolve({ status: parsed.status, body: parsed.body });
    });
    child.stdin.end(body);
  });
}

async function send(sourceId: string, method: string, body: Buffer) {
  return method === 'digest' ? curlDigest(sourceId, body) : post(sourceId, method, body);
}

describe.each(VENDORS)('%s payloads through every auth method', (vendor) => {
  const fixtures = vendorFixtures(vendor);
  let tenantId: string;
  let sources: Record<string, string>;
  beforeAll(async () => {
    ({ tenantId, sources } = await tenantWithSources(tenancy, vendor));
  });

  it.each(['none', 'basic', 'digest', 'bearer', 'token'])('stores every fixture once via %s auth', async (method) => {
    const sourceId = sources[method];
    const adapter = getVendorAdapter(vendor);
    const seenKeys = new Set<string>();
    for (const { name, body } of fixtures) {
      const parsed = JSON.parse(body.toString()) as unknown;
      const values = Array.isArray(parsed) ? parsed : [parsed];
      const expected = values.map((v) => adapter.parse(v, { timezone: 'America/New_York' }));
      // The same event may appear in two fixtures (VoIPcloud's batch repeats user_inbound).
      const fresh = expected.filter((e) => !seenKeys.has(e.dedupKey) && seenKeys.add(e.dedupKey));
      const res = await send(sourceId, method, body);
      expect({ name, status: res.status, body: res.body }).toEqual({
        name,
        status: 200,
        body: { accepted: fresh.length, duplicates: values.length - fresh.length },
      });

      const rows = fresh.length ? (await storedEvents(pool, sourceId)).slice(-fresh.length) : [];
      fresh.forEach((e, i) => {
        expect({ name, tenant: rows[i].tenant_id, source: rows[i].source_id, vendor: rows[i].vendor }).toEqual({
          name,
          tenant: tenantId,
          source: sourceId,
          vendor,
        });
        expect({
          name,
          type: rows[i].type,
          occurred: rows[i].occurred_at?.toISOString() ?? null,
          key: rows[i].dedup_key,
        }).toEqual({
          name,
          type: e.type,
          occurred: e.occurredAt?.toISOString() ?? null,
          key: e.dedupKey,
        });
        expect({ name, recognized: rows[i].recognized }).toEqual({
          name,
          recognized: !EXPECTED_UNRECOGNIZED.has(name),
        });
      });
      if (!Array.isArray(parsed) && fresh.length === 1) expect(rows[0].raw.equals(body)).toBe(true); // exactly as received

      // A retry of the same delivery is acknowledged as a duplicate and not stored again.
      const retry = await send(sourceId, method, body);
      expect({ name, status: retry.status, body: retry.body }).toEqual({
        name,
        status: 200,
        body: { accepted: 0, duplicates: values.length },
      });
    }
    const expectedRows = seenKeys.size;
    expect(await storedEvents(pool, sourceId)).toHaveLength(expectedRows);
  });

  it('stores a payload once when it is sent concurrently', async () => {
    const { body } = fixtures.find((f) => !f.name.startsWith('batch') && !EXPECTED_UNRECOGNIZED.has(f.name))!;
    const fresh = await tenancy.createSource({ tenantId, vendor, auth: 'token', token: SECRETS.token });
    const results = await Promise.all(Array.from({ length: 10 }, () => post(fresh.id, 'token', body)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.reduce((n, r) => n + (r.body as { accepted: number }).accepted, 0)).toBe(1);
    expect(results.reduce((n, r) => n + (r.body as { duplicates: number }).duplicates, 0)).toBe(9);
    expect(await storedEvents(pool, fresh.id)).toHaveLength(1);
  });
});

describe('answers of POST /webhooks/:sourceId', () => {
  let tenantId: string;
  let sources: Record<string, string>;
  const event = Buffer.from(
    '{"event":"CALL_ANSWER","call_uuid":"c-1","call_session_uuid":"c-1","timestamp":"2026-01-27 12:02:30"}',
  );
  beforeAll(async () => {
    ({ tenantId, sources } = await tenantWithSources(tenancy, 'nexbro'));
  });

  it('refuses wrong or missing credentials with 401 and stores nothing', async () => {
    for (const method of ['basic', 'bearer', 'token']) {
      const wrong = await fetch(`${url}/webhooks/${sources[method]}`, {
        method: 'POST',
        headers: authHeaders(method, { username: SECRETS.username, password: 'nope', token: 'wrong-token' }),
        body: event,
      });
      expect({ method, status: wrong.status }).toEqual({ method, status: 401 });
      const missing = await fetch(`${url}/webhooks/${sources[method]}`, { method: 'POST', body: event });
      expect({ method, status: missing.status }).toEqual({ method, status: 401 });
      expect(await storedEvents(pool, sources[method])).toHaveLength(0);
    }
    const basic = await fetch(`${url}/webhooks/${sources.basic}`, { method: 'POST', body: event });
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic realm="cdr-ingest"/);
    expect((await curlDigest(sources.digest, event, SECRETS.username, 'wrong')).status).toBe(401);
    expect(await storedEvents(pool, sources.digest)).toHaveLength(0);
  });

  it('challenges Digest with SHA-256 and MD5, and accepts curl --digest', async () => {
    const first = await fetch(`${url}/webhooks/${sources.digest}`, { method: 'POST', body: event });
    expect(first.status).toBe(401);
    const challenge = first.headers.get('www-authenticate')!;
    expect(challenge).toContain('Digest realm="cdr-ingest"');
    expect(challenge).toContain('algorithm=SHA-256');
    expect(challenge).toContain('algorithm=MD5');
    expect(challenge).toContain('qop="auth"');
    expect(await curlDigest(sources.digest, event)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } });
  });

  it('answers 404 for unknown, malformed and disabled sources', async () => {
    expect((await post('7d0f6f7e-1111-4222-8333-944445555666', 'none', event)).status).toBe(404);
    expect((await post('not-a-uuid', 'none', event)).status).toBe(404);
    const s = await tenancy.createSource({ tenantId, vendor: 'nexbro', auth: 'none' });
    expect((await post(s.id, 'none', event)).status).toBe(200);
    await tenancy.setSourceEnabled(s.id, false);
    const disabled = await tenancy.createSource({ tenantId, vendor: 'nexbro', auth: 'none', enabled: false });
    expect((await post(disabled.id, 'none', event)).status).toBe(404);
  });

  it('answers 400 for a body that is not JSON, keeping it in rejected_deliveries', async () => {
    const bad = 'event=CALL_ANSWER&oops';
    const res = await post(sources.none, 'none', bad, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(400);
    expect((res.body as { reason: string }).reason).toMatch(/^body is not valid JSON/);
    for (const [body, reason] of [
      ['"a string"', 'body is JSON string: expected an object or array'],
      ['', 'empty body: expected a JSON object or array'],
    ]) {
      const r = await post(sources.none, 'none', body);
      expect({ status: r.status, reason: (r.body as { reason: string }).reason }).toEqual({ status: 400, reason });
    }
    const { rows } = await pool.query(
      'SELECT tenant_id, reason, body, content_type FROM rejected_deliveries WHERE source_id = $1 ORDER BY id',
      [sources.none],
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ tenant_id: tenantId, content_type: 'application/x-www-form-urlencoded' });
    expect(rows[0].body.toString()).toBe(bad);
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^body is not valid JSON/),
      'body is JSON string: expected an object or array',
      'empty body: expected a JSON object or array',
    ]);
    expect(await storedEvents(pool, sources.none)).toHaveLength(0);
  });

  it('does not store or keep anything from an unauthenticated malformed body', async () => {
    const res = await post(sources.token, 'none', 'not json');
    expect(res.status).toBe(401);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM rejected_deliveries WHERE source_id = $1', [
      sources.token,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const big = Buffer.from(JSON.stringify({ event: 'CALL_ANSWER', pad: 'x'.repeat(2 * 1024 * 1024) }));
    const res = await post(sources.none, 'none', big);
    expect(res.status).toBe(413);
    expect(await storedEvents(pool, sources.none)).toHaveLength(0);
  });

  it('accepts JSON whatever the content type, and arrays with duplicates inside', async () => {
    const s = await tenancy.createSource({ tenantId, vendor: 'nexbro', auth: 'none' });
    const a = '{"event":"CALL_RINGING","call_uuid":"c-9","timestamp":"2026-01-27 12:00:00"}';
    const b = '{"event":"CALL_HANGUP", "call_uuid":"c-9","timestamp":"2026-01-27 12:05:00"}';
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const res = await post(s.id, 'none', a, { 'content-type': type });
      expect(res.status).toBe(200);
    }
    const res = await post(s.id, 'none', `[${a}, ${b} ,${b}]`);
    expect(res.body).toEqual({ accepted: 1, duplicates: 2 });
    const rows = await storedEvents(pool, s.id);
    expect(rows.map((r) => r.raw.toString())).toEqual([a, b]);
    expect(rows.map((r) => r.occurred_at?.toISOString())).toEqual([
      '2026-01-27T17:00:00.000Z',
      '2026-01-27T17:05:00.000Z',
    ]);
  });

  it('stores valid JSON it does not understand, flagged', async () => {
    const s = await tenancy.createSource({ tenantId, vendor: 'nexbro', auth: 'none' });
    const res = await post(s.id, 'none', '[{"event":"SOMETHING_NEW","x":1},{"no_type":true},[1,2],42]');
    expect(res.body).toEqual({ accepted: 4, duplicates: 0 });
    const rows = await storedEvents(pool, s.id);
    expect(rows.map((r) => [r.type, r.recognized])).toEqual([
      ['SOMETHING_NEW', false],
      ['unknown', false],
      ['unknown', false],
      ['unknown', false],
    ]);
    expect(rows.every((r) => r.problem && r.problem.length > 0)).toBe(true);
  });

  it('throttles repeated failures per source and address without blocking others', async () => {
    const bad = { authorization: 'Bearer wrong-token-value' };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await app.inject({
        method: 'POST',
        url: `/webhooks/${sources.bearer}`,
        headers: bad,
        payload: event,
        remoteAddress: '10.9.9.9',
      });
      statuses.push(r.statusCode);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const blocked = await app.inject({
      method: 'POST',
      url: `/webhooks/${sources.bearer}`,
      headers: authHeaders('bearer', SECRETS),
      payload: event,
      remoteAddress: '10.9.9.9',
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const other = await app.inject({
      method: 'POST',
      url: `/webhooks/${sources.bearer}`,
      headers: authHeaders('bearer', SECRETS),
      payload: event,
      remoteAddress: '10.1.1.1',
    });
    expect(other.statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/cdr_webhook_auth_failures_total\{reason="bad_credentials"\} \d+/);
  });
});

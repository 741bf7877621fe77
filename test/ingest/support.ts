import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';

/** Every example payload shipped with the vendor libraries (copied from the vendors' docs and fixtures). */
export function vendorFixtures(vendor: 'nexbro' | 'portsip' | 'voipcloud'): Array<{ name: string; body: Buffer }> {
  const dir = resolve(__dirname, '../../libs/vendors', vendor, '__fixtures__');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, body: readFileSync(join(dir, f)) }));
}

/** Auth headers for each source auth method, given the source's secrets (Digest is done by curl). */
export function authHeaders(
  method: string,
  secrets: { username?: string; password?: string; token?: string },
): Record<string, string> {
  switch (method) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${secrets.username}:${secrets.password}`).toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${secrets.token}` };
    case 'token':
      return { 'x-pbx-token': secrets.token! };
    default:
      return {};
  }
}

export const SECRETS = {
  username: 'pbx-user',
  password: 'correct horse battery staple',
  token: 'tok_0123456789abcdefABCDEF',
};

/** A tenant with one source per auth method for `vendor`. */
export async function tenantWithSources(
  tenancy: TenancyService,
  vendor: 'nexbro' | 'portsip' | 'voipcloud',
  timezone = 'America/New_York',
): Promise<{ tenantId: string; sources: Record<string, string> }> {
  const tenant = await tenancy.createTenant({ name: `t-${vendor}`, timezone });
  const sources: Record<string, string> = {};
  for (const auth of ['none', 'basic', 'digest', 'bearer', 'token'] as const) {
    const s = await tenancy.createSource({ tenantId: tenant.id, vendor, auth, ...SECRETS });
    sources[auth] = s.id;
  }
  return { tenantId: tenant.id, sources };
}

/** Stored events of a source in store order. */
export async function storedEvents(pool: Pool, sourceId: string) {
  const { rows } = await pool.query(
    `SELECT tenant_id, source_id, vendor, type, recognized, problem, occurred_at, dedup_key, raw, payload
     FROM raw_events WHERE source_id = $1 ORDER BY position`,
    [sourceId],
  );
  return rows as Array<{
    tenant_id: string;
    source_id: string;
    vendor: string;
    type: string;
    recognized: boolean;
    problem: string | null;
    occurred_at: Date | null;
    dedup_key: string;
    raw: Buffer;
    payload: unknown;
  }>;
}

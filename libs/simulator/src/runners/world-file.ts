import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { TenancyService } from '@app/platform';
import { Vendor, VENDORS } from '../model';
import { DEFAULT_WORLD_OPTIONS, World, WorldOptions, placeholderIds } from '../world';

/** How the generator authenticates as one source: its id and its secrets in clear. */
export interface SourceCredentials {
  id: string;
  auth: 'none' | 'basic' | 'digest' | 'bearer' | 'token';
  username?: string;
  password?: string;
  token?: string;
}

/**
 * `--world FILE`: the world options and, per tenant, the ids and secrets of its sources as created
 * in the database. It holds secrets in clear (so the generator can authenticate): treat it like a
 * password file.
 */
export interface WorldFile {
  version: 1;
  world: WorldOptions;
  createdAt: string;
  tenants: Array<{
    index: number;
    id: string;
    name: string;
    timezone: string;
    sources: Record<Vendor, SourceCredentials>;
  }>;
}

/** The part of TenancyService that setup needs (the CLI passes the real one, tests the app's). */
export type TenancyLike = Pick<TenancyService, 'createTenant' | 'createSource'>;

const secret = () => randomBytes(24).toString('base64url');

/** Creates every tenant and source of `world` (random secrets) and returns the world file. */
export async function createWorldSources(tenancy: TenancyLike, world: World): Promise<WorldFile> {
  const tenants: WorldFile['tenants'] = [];
  const run = randomBytes(3).toString('hex');
  for (const t of world.tenants) {
    const tenant = await tenancy.createTenant({
      name: `${t.name} (seed ${world.options.seed}, ${run})`,
      timezone: t.timezone,
      country: t.country,
    });
    const sources = {} as Record<Vendor, SourceCredentials>;
    for (const vendor of VENDORS) {
      const spec = t.sources[vendor];
      const creds: SourceCredentials =
        spec.auth === 'token'
          ? { id: '', auth: 'token', token: secret() }
          : { id: '', auth: spec.auth, username: spec.username!, password: secret() };
      const source = await tenancy.createSource({
        tenantId: tenant.id,
        vendor,
        auth: creds.auth,
        username: creds.username,
        password: creds.password,
        token: creds.token,
        name: spec.name,
        timezone: t.timezone,
        queues: spec.queues,
      });
      sources[vendor] = { ...creds, id: source.id };
    }
    tenants.push({ index: t.index, id: tenant.id, name: tenant.name, timezone: t.timezone, sources });
  }
  return { version: 1, world: world.options, createdAt: new Date().toISOString(), tenants };
}

/** A world file with deterministic placeholder ids and no secrets, for runs without a database. */
export function placeholderWorldFile(world: World): WorldFile {
  const ids = placeholderIds(world);
  return {
    version: 1,
    world: world.options,
    createdAt: new Date(0).toISOString(),
    tenants: world.tenants.map((t, i) => ({
      index: t.index,
      id: ids[i].tenantId,
      name: t.name,
      timezone: t.timezone,
      sources: Object.fromEntries(VENDORS.map((v) => [v, { id: ids[i].sources[v], auth: 'none' }])) as Record<
        Vendor,
        SourceCredentials
      >,
    })),
  };
}

/** Reads and checks a world file; throws Error naming what is wrong. */
export function readWorldFile(path: string): WorldFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read world file ${path}: ${(error as Error).message}`);
  }
  const f = parsed as Partial<WorldFile>;
  if (f?.version !== 1 || !Array.isArray(f.tenants) || typeof f.world !== 'object')
    throw new Error(`${path} is not a simulator world file (version 1)`);
  for (const t of f.tenants)
    for (const v of VENDORS)
      if (typeof t?.sources?.[v]?.id !== 'string') throw new Error(`${path}: tenant ${t?.index} has no ${v} source id`);
  return { ...f, world: { ...DEFAULT_WORLD_OPTIONS, ...f.world } } as WorldFile;
}

/** Writes a world file readable only by its owner (it holds secrets). */
export function writeWorldFile(path: string, file: WorldFile): void {
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

/** True when a world file exists at `path`. */
export function worldFileExists(path: string | null): path is string {
  return path !== null && existsSync(path);
}

import { randomUUID } from 'node:crypto';
import { IANAZone } from 'luxon';
import { DataSource, Repository } from 'typeorm';
import { z } from 'zod';
import {
  AUTH_METHODS,
  AuthMethod,
  InvalidSecretError,
  StoredCredentials,
  hashSourceSecret,
  parseStoredCredentials,
} from '../auth';
import { Queryable } from '../database/pg-pool';
import { SecretBox } from '../secrets/secret-box';
import { SourceEntity, TenantEntity, WsiFilters } from './tenancy.entities';
import { TenancyValidationError, UnknownSourceError, UnknownTenantError } from './tenancy.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SOURCE_VENDORS = ['nexbro', 'portsip', 'voipcloud'] as const;

const zone = z
  .string()
  .refine((z) => IANAZone.isValidZone(z), { message: 'expected an IANA time zone like Europe/London' });
const pattern = z.string().refine(
  (p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a regular expression like ^\\d{3}$' },
);
const seconds = z.coerce.number().int().min(0).max(86400);

const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, { message: 'expected an ISO 3166 two-letter country code like AU' })
  .transform((c) => c.toUpperCase());

const tenantInput = z.object({
  name: z.string().trim().min(1).max(200),
  timezone: zone.default('UTC'),
  country: country.optional(),
  slaSeconds: seconds.default(20),
  shortAbandonSeconds: seconds.default(5),
  extensionPattern: pattern.default('^\\d{2,5}$'),
});
export type TenantInput = z.input<typeof tenantInput>;

/** What `tenant:update` may change (no defaults: an absent field is left as it is). */
const tenantPatch = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    timezone: zone.optional(),
    country: country.optional(),
    slaSeconds: seconds.optional(),
    shortAbandonSeconds: seconds.optional(),
    extensionPattern: pattern.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'nothing to change' });
export type TenantPatch = z.input<typeof tenantPatch>;

const PATCH_COLUMNS = {
  name: 'name',
  timezone: 'timezone',
  country: 'country',
  slaSeconds: 'sla_seconds',
  shortAbandonSeconds: 'short_abandon_seconds',
  extensionPattern: 'extension_pattern',
} as const;

/**
 * Applies a validated tenant patch in the caller's transaction (so read models that depend on the
 * changed settings can be recomputed in the same one). Returns which settings actually changed;
 * throws TenancyValidationError / UnknownTenantError.
 */
export async function updateTenant(client: Queryable, tenantId: string, input: TenantPatch): Promise<string[]> {
  if (!UUID.test(tenantId)) throw new TenancyValidationError(['tenant: expected a tenant id (UUID)']);
  const parsed = tenantPatch.safeParse(input);
  if (!parsed.success) throw new TenancyValidationError(problemsOf(parsed.error));
  const entries = Object.entries(parsed.data).filter(([, v]) => v !== undefined) as Array<
    [keyof typeof PATCH_COLUMNS, string | number]
  >;
  const { rows: before } = await client.query<Record<string, unknown>>(
    'SELECT * FROM tenants WHERE id = $1 FOR UPDATE',
    [tenantId],
  );
  if (!before.length) throw new UnknownTenantError(tenantId);
  const changed = entries.filter(([k, v]) => before[0][PATCH_COLUMNS[k]] !== v).map(([k]) => k);
  if (changed.length) {
    await client.query(
      `UPDATE tenants SET ${entries.map(([k], i) => `${PATCH_COLUMNS[k]} = $${i + 2}`).join(', ')} WHERE id = $1`,
      [tenantId, ...entries.map(([, v]) => v)],
    );
  }
  return changed;
}

const sourceInput = z
  .object({
    tenantId: z.string().regex(UUID, { message: 'expected a tenant id (UUID)' }),
    vendor: z.enum(SOURCE_VENDORS, { message: `expected one of ${SOURCE_VENDORS.join(', ')}` }),
    auth: z.enum(AUTH_METHODS as unknown as [AuthMethod, ...AuthMethod[]], {
      message: `expected one of ${AUTH_METHODS.join(', ')}`,
    }),
    username: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
    name: z.string().trim().min(1).max(200).optional(),
    timezone: zone.optional(),
    extensionPattern: pattern.optional(),
    queues: z.array(z.string().trim().min(1)).default([]),
    carrier: z.string().trim().min(1).max(100).optional(),
    wsiUrl: z
      .string()
      .refine((u) => /^wss?:\/\/[^\s]+$/.test(u), { message: 'expected ws:// or wss:// URL' })
      .optional(),
    wsiUsername: z.string().min(1).optional(),
    wsiPassword: z.string().min(1).optional(),
    wsiTopics: z.array(z.string().trim().min(1)).default([]),
    wsiFilters: z
      .object({
        extensions: z.array(z.string().trim().min(1)).optional(),
        queues: z.array(z.string().trim().min(1)).optional(),
        tenants: z.array(z.string().trim().min(1)).optional(),
      })
      .default({}),
    enabled: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if (s.wsiUrl && s.vendor !== 'portsip')
      ctx.addIssue({ code: 'custom', path: ['wsiUrl'], message: 'WSI is a PortSIP feature' });
    if (s.wsiUrl && (!s.wsiUsername || !s.wsiPassword)) {
      ctx.addIssue({
        code: 'custom',
        path: ['wsiUsername'],
        message: 'a WSI connection needs --wsi-username and --wsi-password',
      });
    }
    if (!s.wsiUrl && (s.wsiUsername || s.wsiPassword || s.wsiTopics.length || Object.keys(s.wsiFilters).length)) {
      ctx.addIssue({ code: 'custom', path: ['wsiUrl'], message: 'WSI settings need --wsi-url' });
    }
  });
export type SourceInput = z.input<typeof sourceInput>;

/** What ingestion needs to know about a source. */
export interface SourceConfig {
  id: string;
  tenantId: string;
  vendor: (typeof SOURCE_VENDORS)[number];
  authMethod: AuthMethod;
  credentials: StoredCredentials;
  timezone: string;
  extensionPattern: string;
  queueNumbers: string[];
  enabled: boolean;
  wsi: { url: string; username: string; password: string; topics: string[]; filters: WsiFilters } | null;
}

/** PortSIP WSI topics subscribed when none are configured (tenant-level extension, CDR and queue events). */
export const DEFAULT_WSI_TOPICS = ['extension_events', 'cdr_events', 'queue_events'];

/**
 * A random (version 4) tenant id whose last byte is `slot` (0–255). Projection partitions are
 * chosen by that byte (`tenantPartition` in libs/event-store: last byte modulo the partition
 * count), so ids minted in the slots slotForNextTenant picks spread a handful of tenants evenly
 * over the partitions. With fully random ids, 8 tenants fall 2-2-2-2 on 4 partitions only 4 % of
 * the time and leave a partition empty 38 % of the time, while each partition is applied by one
 * runner at a time. The other 114 random bits keep ids unguessable and unique.
 */
export function tenantIdInSlot(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot > 255) throw new RangeError(`slot must be 0–255, not ${slot}`);
  return randomUUID().slice(0, -2) + slot.toString(16).padStart(2, '0');
}

/**
 * The slot (last byte of the id) for the next tenant, given how many tenants hold each of the 256:
 * the one that keeps tenants most evenly spread over 2 partitions, then among those over 4, then
 * 8, … 256 — so every power-of-two partition count stays balanced at once, whatever the
 * configured count is or becomes. Into an empty table tenants take 0, 1, 2, 3, … in order;
 * a deleted tenant's slot is refilled first. Ties go to the lowest slot.
 */
export function slotForNextTenant(used: readonly number[]): number {
  if (used.length !== 256) throw new RangeError(`expected 256 slot counts, got ${used.length}`);
  const levels = [2, 4, 8, 16, 32, 64, 128, 256].map((m) => {
    const sums = new Array<number>(m).fill(0);
    used.forEach((n, slot) => (sums[slot % m] += n));
    return { m, sums };
  });
  let best = 0;
  for (let slot = 1; slot < 256; slot++) {
    for (const { m, sums } of levels) {
      const d = sums[slot % m] - sums[best % m];
      if (d < 0) best = slot;
      if (d !== 0) break;
    }
  }
  return best;
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
}

/** Creates and reads tenants and sources (configuration tables, via TypeORM). */
export class TenancyService {
  private readonly tenants: Repository<TenantEntity>;
  private readonly sources: Repository<SourceEntity>;

  constructor(
    ds: DataSource,
    private readonly box: SecretBox,
    private readonly realm: string,
  ) {
    this.tenants = ds.getRepository(TenantEntity);
    this.sources = ds.getRepository(SourceEntity);
  }

  /** Creates a tenant; throws TenancyValidationError naming each bad field. */
  async createTenant(input: TenantInput): Promise<TenantEntity> {
    const parsed = tenantInput.safeParse(input);
    if (!parsed.success) throw new TenancyValidationError(problemsOf(parsed.error));
    const t = parsed.data;
    return this.tenants.save(
      this.tenants.create({
        id: tenantIdInSlot(await this.nextSlot()),
        name: t.name,
        timezone: t.timezone,
        country: t.country ?? null,
        slaSeconds: t.slaSeconds,
        shortAbandonSeconds: t.shortAbandonSeconds,
        extensionPattern: t.extensionPattern,
      }),
    );
  }

  /** The slot the next tenant's id should take (slotForNextTenant over the slots in use). */
  private async nextSlot(): Promise<number> {
    const rows: Array<{ slot: number; tenants: number }> = await this.tenants.query(
      'SELECT get_byte(uuid_send(id), 15) AS slot, count(*)::int AS tenants FROM tenants GROUP BY 1',
    );
    const used = new Array<number>(256).fill(0);
    for (const r of rows) used[r.slot] = r.tenants;
    return slotForNextTenant(used);
  }

  /** Creates a source; secrets are stored hashed (or sealed, for the WSI password we must send). */
  async createSource(input: SourceInput): Promise<SourceEntity> {
    const parsed = sourceInput.safeParse(input);
    if (!parsed.success) throw new TenancyValidationError(problemsOf(parsed.error));
    const s = parsed.data;
    const tenant = await this.tenants.findOneBy({ id: s.tenantId });
    if (!tenant) throw new UnknownTenantError(s.tenantId);
    let credentials: StoredCredentials;
    try {
      credentials = hashSourceSecret(
        s.auth,
        { username: s.username, password: s.password, token: s.token },
        this.realm,
      );
    } catch (error) {
      if (error instanceof InvalidSecretError) throw new TenancyValidationError([error.message]);
      throw error;
    }
    return this.sources.save(
      this.sources.create({
        tenantId: s.tenantId,
        name: s.name ?? `${s.vendor} source`,
        vendor: s.vendor,
        authMethod: s.auth,
        credentials,
        timezone: s.timezone ?? null,
        enabled: s.enabled,
        extensionPattern: s.extensionPattern ?? null,
        queueNumbers: s.queues,
        carrier: s.carrier ?? null,
        wsiUrl: s.wsiUrl ?? null,
        wsiUsername: s.wsiUsername ?? null,
        wsiPasswordEnc: s.wsiPassword ? this.box.seal(s.wsiPassword) : null,
        wsiTopics: s.wsiUrl ? (s.wsiTopics.length ? s.wsiTopics : DEFAULT_WSI_TOPICS) : [],
        wsiFilters: s.wsiFilters,
      }),
    );
  }

  /** Enables or disables a source (a disabled source answers 404 and its WSI connection stops). */
  async setSourceEnabled(sourceId: string, enabled: boolean): Promise<void> {
    if (!UUID.test(sourceId)) throw new UnknownSourceError(sourceId);
    const result = await this.sources.update({ id: sourceId }, { enabled });
    if (!result.affected) throw new UnknownSourceError(sourceId);
  }

  /** Sources of a tenant (secrets omitted). */
  async listSources(tenantId: string): Promise<Array<Omit<SourceEntity, 'credentials' | 'wsiPasswordEnc'>>> {
    const rows = await this.sources.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
    return rows.map(({ credentials: _c, wsiPasswordEnc: _w, ...rest }) => rest);
  }

  /** An enabled source with its tenant's defaults applied; throws UnknownSourceError otherwise. */
  async getActiveSource(sourceId: string): Promise<SourceConfig> {
    if (!UUID.test(sourceId)) throw new UnknownSourceError(sourceId);
    const found = await this.sources
      .createQueryBuilder('s')
      .innerJoinAndMapOne('s.tenant', TenantEntity, 't', 't.id = s.tenantId')
      .where('s.id = :id AND s.enabled', { id: sourceId })
      .getOne();
    if (!found) throw new UnknownSourceError(sourceId);
    return this.toConfig(found as SourceEntity & { tenant: TenantEntity });
  }

  /** Every enabled PortSIP source with a WSI connection configured. */
  async listWsiSources(): Promise<SourceConfig[]> {
    const rows = await this.sources
      .createQueryBuilder('s')
      .innerJoinAndMapOne('s.tenant', TenantEntity, 't', 't.id = s.tenantId')
      .where('s.enabled AND s.wsiUrl IS NOT NULL')
      .getMany();
    return rows.map((r) => this.toConfig(r as SourceEntity & { tenant: TenantEntity }));
  }

  private toConfig(s: SourceEntity & { tenant: TenantEntity }): SourceConfig {
    return {
      id: s.id,
      tenantId: s.tenantId,
      vendor: s.vendor as SourceConfig['vendor'],
      authMethod: s.authMethod as AuthMethod,
      credentials: parseStoredCredentials(s.credentials),
      timezone: s.timezone ?? s.tenant.timezone,
      extensionPattern: s.extensionPattern ?? s.tenant.extensionPattern,
      queueNumbers: s.queueNumbers,
      enabled: s.enabled,
      wsi:
        s.wsiUrl && s.wsiUsername && s.wsiPasswordEnc
          ? {
              url: s.wsiUrl,
              username: s.wsiUsername,
              password: this.box.open(s.wsiPasswordEnc),
              topics: s.wsiTopics,
              filters: s.wsiFilters,
            }
          : null,
    };
  }
}

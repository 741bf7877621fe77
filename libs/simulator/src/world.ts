import { Rng } from './prng';
import { Vendor, VENDORS } from './model';

/** What shapes the simulated world (not the traffic). */
export interface WorldOptions {
  seed: number;
  tenants: number;
  timezone: string;
  /** Extensions per tenant, numbered from 101. */
  extensions: number;
  /** How many of them are contact-centre agents (queue members with shifts); the rest are staff. */
  agents: number;
  /** PortSIP webhook auth: Digest (what PortSIP recommends) or Basic. */
  portsipAuth: 'digest' | 'basic';
}

/** Defaults of WorldOptions. */
export const DEFAULT_WORLD_OPTIONS: WorldOptions = {
  seed: 1,
  tenants: 1,
  timezone: 'Australia/Sydney',
  extensions: 40,
  agents: 24,
  portsipAuth: 'digest',
};

/** A working day on the local wall clock, in minutes after midnight. */
export interface Shift {
  start: number;
  end: number;
}

/** One extension (a phone and the person using it). */
export interface Extension {
  number: string;
  name: string;
  email: string;
  agent: boolean;
  /** Queues the agent is a member of. */
  queues: string[];
  /** Weekday hours; agents also work weekends when `weekend`. */
  shift: Shift;
  weekend: boolean;
  /** PortSIP's extension_id. */
  portsipId: string;
  did: string;
  /** Calls to the DID are forwarded to this mobile (a TRANSIT call in PortSIP). */
  forwardTo: string | null;
  device: { ip: string; port: string; transport: string; userAgent: string };
}

/** A call queue. */
export interface Queue {
  number: string;
  name: string;
  portsipId: string;
  did: string;
  /** IVR menu digit that leads here. */
  digit: string;
  members: string[];
  /** Longest wait before overflow to voicemail. */
  timeoutSeconds: number;
  /** PortSIP offers a callback after this wait. */
  callbackAfterSeconds: number;
}

/** A ring-all group of staff extensions. */
export interface RingGroup {
  number: string;
  name: string;
  did: string;
  digit: string;
  members: string[];
  ringSeconds: number;
}

/** How the generator authenticates as one source (secrets are added at setup). */
export interface SourceSpec {
  vendor: Vendor;
  name: string;
  auth: 'basic' | 'digest' | 'token';
  username: string | null;
  /** Numbers the source is told are queues (PortSIP marks queue legs as normal_call). */
  queues: string[];
}

/** One tenant's phone system, as all three PBXs see it. */
export interface TenantWorld {
  index: number;
  name: string;
  timezone: string;
  country: string;
  sources: Record<Vendor, SourceSpec>;
  /** Identifiers PortSIP puts into every payload. */
  pbx: { portsipTenantId: string; tenantName: string; domain: string; trunk: string; sipHost: string };
  extensions: Extension[];
  agents: Extension[];
  staff: Extension[];
  queues: Queue[];
  ringGroup: RingGroup;
  ivr: { number: string; did: string };
  /** External parties (E.164): customers calling in, numbers called out. */
  externals: Array<{ number: string; name: string }>;
  /** Caller id shown on outbound calls. */
  outboundCallerId: string;
}

/** The whole simulated world. */
export interface World {
  options: WorldOptions;
  tenants: TenantWorld[];
}

const FIRST = [
  'Alice',
  'Bob',
  'Carol',
  'David',
  'Emma',
  'Farid',
  'Grace',
  'Hiro',
  'Isla',
  'Jack',
  'Kavya',
  'Liam',
  'Mia',
  'Noah',
  'Olivia',
  'Priya',
  'Quinn',
  'Ravi',
  'Sofia',
  'Tom',
  'Uma',
  'Victor',
  'Wen',
  'Xavier',
  'Yara',
  'Zoe',
  'Rupinder',
  'Mateo',
  'Chloe',
  'Ethan',
  'Aisha',
  'Lucas',
];
const LAST = [
  'Nguyen',
  'Smith',
  'Singh',
  'Chen',
  'Williams',
  'Brown',
  'Patel',
  'Jones',
  'Kim',
  'Taylor',
  'Wilson',
  'Martin',
  'Garcia',
  'Anderson',
  'Thomas',
  'White',
  'Lee',
  'Kelly',
  'Walker',
  'Rossi',
];
const COMPANIES = [
  'ACME PTY LTD',
  'BLUE GUM CAFE',
  'HARBOUR FREIGHT',
  'SOUTHERN CROSS INS',
  'KOALA TECH',
  'METRO PLUMBING',
];
const USER_AGENTS = [
  'Yealink SIP-T54W 96.86.0.70',
  'Zoiper 5.6.9 v2.10.20.8',
  'Grandstream GXP2170 1.0.11.64',
  'MicroSIP/3.21.3',
  'PortSIP UC Client Android',
  'Polycom VVX 450 6.4.6',
];
// Weekday shift templates (local minutes): early, day, late-day, evening.
const SHIFTS: Shift[] = [
  { start: 7 * 60, end: 15 * 60 + 30 },
  { start: 8 * 60, end: 16 * 60 + 30 },
  { start: 9 * 60, end: 17 * 60 + 30 },
  { start: 10 * 60 + 30, end: 19 * 60 },
  { start: 13 * 60 + 30, end: 22 * 60 },
];
const STAFF_SHIFT: Shift = { start: 8 * 60 + 30, end: 17 * 60 };

/** A random E.164 number of a plausible kind: Australian landlines and mobiles, a few overseas. */
function externalNumber(rng: Rng): string {
  const kind = rng.weighted([
    ['syd', 35],
    ['mel', 20],
    ['bne', 10],
    ['mobile', 30],
    ['intl', 5],
  ] as const);
  switch (kind) {
    case 'syd':
      return `+6129${rng.digits(7)}`;
    case 'mel':
      return `+613${rng.int(8, 9)}${rng.digits(7)}`;
    case 'bne':
      return `+617${rng.int(3, 3)}${rng.digits(7)}`;
    case 'mobile':
      return `+614${rng.int(0, 9)}${rng.digits(7)}`;
    default:
      return rng.pick(['+4420', '+1212', '+6499', '+6563']) + rng.digits(7);
  }
}

/** Builds one tenant deterministically from the world seed and its index. */
function buildTenant(options: WorldOptions, index: number): TenantWorld {
  const rng = Rng.from(options.seed, 'world', index);
  const n = Math.max(2, options.extensions);
  const agentCount = Math.min(Math.max(1, options.agents), n - 1);
  // DIDs follow the fixtures' numbering (+61 2 8000 1000) with one block per tenant.
  const block = `+6128${String(index).padStart(3, '0')}`;
  const domain = `t${index + 1}.pbx.example`;
  const extensions: Extension[] = [];
  for (let i = 0; i < n; i++) {
    const number = String(101 + i);
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const agent = i < agentCount;
    extensions.push({
      number,
      name: `${first} ${last}`,
      email: `${first}.${last}.${number}@t${index + 1}.example`.toLowerCase(),
      agent,
      queues: [],
      shift: agent ? SHIFTS[i % SHIFTS.length] : STAFF_SHIFT,
      weekend: agent && rng.chance(0.25),
      portsipId: rng.digits(18),
      did: `${block}2${number.padStart(3, '0').slice(-3)}`,
      forwardTo: !agent && rng.chance(0.3) ? `+614${rng.digits(8)}` : null,
      device: {
        ip: `10.${index + 1}.${rng.int(0, 3)}.${rng.int(10, 250)}`,
        port: String(rng.chance(0.5) ? 5060 : rng.int(20000, 60000)),
        transport: rng.weighted([
          ['UDP', 5],
          ['TCP', 3],
          ['TLS', 2],
        ] as const),
        userAgent: rng.pick(USER_AGENTS),
      },
    });
  }
  const agents = extensions.filter((e) => e.agent);
  const staff = extensions.filter((e) => !e.agent);
  // Two queues with overlapping membership: the middle fifth of the agents serve both.
  const salesMembers = agents.slice(0, Math.max(1, Math.ceil(agents.length * 0.6)));
  const supportMembers = agents.slice(Math.floor(agents.length * 0.4));
  const queues: Queue[] = [
    {
      number: '8000',
      name: 'Sales',
      portsipId: rng.digits(18),
      did: `${block}1001`,
      digit: '1',
      members: salesMembers.map((e) => e.number),
      timeoutSeconds: 180,
      callbackAfterSeconds: 60,
    },
    {
      number: '8001',
      name: 'Support',
      portsipId: rng.digits(18),
      did: `${block}1002`,
      digit: '2',
      members: supportMembers.map((e) => e.number),
      timeoutSeconds: 240,
      callbackAfterSeconds: 90,
    },
  ];
  for (const q of queues) for (const m of q.members) extensions.find((e) => e.number === m)!.queues.push(q.number);
  const ringMembers = (staff.length >= 2 ? staff : agents).slice(0, 6).map((e) => e.number);
  const externals: Array<{ number: string; name: string }> = [];
  const seen = new Set<string>();
  while (externals.length < 3000) {
    const number = externalNumber(rng);
    if (seen.has(number)) continue;
    seen.add(number);
    const name = rng.chance(0.3) ? rng.pick(COMPANIES) : rng.chance(0.4) ? `${rng.pick(FIRST)} ${rng.pick(LAST)}` : '';
    externals.push({ number, name });
  }
  const tag = index + 1;
  return {
    index,
    name: `Simulated tenant ${tag}`,
    timezone: options.timezone,
    country: 'AU',
    sources: {
      nexbro: { vendor: 'nexbro', name: `sim nexbro ${tag}`, auth: 'basic', username: `nexbro-${tag}`, queues: [] },
      portsip: {
        vendor: 'portsip',
        name: `sim portsip ${tag}`,
        auth: options.portsipAuth,
        username: `portsip-${tag}`,
        queues: queues.map((q) => q.number),
      },
      voipcloud: { vendor: 'voipcloud', name: `sim voipcloud ${tag}`, auth: 'token', username: null, queues: [] },
    },
    pbx: {
      portsipTenantId: rng.digits(18),
      tenantName: `tenant${tag}`,
      domain,
      trunk: `${rng.int(100, 199)}:${rng.digits(18)}`,
      sipHost: `192.168.${tag % 250}.${rng.int(2, 250)}`,
    },
    extensions,
    agents,
    staff,
    queues,
    ringGroup: {
      number: '6000',
      name: 'Reception',
      did: `${block}1003`,
      digit: '0',
      members: ringMembers,
      ringSeconds: 25,
    },
    ivr: { number: '5000', did: `${block}1000` },
    externals,
    outboundCallerId: `${block}1000`,
  };
}

/** Builds the world: the same options always give the same world. */
export function buildWorld(options: Partial<WorldOptions> = {}): World {
  const full: WorldOptions = { ...DEFAULT_WORLD_OPTIONS, ...options };
  if (!Number.isInteger(full.tenants) || full.tenants < 1) throw new RangeError('tenants must be a positive integer');
  if (!Number.isInteger(full.extensions) || full.extensions < 2 || full.extensions > 899)
    throw new RangeError('extensions must be between 2 and 899');
  return { options: full, tenants: Array.from({ length: full.tenants }, (_, i) => buildTenant(full, i)) };
}

/** Placeholder tenant and source ids (deterministic) for runs that never touch a database. */
export function placeholderIds(world: World): Array<{ tenantId: string; sources: Record<Vendor, string> }> {
  const rng = Rng.from(world.options.seed, 'placeholder-ids');
  return world.tenants.map(() => ({
    tenantId: rng.uuid(),
    sources: Object.fromEntries(VENDORS.map((v) => [v, rng.uuid()])) as Record<Vendor, string>,
  }));
}

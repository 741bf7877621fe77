import { parseArgs } from 'node:util';
import { TrafficOptions } from '../engine';
import { FaultOptions, NO_FAULTS, validateFaults } from '../faults';
import { Vendor, VENDORS } from '../model';
import { parseStart } from '../time';
import { DEFAULT_WORLD_OPTIONS, WorldOptions } from '../world';

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** What to do with the generated traffic. */
export type Mode = 'setup' | 'out' | 'direct' | 'http' | 'dry';

/** Everything a run needs, parsed and validated. */
export interface RunOptions {
  mode: Mode;
  world: WorldOptions;
  /** The start as given (resolved in the world's zone once the world is known). */
  startText: string;
  traffic: Omit<TrafficOptions, 'start'>;
  faults: FaultOptions;
  worldFile: string | null;
  truthFile: string | null;
  outFile: string | null;
  target: string | null;
  /** HTTP: events per second, run time limit (s), requests in flight. */
  rate: number;
  durationSeconds: number | null;
  concurrency: number;
  /** Direct: rows per COPY transaction and transactions in flight. */
  chunkRows: number;
  copyConcurrency: number;
  databaseUrl: string | null;
  quiet: boolean;
  /** Tell the user the world options came from --world (set by the runner). */
  worldFromFile?: boolean;
}

/** Defaults of the traffic knobs. */
export const DEFAULT_TRAFFIC = {
  start: '2026-03-02T00:00',
  hours: 24,
  callsPerDay: 4000,
};

/** The command-line usage text. */
export function usage(): string {
  return `Usage: npm run -s simulate -- <mode> [options]     (JSON summary on stdout, progress on stderr)

Modes (one):
  --setup --world FILE        create the tenants and sources in DATABASE_URL, write ids and secrets to FILE
  --out FILE                  write every delivery as one NDJSON line {"sourceId","vendor","at","body"}
  --direct                    COPY the events into raw_events (+ event_dedup claims) of DATABASE_URL;
                              uses --world FILE when it exists, else creates tenants/sources (and writes FILE)
  --target URL --world FILE   POST every delivery to URL/webhooks/<sourceId> with the source's auth
  (none)                      only compute; useful with --truth

World:    --seed N (1) --tenants N (1) --timezone Z (${DEFAULT_WORLD_OPTIONS.timezone}) --extensions N (40)
          --agents N (24) --portsip-auth digest|basic (digest)
Traffic:  --start DATE (${DEFAULT_TRAFFIC.start}, wall time in the zone, or ISO with offset) --hours H (24)
          --calls-per-day N (${DEFAULT_TRAFFIC.callsPerDay}) --vendors nexbro=1,portsip=1,voipcloud=1
Faults:   --dup-rate R (0) --reorder-rate R (0) --late-rate R (0)
          --reorder-window S (10) --late-minutes M (30) --dup-window S (120)
HTTP:     --rate N events/s (500) --duration S (until done) --concurrency N (64)
Direct:   --chunk-rows N (5000) --copy-concurrency N (2) --database-url URL (else DATABASE_URL)
Output:   --truth FILE (ground truth JSON) --quiet (no progress)
`;
}

const OPTIONS = {
  setup: { type: 'boolean' },
  direct: { type: 'boolean' },
  out: { type: 'string' },
  target: { type: 'string' },
  world: { type: 'string' },
  truth: { type: 'string' },
  seed: { type: 'string' },
  tenants: { type: 'string' },
  timezone: { type: 'string' },
  extensions: { type: 'string' },
  agents: { type: 'string' },
  'portsip-auth': { type: 'string' },
  start: { type: 'string' },
  hours: { type: 'string' },
  'calls-per-day': { type: 'string' },
  vendors: { type: 'string' },
  'dup-rate': { type: 'string' },
  'reorder-rate': { type: 'string' },
  'late-rate': { type: 'string' },
  'reorder-window': { type: 'string' },
  'late-minutes': { type: 'string' },
  'dup-window': { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  concurrency: { type: 'string' },
  'chunk-rows': { type: 'string' },
  'copy-concurrency': { type: 'string' },
  'database-url': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

function num(
  values: Record<string, unknown>,
  key: string,
  fallback: number,
  check: (n: number) => boolean,
  what: string,
) {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${key} must be ${what} (got ${JSON.stringify(raw)})`);
  return n;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const rate = (n: number) => n >= 0 && n <= 1;

/** Parses `nexbro=1,portsip=2,voipcloud=0` (vendors left out get 0). */
export function parseVendorWeights(text: string): Record<Vendor, number> {
  const out: Record<Vendor, number> = { nexbro: 0, portsip: 0, voipcloud: 0 };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, weight = '1'] = part.split('=').map((s) => s.trim());
    if (!(VENDORS as readonly string[]).includes(name)) throw new UsageError(`--vendors: unknown vendor "${name}"`);
    const w = Number(weight);
    if (!Number.isFinite(w) || w < 0) throw new UsageError(`--vendors: weight of ${name} must be a number ≥ 0`);
    out[name as Vendor] = w;
  }
  if (!VENDORS.some((v) => out[v] > 0)) throw new UsageError('--vendors: at least one vendor needs a positive weight');
  return out;
}

/** Parses the command line into RunOptions; throws UsageError for anything unusable. */
export function parseRunOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): RunOptions | 'help' {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const chosen = (['setup', 'out', 'direct', 'target'] as const).filter(
    (k) => values[k] !== undefined && values[k] !== false,
  );
  if (chosen.length > 1) throw new UsageError(`choose one mode, not ${chosen.map((c) => `--${c}`).join(' and ')}`);
  const mode: Mode = chosen[0] === 'target' ? 'http' : (chosen[0] ?? 'dry');
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : null);
  if ((mode === 'setup' || mode === 'http') && !str('world')) throw new UsageError(`--${chosen[0]} needs --world FILE`);
  const target = str('target');
  if (target !== null && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(target))
    throw new UsageError('--target must be an http:// or https:// URL');
  const portsipAuth = str('portsip-auth') ?? DEFAULT_WORLD_OPTIONS.portsipAuth;
  if (portsipAuth !== 'digest' && portsipAuth !== 'basic')
    throw new UsageError('--portsip-auth must be digest or basic');
  const timezone = str('timezone') ?? DEFAULT_WORLD_OPTIONS.timezone;
  const startText = str('start') ?? DEFAULT_TRAFFIC.start;
  if (parseStart(startText, 'UTC') === null)
    throw new UsageError('--start must look like 2026-03-02, 2026-03-02T09:00 or an ISO instant');
  const seed = num(values, 'seed', 1, Number.isSafeInteger, 'an integer');
  const faults: FaultOptions = {
    dupRate: num(values, 'dup-rate', NO_FAULTS.dupRate, rate, 'between 0 and 1'),
    reorderRate: num(values, 'reorder-rate', NO_FAULTS.reorderRate, rate, 'between 0 and 1'),
    lateRate: num(values, 'late-rate', NO_FAULTS.lateRate, rate, 'between 0 and 1'),
    reorderWindowSeconds: num(values, 'reorder-window', NO_FAULTS.reorderWindowSeconds, (n) => n >= 1, 'at least 1'),
    lateMinutes: num(values, 'late-minutes', NO_FAULTS.lateMinutes, (n) => n >= 1, 'at least 1'),
    duplicateWindowSeconds: num(values, 'dup-window', NO_FAULTS.duplicateWindowSeconds, (n) => n >= 1, 'at least 1'),
  };
  try {
    validateFaults(faults);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    mode,
    world: {
      seed,
      tenants: num(values, 'tenants', DEFAULT_WORLD_OPTIONS.tenants, positiveInt, 'a positive integer'),
      timezone,
      extensions: num(
        values,
        'extensions',
        DEFAULT_WORLD_OPTIONS.extensions,
        (n) => positiveInt(n) && n >= 2 && n <= 899,
        'between 2 and 899',
      ),
      agents: num(values, 'agents', DEFAULT_WORLD_OPTIONS.agents, positiveInt, 'a positive integer'),
      portsipAuth,
    },
    startText,
    traffic: {
      seed,
      hours: num(values, 'hours', DEFAULT_TRAFFIC.hours, (n) => n > 0 && n <= 24 * 366, 'between 0 and 8784'),
      callsPerDay: num(values, 'calls-per-day', DEFAULT_TRAFFIC.callsPerDay, (n) => n >= 0, 'a number ≥ 0'),
      vendors: parseVendorWeights(str('vendors') ?? 'nexbro=1,portsip=1,voipcloud=1'),
    },
    faults,
    worldFile: str('world'),
    truthFile: str('truth'),
    outFile: str('out'),
    target,
    rate: num(values, 'rate', 500, (n) => n > 0, 'a positive number'),
    durationSeconds:
      values.duration === undefined ? null : num(values, 'duration', 0, (n) => n > 0, 'a positive number'),
    concurrency: num(values, 'concurrency', 64, (n) => positiveInt(n) && n <= 1024, 'between 1 and 1024'),
    chunkRows: num(values, 'chunk-rows', 5000, (n) => positiveInt(n) && n <= 1_000_000, 'between 1 and 1000000'),
    copyConcurrency: num(values, 'copy-concurrency', 2, (n) => positiveInt(n) && n <= 32, 'between 1 and 32'),
    databaseUrl: str('database-url') ?? env.DATABASE_URL ?? null,
    quiet: values.quiet === true,
  };
}

import { Pool } from 'pg';
import { Vendor, VENDORS } from '../model';
import { Delivery, Simulation } from '../simulate';
import { parseStart } from '../time';
import { DEFAULT_TRUTH_SETTINGS } from '../truth';
import { buildWorld } from '../world';
import { DirectLoader, DirectStats } from './direct';
import { HttpStats, sendHttp } from './http';
import { RunOptions, UsageError } from './options';
import { FileSink, Progress, TruthWriter } from './sinks';
import {
  TenancyLike,
  WorldFile,
  createWorldSources,
  placeholderWorldFile,
  readWorldFile,
  worldFileExists,
  writeWorldFile,
} from './world-file';

/** What a run may need from outside: a database (pool) and tenancy, created only when used. */
export interface RunDeps {
  /** Opens tenancy on the run's database; `close` is called when the run ends. */
  tenancy?: () => Promise<{ tenancy: TenancyLike; close: () => Promise<void> }>;
  /** A pool on the target database for --direct (else one is opened from options.databaseUrl). */
  pool?: Pool;
}

/** The JSON summary a run prints. */
export type RunSummary = Record<string, unknown>;

async function withTenancy<T>(deps: RunDeps, fn: (t: TenancyLike) => Promise<T>): Promise<T> {
  if (!deps.tenancy) throw new UsageError('this mode needs a database: set DATABASE_URL');
  const { tenancy, close } = await deps.tenancy();
  try {
    return await fn(tenancy);
  } finally {
    await close();
  }
}

/** Runs one simulator command (I/O happens here only) and returns its summary. */
export async function runSimulator(options: RunOptions, deps: RunDeps = {}): Promise<RunSummary> {
  const fromFile =
    options.mode !== 'setup' && worldFileExists(options.worldFile) ? readWorldFile(options.worldFile) : null;
  const world = buildWorld(fromFile ? fromFile.world : options.world);
  const zone = world.options.timezone;

  if (options.mode === 'setup') {
    if (worldFileExists(options.worldFile))
      throw new UsageError(`${options.worldFile} exists: remove it or choose another --world`);
    const file = await withTenancy(deps, (t) => createWorldSources(t, world));
    writeWorldFile(options.worldFile!, file);
    return { mode: 'setup', world: options.worldFile, ...describeSources(file) };
  }

  let file: WorldFile;
  if (fromFile) file = fromFile;
  else if (options.mode === 'http')
    throw new UsageError(`--target needs an existing --world file (create it with --setup)`);
  else if (options.mode === 'direct') {
    file = await withTenancy(deps, (t) => createWorldSources(t, world));
    if (options.worldFile) writeWorldFile(options.worldFile, file);
  } else file = placeholderWorldFile(world);

  const start = parseStart(options.startText, zone);
  if (start === null) throw new UsageError(`--start ${options.startText} is not a date`);
  const traffic = { ...options.traffic, start };
  const sim = new Simulation({ world, traffic, faults: options.faults });
  const window = {
    start: new Date(start * 1000).toISOString(),
    end: new Date(sim.engine.window.end * 1000).toISOString(),
  };
  const truth = options.truthFile
    ? new TruthWriter(options.truthFile, { seed: traffic.seed, window, settings: DEFAULT_TRUTH_SETTINGS, world: file })
    : null;
  const progress = new Progress(options.quiet, options.mode);
  const started = Date.now();

  /** Deliveries of the run, writing each call's truth as the simulation decides it. */
  function* deliveries(): Generator<Delivery> {
    for (const item of sim.run()) {
      if (item.kind === 'call') truth?.addCalls(item.truths);
      else yield item.delivery;
    }
  }

  const extra: Record<string, unknown> = {};
  if (options.mode === 'out') {
    const sink = new FileSink(options.outFile!);
    for (const d of deliveries()) {
      const sourceId = file.tenants[d.tenant].sources[d.vendor].id;
      sink.write(
        `{"sourceId":"${sourceId}","vendor":"${d.vendor}","at":"${new Date(d.atMs).toISOString()}","body":${d.text}}\n`,
      );
      progress.tick(sim.stats.deliveries, sim.stats.clock);
    }
    sink.close();
    extra.out = { file: options.outFile, bytes: sink.bytes };
  } else if (options.mode === 'direct') {
    extra.direct = await loadDirect(options, deps, file, deliveries(), sim, progress);
  } else if (options.mode === 'http') {
    const http: HttpStats = await sendHttp(deliveries(), (tenant, vendor) => file.tenants[tenant].sources[vendor], {
      target: options.target!,
      rate: options.rate,
      durationSeconds: options.durationSeconds,
      concurrency: options.concurrency,
      onProgress: (sent) => progress.tick(sent, sim.stats.clock),
    });
    extra.http = http;
  } else {
    for (const _ of deliveries()) progress.tick(sim.stats.deliveries, sim.stats.clock);
  }
  const elapsed = (Date.now() - started) / 1000;
  progress.tick(sim.stats.deliveries, sim.stats.clock, ' (done)', true);

  const eventsByVendor = Object.fromEntries(
    VENDORS.map((v) => [v, Object.values(sim.truth.totalEvents()[v]).reduce((a, b) => a + b, 0)]),
  ) as Record<Vendor, number>;
  const summary: RunSummary = {
    mode: options.mode,
    seed: traffic.seed,
    world: {
      ...world.options,
      file: fromFile ? options.worldFile : options.mode === 'direct' ? options.worldFile : null,
    },
    window: { ...window, hours: traffic.hours, callsPerDay: traffic.callsPerDay },
    calls: sim.truth.calls,
    callsByVendor: sim.truth.callsByVendor,
    events: sim.stats.emitted,
    eventsByVendor,
    deliveries: sim.stats.deliveries,
    faults: { duplicates: sim.stats.duplicates, reordered: sim.stats.reordered, late: sim.stats.late },
    elapsedSeconds: Math.round(elapsed * 100) / 100,
    deliveriesPerSecond: Math.round(sim.stats.deliveries / Math.max(elapsed, 0.001)),
    ...describeSources(file),
    ...extra,
  };
  if (truth) {
    const bytes = truth.finish(sim.truth, {
      events: sim.stats.emitted,
      deliveries: sim.stats.deliveries,
      faults: summary.faults,
    });
    summary.truth = { file: options.truthFile, bytes };
  }
  return summary;
}

async function loadDirect(
  options: RunOptions,
  deps: RunDeps,
  file: WorldFile,
  deliveries: Iterable<Delivery>,
  sim: Simulation,
  progress: Progress,
): Promise<DirectStats & { eventsPerSecond: number; elapsedSeconds: number }> {
  let pool = deps.pool;
  if (!pool) {
    if (!options.databaseUrl) throw new UsageError('--direct needs DATABASE_URL (or --database-url)');
    pool = new Pool({ connectionString: options.databaseUrl, max: options.copyConcurrency + 1 });
    pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
  }
  const started = Date.now();
  try {
    // By default two transactions in flight: one being encoded here while the server ingests the
    // other. More only pays off with more cores for PostgreSQL.
    const loader = new DirectLoader(pool, {
      chunkRows: options.chunkRows,
      concurrency: options.copyConcurrency,
      duplicateWindowMs: options.faults.duplicateWindowSeconds * 1000 + 1000,
    });
    for (const d of deliveries) {
      const t = file.tenants[d.tenant];
      await loader.add(d, { tenantId: t.id, sourceId: t.sources[d.vendor].id, timezone: t.timezone });
      progress.tick(sim.stats.deliveries, sim.stats.clock);
    }
    const stats = await loader.finish();
    const elapsed = (Date.now() - started) / 1000;
    return {
      ...stats,
      eventsPerSecond: Math.round(stats.stored / Math.max(elapsed, 0.001)),
      elapsedSeconds: Math.round(elapsed * 100) / 100,
    };
  } finally {
    if (!deps.pool) await pool.end();
  }
}

function describeSources(file: WorldFile) {
  return {
    tenants: file.tenants.map((t) => ({
      index: t.index,
      tenantId: t.id,
      sources: Object.fromEntries(VENDORS.map((v) => [v, t.sources[v].id])),
    })),
  };
}

import { CallEngine, TrafficOptions } from './engine';
import { nexbroCallEvents, nexbroRegistrationEvents } from './emit/nexbro';
import { portsipCallEvents, portsipStatusEvents } from './emit/portsip';
import { voipcloudCallEvents } from './emit/voipcloud';
import { DeliveryCopy, FaultKind, FaultOptions, NO_FAULTS, deliveryCopies, validateFaults } from './faults';
import { MinHeap } from './heap';
import { AgentChange, EmittedEvent, SimCall, Vendor } from './model';
import { Rng } from './prng';
import { CallTruth, DEFAULT_TRUTH_SETTINGS, TruthAccumulator, TruthSettings } from './truth';
import { World } from './world';

/** One delivery of one event to its source, as the PBX would make it. */
export interface Delivery {
  /** Order of emission (ties in `atMs` are delivered in this order). */
  seq: number;
  tenant: number;
  vendor: Vendor;
  type: string;
  /** When it is delivered (Unix ms). */
  atMs: number;
  /** The instant the vendor adapter should read from it (Unix seconds), or null. */
  occurredAt: number | null;
  /** The exact JSON body. */
  text: string;
  body: Record<string, unknown>;
  fault: FaultKind;
}

/** What the simulation yields: deliveries in delivery order, and each call's truth once decided. */
export type SimItem = { kind: 'delivery'; delivery: Delivery } | { kind: 'call'; truths: CallTruth[] };

/** Everything that defines a run. */
export interface SimulationOptions {
  world: World;
  traffic: TrafficOptions;
  faults?: FaultOptions;
  truth?: TruthSettings;
}

/** Counts of a run so far. */
export interface SimulationStats {
  /** Events emitted before faults. */
  emitted: number;
  deliveries: number;
  duplicates: number;
  reordered: number;
  late: number;
  /** Simulated clock (Unix seconds). */
  clock: number;
}

/** The vendor events of one call (pure). */
export function emitCall(call: SimCall, world: World, seed: number): EmittedEvent[] {
  const tenant = world.tenants[call.tenant];
  const rng = Rng.from(seed, 'emit', call.tenant, call.seq);
  switch (call.vendor) {
    case 'nexbro':
      return nexbroCallEvents(call, tenant, rng);
    case 'portsip':
      return portsipCallEvents(call, tenant, rng);
    default:
      return voipcloudCallEvents(call, tenant, rng);
  }
}

/** The vendor events of one extension change (pure): registrations via Nexbro, the rest via PortSIP. */
export function emitChange(change: AgentChange, world: World, enabled: Record<Vendor, boolean>): EmittedEvent[] {
  const tenant = world.tenants[change.tenant];
  if (change.kind === 'register' || change.kind === 'unregister')
    return enabled.nexbro ? nexbroRegistrationEvents(change, tenant) : [];
  return enabled.portsip ? portsipStatusEvents(change, tenant) : [];
}

/**
 * A whole run: the call model, the vendor emitters, the ground truth and the delivery faults,
 * streamed. Memory stays bounded by the calls in progress and the fault spreads, never by the
 * length of the window. Pure: same options, same items, byte for byte.
 */
export class Simulation {
  readonly truth: TruthAccumulator;
  readonly stats: SimulationStats = { emitted: 0, deliveries: 0, duplicates: 0, reordered: 0, late: 0, clock: 0 };
  readonly engine: CallEngine;
  private readonly faults: FaultOptions;
  private readonly faultRng: Rng;
  private readonly pending = new MinHeap<Delivery>((a, b) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq));
  private seq = 0;
  // PortSIP sends a queue_status snapshot whenever it likes; identical snapshots carry no id and
  // would collapse into one stored event, so only snapshots that differ are sent.
  private readonly snapshots = new Set<string>();
  private readonly enabled: Record<Vendor, boolean>;

  constructor(private readonly options: SimulationOptions) {
    this.faults = options.faults ?? NO_FAULTS;
    validateFaults(this.faults);
    this.engine = new CallEngine(options.world, options.traffic);
    this.truth = new TruthAccumulator(options.world.tenants.length, options.truth ?? DEFAULT_TRUTH_SETTINGS);
    this.faultRng = Rng.from(options.traffic.seed, 'faults');
    const w = options.traffic.vendors;
    this.enabled = { nexbro: w.nexbro > 0, portsip: w.portsip > 0, voipcloud: w.voipcloud > 0 };
  }

  /** Runs the simulation; deliveries come out in delivery order. */
  *run(): Generator<SimItem> {
    const { world, traffic } = this.options;
    for (const item of this.engine.run()) {
      if (item.kind === 'clock') {
        this.stats.clock = item.t;
        yield* this.flush(item.t * 1000);
      } else if (item.kind === 'call') {
        yield { kind: 'call', truths: this.truth.addCall(item.call) };
        for (const e of emitCall(item.call, world, traffic.seed)) this.enqueue(e);
      } else {
        for (const e of emitChange(item.change, world, this.enabled)) {
          if (e.type === 'queue_status') {
            const key = `${e.tenant}:${JSON.stringify(e.body)}`;
            if (this.snapshots.has(key)) continue;
            this.snapshots.add(key);
          }
          this.enqueue(e);
        }
      }
    }
    yield* this.flush(Infinity);
  }

  private enqueue(e: EmittedEvent): void {
    this.truth.countEvent(e);
    this.stats.emitted++;
    const text = JSON.stringify(e.body);
    for (const copy of deliveryCopies(this.faultRng, this.faults)) this.pending.push(this.delivery(e, text, copy));
  }

  private delivery(e: EmittedEvent, text: string, copy: DeliveryCopy): Delivery {
    return {
      seq: this.seq++,
      tenant: e.tenant,
      vendor: e.vendor,
      type: e.type,
      atMs: e.at * 1000 + copy.delayMs,
      occurredAt: e.occurredAt,
      text,
      body: e.body,
      fault: copy.fault,
    };
  }

  private *flush(beforeMs: number): Generator<SimItem> {
    for (let d = this.pending.peek(); d && d.atMs < beforeMs; d = this.pending.peek()) {
      this.pending.pop();
      this.stats.deliveries++;
      if (d.fault === 'duplicate') this.stats.duplicates++;
      else if (d.fault === 'reordered') this.stats.reordered++;
      else if (d.fault === 'late') this.stats.late++;
      yield { kind: 'delivery', delivery: d };
    }
  }
}

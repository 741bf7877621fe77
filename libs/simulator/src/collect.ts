import { TrafficOptions } from './engine';
import { FaultOptions } from './faults';
import { Delivery, Simulation } from './simulate';
import { parseStart } from './time';
import { CallTruth } from './truth';
import { World, WorldOptions, buildWorld } from './world';

/** A whole (small) run held in memory: for tests and for inspecting a scenario. */
export interface CollectedRun {
  world: World;
  simulation: Simulation;
  deliveries: Delivery[];
  calls: CallTruth[];
}

/** Runs a simulation to the end and keeps everything; `start` is wall time in the world's zone. */
export function collectRun(options: {
  world?: Partial<WorldOptions>;
  traffic?: Partial<Omit<TrafficOptions, 'start'>>;
  start?: string;
  faults?: FaultOptions;
}): CollectedRun {
  const world = buildWorld(options.world);
  const start = parseStart(options.start ?? '2026-03-02T10:00', world.options.timezone);
  if (start === null) throw new RangeError(`bad start ${options.start}`);
  const simulation = new Simulation({
    world,
    traffic: {
      seed: 1,
      hours: 1,
      callsPerDay: 4000,
      vendors: { nexbro: 1, portsip: 1, voipcloud: 1 },
      ...options.traffic,
      start,
    },
    faults: options.faults,
  });
  const deliveries: Delivery[] = [];
  const calls: CallTruth[] = [];
  for (const item of simulation.run()) {
    if (item.kind === 'delivery') deliveries.push(item.delivery);
    else calls.push(...item.truths);
  }
  return { world, simulation, deliveries, calls };
}

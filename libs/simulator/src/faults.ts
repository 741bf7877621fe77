import { Rng } from './prng';

/** Delivery faults, as rates per emitted event (0–1) and their spreads. */
export interface FaultOptions {
  /** Share of events delivered a second time (a retry of a delivery whose answer was lost). */
  dupRate: number;
  /** Share of events held back by up to `reorderWindowSeconds`, so later events overtake them. */
  reorderRate: number;
  /** Share of events delivered between one minute and `lateMinutes` late (a PBX buffering). */
  lateRate: number;
  reorderWindowSeconds: number;
  lateMinutes: number;
  /** A duplicate follows its original by up to this many seconds. */
  duplicateWindowSeconds: number;
}

/** No faults; the default spreads. */
export const NO_FAULTS: FaultOptions = {
  dupRate: 0,
  reorderRate: 0,
  lateRate: 0,
  reorderWindowSeconds: 10,
  lateMinutes: 30,
  duplicateWindowSeconds: 120,
};

/** What happened to one delivered copy of an event. */
export type FaultKind = 'none' | 'reordered' | 'late' | 'duplicate';

/** One delivery of an event: its delay after the event was sent, and why. */
export interface DeliveryCopy {
  delayMs: number;
  fault: FaultKind;
}

/** Checks rates and spreads; throws RangeError naming the bad one. */
export function validateFaults(f: FaultOptions): void {
  for (const k of ['dupRate', 'reorderRate', 'lateRate'] as const)
    if (!(f[k] >= 0 && f[k] <= 1)) throw new RangeError(`${k} must be between 0 and 1`);
  if (f.reorderRate + f.lateRate > 1) throw new RangeError('reorderRate + lateRate must not exceed 1');
  for (const k of ['reorderWindowSeconds', 'lateMinutes', 'duplicateWindowSeconds'] as const)
    if (!(f[k] >= 1)) throw new RangeError(`${k} must be at least 1`);
}

/**
 * The deliveries of one event: the original (on time, held back a few seconds, or minutes late —
 * mutually exclusive) and, at `dupRate`, a duplicate after it. Draws the same number of random
 * values whatever the outcome, so the faults of one event never shift those of the next.
 */
export function deliveryCopies(rng: Rng, f: FaultOptions): DeliveryCopy[] {
  const which = rng.next();
  const reorderDelay = Math.round(rng.uniform(1000, f.reorderWindowSeconds * 1000));
  const lateDelay = Math.round(rng.uniform(60_000, Math.max(60_000, f.lateMinutes * 60_000)));
  const dup = rng.next() < f.dupRate;
  const dupDelay = Math.round(rng.uniform(1000, f.duplicateWindowSeconds * 1000));
  let first: DeliveryCopy = { delayMs: 0, fault: 'none' };
  if (which < f.lateRate) first = { delayMs: lateDelay, fault: 'late' };
  else if (which < f.lateRate + f.reorderRate) first = { delayMs: reorderDelay, fault: 'reordered' };
  return dup ? [first, { delayMs: first.delayMs + dupDelay, fault: 'duplicate' }] : [first];
}

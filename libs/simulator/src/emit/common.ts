import { EmittedEvent, Leg, SimCall, Vendor } from '../model';

/** Builds an EmittedEvent; `occurredAt` is what the vendor adapter must read back from `body`. */
export function event(
  call: { tenant: number },
  vendor: Vendor,
  type: string,
  at: number,
  occurredAt: number | null,
  body: Record<string, unknown>,
): EmittedEvent {
  return { tenant: call.tenant, vendor, type, at, occurredAt, body };
}

/** The first leg a person or device answered (extension or external party). */
export function personAnswer(legs: readonly Leg[]): Leg | null {
  let best: Leg | null = null;
  for (const l of legs) {
    if ((l.kind === 'extension' || l.kind === 'external') && l.answer !== null && (!best || l.answer < best.answer!))
      best = l;
  }
  return best;
}

/** The earliest answer of any leg, the PBX's own applications (IVR, queue, voicemail) included. */
export function firstAnswer(legs: readonly Leg[]): number | null {
  let at: number | null = null;
  for (const l of legs) if (l.answer !== null && (at === null || l.answer < at)) at = l.answer;
  return at;
}

/** Legs of a call in the order they started (stable). */
export function legsInOrder(call: SimCall): Leg[] {
  return call.legs
    .map((l, i) => ({ l, i }))
    .sort((a, b) => a.l.start - b.l.start || a.i - b.i)
    .map((x) => x.l);
}

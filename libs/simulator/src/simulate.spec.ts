import { createHash } from 'node:crypto';
import { collectRun } from './collect';
import { FaultOptions, NO_FAULTS, deliveryCopies } from './faults';
import { Rng } from './prng';

const digest = (run: ReturnType<typeof collectRun>) => {
  const h = createHash('sha256');
  for (const d of run.deliveries) h.update(`${d.atMs}|${d.vendor}|${d.fault}|${d.text}\n`);
  h.update(JSON.stringify(run.calls));
  h.update(JSON.stringify(run.simulation.truth.queues()));
  return h.digest('hex');
};

const FAULTY: FaultOptions = { ...NO_FAULTS, dupRate: 0.1, reorderRate: 0.2, lateRate: 0.05 };

describe('Simulation', () => {
  it('is deterministic: the same seed gives the same bytes, another seed different ones', () => {
    const a = collectRun({ start: '2026-03-02T09:00', traffic: { hours: 2 }, faults: FAULTY });
    const b = collectRun({ start: '2026-03-02T09:00', traffic: { hours: 2 }, faults: FAULTY });
    expect(a.deliveries.length).toBeGreaterThan(1000);
    expect(digest(a)).toBe(digest(b));
    const c = collectRun({ start: '2026-03-02T09:00', traffic: { hours: 2, seed: 2 }, faults: FAULTY });
    expect(digest(c)).not.toBe(digest(a));
  });

  it('keeps the emitted events independent of the fault settings', () => {
    const clean = collectRun({ start: '2026-03-02T10:00' });
    const faulty = collectRun({ start: '2026-03-02T10:00', faults: FAULTY });
    const texts = (r: ReturnType<typeof collectRun>) =>
      r.deliveries
        .filter((d) => d.fault !== 'duplicate')
        .map((d) => d.text)
        .sort();
    expect(texts(faulty)).toEqual(texts(clean));
    expect(faulty.calls).toEqual(clean.calls);
    expect(faulty.simulation.truth.totalEvents()).toEqual(clean.simulation.truth.totalEvents());
  });

  it('delivers in time order; without faults each event exactly once at the moment it is sent', () => {
    const run = collectRun({ start: '2026-03-02T10:00' });
    for (let i = 1; i < run.deliveries.length; i++)
      expect(run.deliveries[i].atMs).toBeGreaterThanOrEqual(run.deliveries[i - 1].atMs);
    expect(run.deliveries.every((d) => d.fault === 'none' && d.atMs % 1000 === 0)).toBe(true);
    expect(new Set(run.deliveries.map((d) => `${d.vendor}:${d.text}`)).size).toBe(run.deliveries.length);
    expect(run.simulation.stats.emitted).toBe(run.deliveries.length);
  });

  it('injects duplicates, reordering and late deliveries at the configured rates', () => {
    const faults: FaultOptions = { ...NO_FAULTS, dupRate: 0.05, reorderRate: 0.1, lateRate: 0.02, lateMinutes: 20 };
    const run = collectRun({ start: '2026-03-02T08:00', traffic: { hours: 8 }, faults });
    const emitted = run.simulation.stats.emitted;
    expect(emitted).toBeGreaterThan(20_000);
    const share = (fault: string) => run.deliveries.filter((d) => d.fault === fault).length / emitted;
    // Binomial standard deviation at these sizes is < 0.003: allow ±0.01.
    expect(Math.abs(share('duplicate') - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(share('reordered') - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(share('late') - 0.02)).toBeLessThan(0.01);
    expect(run.deliveries.length).toBe(emitted + run.simulation.stats.duplicates);
    // Each delivery's delay after the event was sent (its body's own second) stays in its window.
    const sent = new Map<string, number>();
    for (const d of run.deliveries) if (d.fault === 'none') sent.set(d.text, d.atMs);
    let overtaken = 0;
    let reordered = 0;
    let maxSeq = -1;
    for (const d of run.deliveries) {
      if (d.fault === 'reordered') {
        reordered++;
        // Held back: an event emitted after it was delivered before it.
        if (maxSeq > d.seq) overtaken++;
      }
      if (d.fault === 'duplicate' && sent.has(d.text)) {
        const gap = d.atMs - sent.get(d.text)!;
        expect(gap).toBeGreaterThanOrEqual(1000);
        expect(gap).toBeLessThanOrEqual(faults.duplicateWindowSeconds * 1000);
      }
      maxSeq = Math.max(maxSeq, d.seq);
    }
    expect(overtaken / reordered).toBeGreaterThan(0.8);
  });

  it('spreads single fault draws within their windows', () => {
    const rng = Rng.from(5, 'faults');
    const f: FaultOptions = { ...NO_FAULTS, dupRate: 1, reorderRate: 0.5, lateRate: 0.5, lateMinutes: 10 };
    for (let i = 0; i < 2000; i++) {
      const [first, dup] = deliveryCopies(rng, f);
      if (first.fault === 'late') expect(first.delayMs >= 60_000 && first.delayMs <= 600_000).toBe(true);
      else expect(first).toMatchObject({ fault: 'reordered' });
      if (first.fault === 'reordered') expect(first.delayMs >= 1000 && first.delayMs <= 10_000).toBe(true);
      expect(dup.delayMs - first.delayMs).toBeGreaterThanOrEqual(1000);
      expect(dup.fault).toBe('duplicate');
    }
    expect(() => collectRun({ faults: { ...NO_FAULTS, dupRate: 2 } })).toThrow(RangeError);
  });
});

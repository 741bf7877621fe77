import { slotForNextTenant, tenantIdInSlot } from './tenancy.service';

/** Slots the next `n` tenants take, starting from `used` (changed in place). */
function add(used: number[], n: number): number[] {
  const picks: number[] = [];
  for (let i = 0; i < n; i++) {
    const slot = slotForNextTenant(used);
    used[slot]++;
    picks.push(slot);
  }
  return picks;
}

/** Tenants per partition among `count` (last byte modulo count, as tenantPartition). */
function spread(used: readonly number[], count: number): number[] {
  const per = new Array<number>(count).fill(0);
  used.forEach((n, slot) => (per[slot % count] += n));
  return per;
}

describe('tenantIdInSlot', () => {
  it('makes a random version 4 uuid whose last byte is the slot', () => {
    const a = tenantIdInSlot(0);
    const b = tenantIdInSlot(0);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{10}00$/);
    expect(a).not.toBe(b);
    expect(tenantIdInSlot(10).slice(-2)).toBe('0a');
    expect(tenantIdInSlot(255).slice(-2)).toBe('ff');
  });

  it('refuses a slot outside 0–255', () => {
    for (const bad of [-1, 256, 1.5, Number.NaN]) expect(() => tenantIdInSlot(bad)).toThrow(RangeError);
  });
});

describe('slotForNextTenant', () => {
  it('fills an empty table in order, then starts again at 0', () => {
    const used = new Array<number>(256).fill(0);
    expect(add(used, 300)).toEqual([
      ...Array.from({ length: 256 }, (_, i) => i),
      ...Array.from({ length: 44 }, (_, i) => i),
    ]);
  });

  it('refills a freed slot first', () => {
    const used = new Array<number>(256).fill(0);
    add(used, 8);
    used[3] = 0;
    expect(add(used, 2)).toEqual([3, 8]);
  });

  it('steers new tenants away from partitions that random ids crowded, for every power-of-two count', () => {
    const used = new Array<number>(256).fill(0);
    for (const slot of [0, 4, 8]) used[slot] = 1; // three tenants, all in partition 0 of 4
    const picks = add(used, 5);
    expect(picks.every((s) => s % 4 !== 0)).toBe(true);
    expect(spread(used, 2)).toEqual([4, 4]);
    expect([...spread(used, 4)].sort()).toEqual([1, 2, 2, 3]);
    // Balanced at 2, 4, 8 and 16 partitions at once after enough tenants.
    add(used, 8);
    for (const count of [2, 4, 8, 16]) {
      const per = spread(used, count);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(count <= 4 ? 1 : 2);
    }
  });

  it('needs the count of every one of the 256 slots', () => {
    expect(() => slotForNextTenant([0, 1])).toThrow(RangeError);
  });
});

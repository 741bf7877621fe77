import { Rng, hash32 } from './prng';

describe('Rng', () => {
  it('gives the same numbers for the same seed and labels, different ones otherwise', () => {
    const draw = (r: Rng) => Array.from({ length: 5 }, () => r.nextUint32());
    expect(draw(Rng.from(7, 'calls', 0))).toEqual(draw(Rng.from(7, 'calls', 0)));
    expect(draw(Rng.from(7, 'calls', 0))).not.toEqual(draw(Rng.from(8, 'calls', 0)));
    expect(draw(Rng.from(7, 'calls', 0))).not.toEqual(draw(Rng.from(7, 'calls', 1)));
    expect(hash32('a')).not.toBe(hash32('b'));
  });

  it('draws uniformly: mean, range and every value of a small integer range', () => {
    const r = Rng.from(1, 'uniform');
    let sum = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      seen.add(r.int(3, 7));
    }
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('samples exponential, normal and weighted distributions with the right moments', () => {
    const r = Rng.from(2, 'moments');
    const n = 200_000;
    let exp = 0;
    let norm = 0;
    let norm2 = 0;
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < n; i++) {
      exp += r.exp(150);
      const z = r.normal(10, 2);
      norm += z;
      norm2 += (z - 10) ** 2;
      counts[
        r.weighted([
          ['a', 1],
          ['b', 3],
        ] as const)
      ]++;
    }
    expect(exp / n).toBeGreaterThan(147);
    expect(exp / n).toBeLessThan(153);
    expect(norm / n).toBeCloseTo(10, 1);
    expect(Math.sqrt(norm2 / n)).toBeCloseTo(2, 1);
    expect(counts.b / n).toBeCloseTo(0.75, 2);
  });

  it('makes well-formed ids', () => {
    const r = Rng.from(3, 'ids');
    expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.digits(18)).toMatch(/^[1-9]\d{17}$/);
    expect(r.hex(10)).toMatch(/^[0-9a-f]{10}$/);
    expect(() => r.pick([])).toThrow(RangeError);
    expect(() => r.weighted([['x', 0]] as const)).toThrow(RangeError);
  });

  it('forks independent child streams deterministically', () => {
    const a = Rng.from(4, 'parent');
    const b = Rng.from(4, 'parent');
    expect(a.fork('x').next()).toBe(b.fork('x').next());
    expect(Rng.from(4, 'parent').fork('x').next()).not.toBe(Rng.from(4, 'parent').fork('y').next());
  });
});

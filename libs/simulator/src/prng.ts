/**
 * Seeded pseudo-random numbers. The generator is sfc32 (small fast counter, 128-bit state),
 * seeded through a 32-bit mix of the seed and a label, so independent streams ("world",
 * "arrivals:0", "faults") can be derived by name: changing how much one stream is used never
 * shifts the numbers another stream produces.
 */

/** FNV-1a over the UTF-16 code units of `text`, then mixed: a 32-bit label hash. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mix32(h);
}

// The finaliser of murmur3: spreads every input bit over the whole word.
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const HEX = '0123456789abcdef';

/** A deterministic random stream; every method consumes a fixed number of draws per call shape. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // The first outputs of a freshly seeded sfc32 are correlated with the seed words.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The stream named `labels` under `seed` (same seed and labels → same numbers). */
  static from(seed: number | string, ...labels: Array<string | number>): Rng {
    const base = hash32(`${seed}`, 0x9e3779b9);
    const label = hash32(labels.join('/'), base);
    return new Rng(base, label, mix32(base ^ 0xdeadbeef), mix32(label + 0x632be5ab));
  }

  /** An independent child stream named `label`, derived from this stream's current state. */
  fork(label: string | number): Rng {
    const l = hash32(String(label));
    return new Rng(this.nextUint32() ^ l, this.nextUint32(), mix32(l), this.nextUint32());
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.next() * items.length)];
  }

  /** One key chosen with probability proportional to its (non-negative) weight. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of entries) total += Math.max(0, w);
    if (!(total > 0)) throw new RangeError('weighted pick needs a positive total weight');
    let x = this.next() * total;
    for (const [value, w] of entries) {
      x -= Math.max(0, w);
      if (x < 0) return value;
    }
    return entries[entries.length - 1][0];
  }

  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Normally distributed (Box–Muller; two draws per call). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normally distributed with the given median and shape `sigma` (right-skewed durations). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** `n` random decimal digits, the first one non-zero. */
  digits(n: number): string {
    let out = String(this.int(1, 9));
    for (let i = 1; i < n; i++) out += String(this.int(0, 9));
    return out;
  }

  /** `n` random lower-case hex digits. */
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += HEX[this.nextUint32() & 15];
    return out;
  }

  /** A random (version 4 layout) UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = HEX[8 + (this.nextUint32() & 3)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

import fc from 'fast-check';
import { canonicalJson, canonicalJsonSlow, hashKey, idKey, sha256Hex } from './canonical';

describe('canonicalJson', () => {
  it('sorts keys recursively and drops whitespace', () => {
    const text = '{ "b": 1,\n  "a": { "d": [ {"z": 1, "y": 2} ], "c": null } }';
    expect(canonicalJson(JSON.parse(text))).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('keeps array order, string content and number/string distinctions', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ a: ' x ' })).toBe('{"a":" x "}');
    expect(canonicalJson({ a: 21 })).not.toBe(canonicalJson({ a: '21' }));
  });

  it('follows JSON.stringify for values JSON cannot hold, and never throws', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(canonicalJson({ u: undefined, f: () => 1, n: Number.NaN, z: -0 })).toBe('{"n":null,"z":0}');
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(10n)).toBe('10');
    expect(canonicalJson(new Date('2026-01-01T00:00:00Z'))).toBe('"2026-01-01T00:00:00.000Z"');
    expect(canonicalJson(cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , 2])).toBe('[1,null,2]');
  });

  it('property: the fast path writes exactly what the reference writer does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.object({ key: fc.oneof(fc.string(), fc.nat().map(String)) }), (a, b) => {
        expect(canonicalJson(a)).toBe(canonicalJsonSlow(a));
        expect(canonicalJson(b)).toBe(canonicalJsonSlow(b));
      }),
      { numRuns: 500 },
    );
    // Integer-like keys, which objects keep in numeric order, still sort as text.
    expect(canonicalJson({ 10: 'a', 9: 'b', x: { 2: 1, 1: 2 } })).toBe('{"10":"a","9":"b","x":{"1":2,"2":1}}');
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    const proto = JSON.parse('{"z":1,"__proto__":{"x":1}}') as unknown;
    expect(canonicalJson(proto)).toBe('{"__proto__":{"x":1},"z":1}');
    expect(canonicalJson(proto)).toBe(canonicalJsonSlow(proto));
  });

  it('writes what the reference writer does for Dates, toJSON methods, deep nesting and mixed key orders', () => {
    const at = new Date('2026-03-02T09:00:00.250Z');
    const values: unknown[] = [
      { z: at, a: { y: at, b: [at, { d: 1, c: at }] } },
      { b: { toJSON: () => ({ y: 1, x: 2 }) }, a: 1 },
      { b: Buffer.from('ab'), a: new Map([['k', 1]]) },
      // 300 levels: past the fast path's depth limit (taken for a cycle), so the writer's text.
      Array.from({ length: 300 }).reduce<unknown>((inner) => ({ b: inner, a: 1 }), null),
      // Already sorted at every level, with an unsorted object deep inside an array.
      { a: [{ a: 1, b: 2 }, { b: 1, a: 2 }], b: { a: null, b: [1, 'x', true] } },
    ];
    for (const v of values) expect(canonicalJson(v)).toBe(canonicalJsonSlow(v));
    expect(canonicalJson({ z: at, a: 1 })).toBe('{"a":1,"z":"2026-03-02T09:00:00.250Z"}');
    expect(canonicalJson({ b: { toJSON: () => ({ y: 1, x: 2 }) }, a: 1 })).toBe('{"a":1,"b":{"x":2,"y":1}}');
  });

  it('does not change the value it writes', () => {
    const value = { b: { d: [{ f: 1, e: 2 }], c: 1 }, a: 0 };
    const before = JSON.stringify(value);
    canonicalJson(value);
    expect(JSON.stringify(value)).toBe(before);
    expect(Object.keys(value.b.d[0])).toEqual(['f', 'e']);
  });

  it('property: equals JSON.stringify after a key sort, so it stays valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

/** The same value with every object's keys in reverse insertion order. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reorder(v)]),
  );
}

describe('hashKey', () => {
  it('is h: + sha256 hex of the canonical JSON', () => {
    expect(hashKey({ b: 1, a: 2 })).toBe(`h:${sha256Hex('{"a":2,"b":1}')}`);
    expect(hashKey({})).toMatch(/^h:[0-9a-f]{64}$/);
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('property: a retry with keys reordered and re-indented gets the same key', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const retried = JSON.parse(JSON.stringify(reorder(value), null, 3));
        expect(hashKey(retried)).toBe(hashKey(value));
      }),
    );
  });

  it('property: payloads that differ in content get different keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(canonicalJson(a) !== canonicalJson(b));
        expect(hashKey(a)).not.toBe(hashKey(b));
      }),
    );
  });

  it('idKey prefixes the vendor id', () => {
    expect(idKey('abc')).toBe('id:abc');
  });
});

import { BoundedMap } from './bounded-map';

describe('BoundedMap', () => {
  it('evicts the least recently used entry beyond the cap and reports it', () => {
    const evicted: Array<[string, number]> = [];
    const map = new BoundedMap<string, number>(2, (k, v) => evicted.push([k, v]));
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // a is now more recent than b
    map.set('c', 3);
    expect(evicted).toEqual([['b', 2]]);
    expect(map.size).toBe(2);
    expect(map.peek('b')).toBeUndefined();
    expect(map.peek('a')).toBe(1);
    expect(map.peek('c')).toBe(3);
  });

  it('does not refresh recency on peek', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.peek('a');
    map.set('c', 3);
    expect(map.peek('a')).toBeUndefined();
  });

  it('deletes entries matching a predicate without reporting them as evicted', () => {
    const onEvict = jest.fn();
    const map = new BoundedMap<string, number>(10, onEvict);
    ['a', 'b', 'c', 'd'].forEach((k, i) => map.set(k, i));
    expect(map.deleteWhere((v) => v % 2 === 0)).toBe(2);
    expect(map.size).toBe(2);
    expect(map.peek('b')).toBe(1);
    expect(map.peek('d')).toBe(3);
    expect(map.delete('b')).toBe(true);
    expect(map.delete('b')).toBe(false);
    expect(onEvict).not.toHaveBeenCalled();
  });

  it('rejects a non-positive cap', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
    expect(() => new BoundedMap(1.5)).toThrow(RangeError);
  });
});

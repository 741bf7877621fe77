import { readNumberList } from './number-list';

describe('readNumberList', () => {
  const read = (text: string, size = 8) => {
    const out = new Float64Array(size);
    const n = readNumberList(text, out);
    return Array.from(out.subarray(0, n));
  };

  it('reads integers, negatives and empty items (NULLs) in order', () => {
    expect(read('1772332200000,0,-7,,42')).toEqual([1772332200000, 0, -7, NaN, 42]);
    expect(read('')).toEqual([NaN]);
    expect(read(',')).toEqual([NaN, NaN]);
  });

  it('reads what float8 prints: fractions, exponents, infinities', () => {
    expect(read('1.5,-0.25,1e+21,2.5e-05,Infinity,-Infinity,NaN')).toEqual([
      1.5,
      -0.25,
      1e21,
      2.5e-5,
      Infinity,
      -Infinity,
      NaN,
    ]);
  });

  it('gives integers beyond 2^53 the same rounding as Number()', () => {
    expect(read('12345678901234567890')).toEqual([Number('12345678901234567890')]);
  });

  it('refuses what is not a number, and more numbers than fit', () => {
    expect(() => read('1,x')).toThrow('"x" is not a number');
    expect(() => read('-')).toThrow('"-" is not a number');
    expect(() => read('1-2')).toThrow('"1-2" is not a number');
    expect(() => read('1,2,3', 2)).toThrow('more than 2 numbers');
  });

  it('writes from an offset, at most max numbers, leaving the rest of the array alone', () => {
    const out = new Float64Array([9, 9, 9, 9, 9]);
    expect(readNumberList('1,,3', out, 1, 3)).toBe(3);
    expect(Array.from(out)).toEqual([9, 1, NaN, 3, 9]);
    expect(() => readNumberList('1,2,3', out, 3)).toThrow('more than 2 numbers');
    expect(() => readNumberList('1,2', out, 0, 1)).toThrow('more than 1 numbers');
    expect(() => readNumberList('1', out, 3, 3)).toThrow('3 numbers from index 3 do not fit an array of 5');
    expect(() => readNumberList('1', out, -1)).toThrow(RangeError);
  });
});

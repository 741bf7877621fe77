import { billableSeconds, callCost, sumDecimals } from './rating';

describe('billableSeconds (first/next increments)', () => {
  it.each([
    // 60/60: whole minutes
    [0, 60, 60, 0],
    [1, 60, 60, 60],
    [59, 60, 60, 60],
    [60, 60, 60, 60],
    [61, 60, 60, 120],
    [125, 60, 60, 180],
    // 6/6: six-second blocks
    [1, 6, 6, 6],
    [6, 6, 6, 6],
    [7, 6, 6, 12],
    [61, 6, 6, 66],
    // 1/1: per second
    [1, 1, 1, 1],
    [61, 1, 1, 61],
    [3599, 1, 1, 3599],
    // 60/30: a first minute, then half minutes
    [30, 60, 30, 60],
    [60, 60, 30, 60],
    [61, 60, 30, 90],
    [90, 60, 30, 90],
    [91, 60, 30, 120],
    // 30/6
    [31, 30, 6, 36],
  ])('%i s at %i/%i bills %i s', (talk, first, next, billed) => {
    expect(billableSeconds(talk, { first, next })).toBe(billed);
  });

  it('never bills a call without talk time, and rejects impossible increments', () => {
    expect(billableSeconds(-5, { first: 60, next: 60 })).toBe(0);
    expect(billableSeconds(Number.NaN, { first: 60, next: 60 })).toBe(0);
    expect(() => billableSeconds(10, { first: 0, next: 60 })).toThrow(RangeError);
    expect(() => billableSeconds(10, { first: 60, next: 1.5 })).toThrow(RangeError);
  });
});

describe('callCost (connect fee + billable minutes x rate, half up to 4 places)', () => {
  it('hand-computed costs', () => {
    // 61 s at 60/60 = 120 s = 2 min x 0.10 = 0.2000
    expect(callCost(billableSeconds(61, { first: 60, next: 60 }), '0.10', '0')).toBe('0.2000');
    // 61 s at 6/6 = 66 s = 1.1 min x 0.10 = 0.1100
    expect(callCost(billableSeconds(61, { first: 6, next: 6 }), '0.10', '0')).toBe('0.1100');
    // 61 s at 1/1 = 61/60 min x 0.10 = 0.101666... -> 0.1017
    expect(callCost(billableSeconds(61, { first: 1, next: 1 }), '0.10', '0')).toBe('0.1017');
    // 61 s at 60/30 with a 0.15 connect fee: 90 s = 1.5 min x 0.50 = 0.75 + 0.15 = 0.9000
    expect(callCost(billableSeconds(61, { first: 60, next: 30 }), '0.50', '0.15')).toBe('0.9000');
    // 7 s at 1/1, 0.0533/min: 7 x 0.0533 / 60 = 0.006218333... -> 0.0062
    expect(callCost(7, '0.0533', '0')).toBe('0.0062');
  });

  it('rounds half up exactly, where binary floating point would not', () => {
    // 30 s x 0.0005/min = 0.00025 exactly: half up gives 0.0003 (half-even would give 0.0002).
    expect(callCost(30, '0.0005', '0')).toBe('0.0003');
    // 0.00015 -> 0.0002; 0.000149999... (29.9999 can't happen: seconds are whole) -> below half
    expect(callCost(18, '0.0005', '0')).toBe('0.0002');
    expect(callCost(17, '0.0005', '0')).toBe('0.0001'); // 0.000141666...
    // 0.1 + 0.2 style sums stay exact: 0.1 fee + 60 s x 0.2 = 0.3000
    expect(callCost(60, '0.2', '0.1')).toBe('0.3000');
    // large values keep every digit: 3600 s x 12.34567891/min = 740.7407346 -> 740.7407
    expect(callCost(3600, '12.34567891', '0')).toBe('740.7407');
  });

  it('sums decimal strings exactly', () => {
    expect(sumDecimals(['0.1', '0.2', null, '0.0003'])).toBe('0.3003');
  });
});

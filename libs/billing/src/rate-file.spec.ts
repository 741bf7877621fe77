import { BillingInputError } from './billing.errors';
import { parseRateRow, rateHeader } from './rate-file';

const header = rateHeader([
  'Prefix',
  'description',
  'rate_per_minute',
  'connect_fee',
  'first_increment',
  'next_increment',
  'effective_from',
  'currency',
]);
const ctx = { timezone: 'Australia/Sydney', currency: null };
const row = (cells: string) => parseRateRow(cells.split(','), header, ctx);

describe('rate file', () => {
  it('needs the six columns in any order, names case-insensitive', () => {
    expect(() => rateHeader(['prefix', 'rate_per_minute'])).toThrow(BillingInputError);
    expect(() => rateHeader(['prefix', 'rate_per_minute'])).toThrow(
      "the rate file's header lacks description, connect_fee, first_increment, next_increment",
    );
    const h = rateHeader([
      'next_increment',
      'FIRST_INCREMENT',
      'connect_fee',
      'rate_per_minute',
      'description',
      'prefix',
    ]);
    expect(parseRateRow(['6', '30', '', '0.05', 'AU mobile', '+614'], h, ctx)).toEqual({
      prefix: '614',
      description: 'AU mobile',
      ratePerMinute: '0.05',
      connectFee: '0',
      firstIncrement: 30,
      nextIncrement: 6,
      effectiveFrom: null,
      currency: null,
    });
  });

  it('reads dates in the tenant zone and normalises numbers', () => {
    expect(row('61 2,Sydney,0.0100,0.050,60,60,2026-03-01,aud')).toEqual({
      prefix: '612',
      description: 'Sydney',
      ratePerMinute: '0.0100',
      connectFee: '0.050',
      firstIncrement: 60,
      nextIncrement: 60,
      effectiveFrom: new Date('2026-02-28T13:00:00Z'), // midnight in Sydney (AEDT, +11)
      currency: 'AUD',
    });
    expect((row('44,UK,0.02,0,1,1,2026-03-01T09:00:00Z,') as { effectiveFrom: Date }).effectiveFrom).toEqual(
      new Date('2026-03-01T09:00:00Z'),
    );
  });

  it('names every bad cell of a rejected row', () => {
    expect(row('44x,UK,-0.02,0,0,61,yesterday,pounds')).toBe(
      [
        'prefix: "44x" is not 1 to 15 digits',
        'rate_per_minute: "-0.02" is negative',
        'first_increment: 0 is not between 1 and 3600',
        'effective_from: "yesterday" is not a date and time',
        'currency: "pounds" is not a three-letter ISO 4217 code',
      ].join('; '),
    );
    expect(row('44,UK,,0,60,60,,')).toBe('rate_per_minute: empty');
    expect(row('44,UK,0.123456789,0,60,60,,')).toBe('rate_per_minute: "0.123456789" has more than 8 decimal places');
    expect(row('44,UK,1e-3,0,60,60,,')).toBe('rate_per_minute: "1e-3" is not a decimal number');
    expect(row('44,UK,0.1,0,60,x,,')).toBe('next_increment: "x" is not a whole number');
  });
});

import { normaliseNumber } from './phone-numbers';

describe('normaliseNumber (E.164 digits without +)', () => {
  it.each([
    // already international
    ['+61 2 9000 0000', 'AU', '61290000000'],
    ['+1 (415) 555-2671', 'AU', '14155552671'],
    ['sip:+442079460000@carrier.example', null, '442079460000'],
    ['tel:+61412345678', 'GB', '61412345678'],
    // national, in the tenant's country
    ['0290000000', 'AU', '61290000000'],
    ['(02) 9000 0000', 'AU', '61290000000'],
    ['0412345678', 'AU', '61412345678'],
    ['02079460000', 'GB', '442079460000'],
    ['4155552671', 'US', '14155552671'],
    // international dialling prefixes
    ['0011442079460000', 'AU', '442079460000'],
    ['00442079460000', 'GB', '442079460000'],
    ['011442079460000', 'US', '442079460000'],
    // country code without '+', as carrier files often write it
    ['61290000000', 'AU', '61290000000'],
    ['442079460000', 'AU', '442079460000'],
    ['14155552671', 'GB', '14155552671'],
    ['61290000000', null, '61290000000'],
  ])('%s (%s) -> %s', (raw, country, digits) => {
    expect(normaliseNumber(raw, country)).toBe(digits);
  });

  it.each([
    ['101', 'AU'],
    ['', 'AU'],
    ['   ', 'AU'],
    ['anonymous', 'AU'],
    [null, 'AU'],
    ['+12', 'AU'],
    ['0290000000', null], // a national number without a country cannot be placed
  ])('%s (%s) is not a public number', (raw, country) => {
    expect(normaliseNumber(raw, country)).toBeNull();
  });

  it('gives the same answer from its cache', () => {
    expect(normaliseNumber('0290000000', 'au')).toBe('61290000000');
    expect(normaliseNumber('0290000000', 'AU')).toBe('61290000000');
  });
});

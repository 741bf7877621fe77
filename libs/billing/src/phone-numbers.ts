import { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

// URI schemes and separators PBXs and carriers put around a number.
const URI = /^(?:sips?:|tel:)/i;
const FORMATTING = /[\s\-.()/]/g;
const INTERNATIONAL = /^\+(\d{7,15})$/;
const DIGITS = /^\d{1,20}$/;

const CACHE_LIMIT = 100_000;
const cache = new Map<string, string | null>();

/**
 * The E.164 digits (no '+') of a dialled or presented number, or null when it is not a public
 * phone number (an extension, "anonymous", an empty cell). National numbers are read in `country`
 * (ISO 3166 alpha-2, the tenant's default). Pure; results are memoised because CDRs repeat numbers.
 *
 * Rules, first match wins:
 * - `+` and 7–15 digits (after removing spaces, dashes, dots, brackets, a sip:/tel: scheme and
 *   an @host part): those digits.
 * - a number valid in `country` (national form, international dialling prefix such as 0011/00/011,
 *   or the country code without '+'): its E.164 form;
 * - at least 8 digits that are a valid number once '+' is put in front (international format
 *   without '+', as many carrier files write it): those digits;
 * - otherwise a number merely *possible* (right length) in `country`, then with '+' in front;
 * - otherwise null.
 */
export function normaliseNumber(raw: string | null | undefined, country: string | null | undefined): string | null {
  if (raw == null) return null;
  let text = raw.trim();
  if (text === '') return null;
  text = text.replace(URI, '');
  const at = text.indexOf('@');
  if (at >= 0) text = text.slice(0, at);
  text = text.replace(FORMATTING, '');
  if (text.startsWith('+')) {
    const m = INTERNATIONAL.exec(text);
    return m ? m[1] : null;
  }
  if (!DIGITS.test(text)) return null;
  const region = country && isSupportedCountry(country.toUpperCase()) ? (country.toUpperCase() as CountryCode) : null;
  const key = `${region ?? ''}|${text}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const value = resolve(text, region);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function resolve(digits: string, region: CountryCode | null): string | null {
  const national = region ? parsePhoneNumberFromString(digits, region) : undefined;
  if (national?.isValid()) return national.number.slice(1);
  const international = digits.length >= 8 ? parsePhoneNumberFromString(`+${digits}`) : undefined;
  if (international?.isValid()) return international.number.slice(1);
  if (national?.isPossible()) return national.number.slice(1);
  if (international?.isPossible()) return international.number.slice(1);
  return null;
}

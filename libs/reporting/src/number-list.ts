/**
 * Reads a comma-separated list of numbers as PostgreSQL prints them (`concat_ws(',', ...)` of
 * integers and float8s) into `out` from index `at` (at most `max` of them), an empty item as NaN
 * (a NULL), and returns how many it read.
 * Reports fetch each row's numbers as one such text: one string per row instead of one per value
 * is most of the cost of moving many rows from PostgreSQL into Node. Integers are read digit by
 * digit; anything else (a fraction, an exponent, Infinity, NaN) goes through Number().
 */
export function readNumberList(text: string, out: Float64Array, at = 0, max = out.length - at): number {
  if (!(at >= 0 && max >= 0 && at + max <= out.length))
    throw new RangeError(`${max} numbers from index ${at} do not fit an array of ${out.length}`);
  let count = 0;
  let value = 0;
  let negative = false;
  let empty = true;
  let plain = true;
  let start = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      empty = false;
    } else if (c === 44) {
      if (count >= max) throw new RangeError(`more than ${max} numbers in "${text.slice(0, 80)}"`);
      if (empty && plain && !negative) out[at + count++] = NaN;
      else if (plain && !empty && value <= Number.MAX_SAFE_INTEGER) out[at + count++] = negative ? -value : value;
      else out[at + count++] = strictNumber(text, start, i);
      value = 0;
      negative = false;
      empty = true;
      plain = true;
      start = i + 1;
    } else if (c === 45 && empty && !negative && plain) {
      negative = true;
    } else {
      plain = false;
    }
  }
  return count;
}

function strictNumber(text: string, start: number, end: number): number {
  const item = text.slice(start, end);
  const n = item === 'NaN' ? NaN : Number(item);
  if (Number.isNaN(n) && item !== 'NaN') throw new RangeError(`"${item}" is not a number`);
  return n;
}

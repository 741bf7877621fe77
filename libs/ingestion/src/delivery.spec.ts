import { MalformedDeliveryError, splitDelivery } from './delivery';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('splitDelivery', () => {
  it('keeps a single object as one event with the whole body as raw bytes', () => {
    const body = b('{ "event": "CALL_ANSWER", "a": 1, "a": 2.50 }\n');
    const [e, ...rest] = splitDelivery(body);
    expect(rest).toHaveLength(0);
    expect(e.value).toEqual({ event: 'CALL_ANSWER', a: 2.5 });
    expect(e.raw.equals(body)).toBe(true);
  });

  it('splits an array into elements with their exact bytes', () => {
    const body = b(' [ {"x":"a,]}\\"[{"} ,\n{"y":[1,{"z":"]"}], "n": 1.0e2}, "str", 12 ,null,[1,2] ] ');
    const events = splitDelivery(body);
    expect(events.map((e) => e.raw.toString())).toEqual([
      '{"x":"a,]}\\"[{"}',
      '{"y":[1,{"z":"]"}], "n": 1.0e2}',
      '"str"',
      '12',
      'null',
      '[1,2]',
    ]);
    expect(events.map((e) => e.value)).toEqual([
      { x: 'a,]}"[{' },
      { y: [1, { z: ']' }], n: 100 },
      'str',
      12,
      null,
      [1, 2],
    ]);
  });

  it('ends a string only at a quote after an even run of backslashes', () => {
    // JSON texts: "a\\" (one escaped backslash, then the closing quote), "\\\"]," (an escaped
    // backslash, an escaped quote, then ] and , inside the string), "\\\\" and an empty string.
    const elements = ['"a\\\\"', '{"k":"\\\\\\"],","l":1}', '["\\\\\\\\",""]', '""', '{"":"\\""}'];
    const body = b(`[${elements.join(' ,')}]`);
    const events = splitDelivery(body);
    expect(events.map((e) => e.raw.toString())).toEqual(elements);
    expect(events.map((e) => e.value)).toEqual(['a\\', { k: '\\"],', l: 1 }, ['\\\\', ''], '', { '': '"' }]);
  });

  it('gives each element its own bytes for random values full of escapes', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const CHARS = ['\\', '"', '[', ']', '{', '}', ',', ':', ' ', 'a', 'é', '\n', '\u0001'];
    const str = () => Array.from({ length: rand(6) }, () => CHARS[rand(CHARS.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = depth > 2 ? rand(3) : rand(5);
      if (kind === 0) return str();
      if (kind === 1) return rand(1000) - 500;
      if (kind === 2) return [null, true, false][rand(3)];
      if (kind === 3) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(4) }, () => [str(), value(depth + 1)]));
    };
    for (let round = 0; round < 300; round++) {
      const elements = Array.from({ length: 1 + rand(5) }, () => JSON.stringify(value(0), null, rand(2) ? 1 : undefined));
      const events = splitDelivery(b(`[ ${elements.join(' ,\n')} ]`));
      expect(events.map((e) => e.raw.toString())).toEqual(elements);
    }
  });

  it('handles multi-byte UTF-8 and a byte-order mark', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('[{"name":"Zoë 📞"},{"n":"日本"}]')]);
    const events = splitDelivery(body);
    expect(events.map((e) => e.raw.toString())).toEqual(['{"name":"Zoë 📞"}', '{"n":"日本"}']);
    expect(splitDelivery(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b('{"a":1}')]))[0].value).toEqual({ a: 1 });
  });

  it('accepts an empty array as no events', () => {
    expect(splitDelivery(b('[]'))).toEqual([]);
    expect(splitDelivery(b(' [ \n ] '))).toEqual([]);
  });

  it.each([
    ['', 'empty body'],
    ['not json', 'body is not valid JSON'],
    ['{"a":', 'body is not valid JSON'],
    ['"just a string"', 'body is JSON string: expected an object or array'],
    ['42', 'body is JSON number'],
    ['null', 'body is JSON null'],
    ['true', 'body is JSON boolean'],
  ])('rejects %j', (body, reason) => {
    expect(() => splitDelivery(b(body))).toThrow(MalformedDeliveryError);
    expect(() => splitDelivery(b(body))).toThrow(reason);
  });

  it('rejects a missing body', () => {
    expect(() => splitDelivery(undefined)).toThrow('empty body');
  });
});

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

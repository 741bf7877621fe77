import { BillingInputError } from './billing.errors';
import { CarrierMapping, carrierColumns, carrierMapping, parseCarrierRecord } from './carrier-file';

const read = (mapping: CarrierMapping, header: string[] | null, fields: string[]) =>
  parseCarrierRecord(fields, carrierColumns(mapping, header), mapping);

describe('carrier file mapping', () => {
  const defaults = carrierMapping();

  it('reads the default columns by name, in any order; call_id, from and cost may be absent', () => {
    const header = ['to', 'duration', 'start_time', 'from', 'call_id', 'cost'];
    expect(read(defaults, header, ['+61290000000', '65', '2026-03-02T09:00:05Z', '0280001000', 'abc', '0.12'])).toEqual(
      {
        callId: 'abc',
        startedAt: new Date('2026-03-02T09:00:05Z'),
        fromRaw: '0280001000',
        toRaw: '+61290000000',
        durationSeconds: 65,
        cost: '0.12',
      },
    );
    expect(read(defaults, ['start_time', 'to', 'duration'], ['1772442005', '0290000000', '1:05'])).toEqual({
      callId: null,
      startedAt: new Date('2026-03-02T09:00:05Z'),
      fromRaw: null,
      toRaw: '0290000000',
      durationSeconds: 65,
      cost: null,
    });
    expect(() => carrierColumns(defaults, ['start', 'to', 'duration'])).toThrow(
      "the carrier file's columns: no start_time column (name it start_time or map it)",
    );
  });

  it('maps other column names, formats, zones, units and separators', () => {
    const m = carrierMapping(
      JSON.stringify({
        call_id: 'CallID',
        start_time: 'Start',
        from: 'ANI',
        to: 'DNIS',
        duration: 'Billsec',
        cost: 'Charge',
        time_format: 'dd.MM.yyyy HH:mm:ss',
        timezone: 'Europe/Berlin',
        delimiter: ';',
        decimal_separator: ',',
        duration_unit: 'milliseconds',
      }),
    );
    expect(m.delimiter).toBe(';');
    const header = ['CallID', 'Start', 'ANI', 'DNIS', 'Billsec', 'Charge'];
    expect(read(m, header, ['x1', '02.03.2026 10:00:05', '', '00441', '64500', '0,1234'])).toMatchObject({
      startedAt: new Date('2026-03-02T09:00:05Z'), // 10:00:05 in Berlin (CET, +1)
      durationSeconds: 65, // 64.5 s, half up
      cost: '0.1234',
      fromRaw: null,
    });
    // DST in the mapping's zone: 31 March 2026 is CEST (+2)
    expect(read(m, header, ['x', '31.03.2026 10:00:00', '', '1', '1000', '0'])).toMatchObject({
      startedAt: new Date('2026-03-31T08:00:00Z'),
    });
  });

  it('reads files without a header by column index', () => {
    const m = carrierMapping(
      '{"header": false, "start_time": 0, "to": 1, "duration": 2, "call_id": null, "from": null, "cost": 3}',
    );
    expect(read(m, null, ['2026-03-02 09:00:05+00:00', '61290000000', '00:01:05', '-0.5'])).toEqual({
      callId: null,
      startedAt: new Date('2026-03-02T09:00:05Z'),
      fromRaw: null,
      toRaw: '61290000000',
      durationSeconds: 65,
      cost: '-0.5',
    });
  });

  it('rejects bad mappings with a clear message', () => {
    const bad = (json: string) => {
      try {
        carrierMapping(json);
      } catch (e) {
        expect(e).toBeInstanceOf(BillingInputError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{nope')).toBe('mapping is not valid JSON');
    expect(bad('{"start":"x"}')).toBe(
      'mapping: unknown key "start" (known: call_id, start_time, from, to, duration, cost, header, delimiter, time_format, timezone, duration_unit, decimal_separator)',
    );
    expect(bad('{"timezone":"Mars/Olympus"}')).toBe('mapping: timezone: expected an IANA time zone like Europe/London');
    expect(bad('{"to": null}')).toBe('mapping: to is required and cannot be null');
    expect(bad('{"header": false, "to": "DNIS"}')).toBe(
      'mapping: to must be a column index (0-based) when header is false',
    );
    expect(() => carrierColumns(carrierMapping('{"to":"DNIS"}'), ['start_time', 'to', 'duration'])).toThrow(
      'the carrier file\'s columns: column "DNIS" (to) is not in the header',
    );
  });

  it('names every problem of a bad record', () => {
    const header = ['call_id', 'start_time', 'from', 'to', 'duration', 'cost'];
    expect(read(defaults, header, ['', '01/03/2026 10:00', '', '', '-3', '1,5'])).toBe(
      [
        'start_time: "01/03/2026 10:00" is not an ISO 8601 time or Unix time; give the file\'s format as time_format (e.g. "dd/MM/yyyy HH:mm:ss")',
        'to: empty',
        'duration: "-3" is not a number of seconds or H:MM:SS',
        'cost: "1,5" is not a decimal number',
      ].join('; '),
    );
    expect(read(defaults, header, ['a', '1999-01-01T00:00:00Z', '', '1', '700000', ''])).toBe(
      'start_time: "1999-01-01T00:00:00Z" is not between 2000 and 2100; duration: 700000 is longer than a week',
    );
    expect(read(defaults, header, ['a', '2026-03-01T00:00:00Z'])).toBe(
      "the row has 2 fields, the file's columns need 6",
    );
  });
});

describe('carrier file times', () => {
  const header = ['start_time', 'to', 'duration'];
  const at = (value: string, mapping = carrierMapping()) => {
    const r = parseCarrierRecord([value, '1', '1'], carrierColumns(mapping, header), mapping);
    return typeof r === 'string' ? r : r.startedAt.toISOString();
  };
  it.each([
    ['2026-03-02T09:00:05Z', '2026-03-02T09:00:05.000Z'],
    ['2026-03-02 09:00:05z', '2026-03-02T09:00:05.000Z'],
    ['2026-03-02T20:00:05+11:00', '2026-03-02T09:00:05.000Z'],
    ['2026-03-02T09:00:05.123456-03:00', '2026-03-02T12:00:05.123Z'],
    ['2026-03-02T09:00Z', '2026-03-02T09:00:00.000Z'],
    ['2026-03-02T09:00:05+1100', '2026-03-01T22:00:05.000Z'],
    ['2026-03-02 09:00:05', '2026-03-02T09:00:05.000Z'], // no offset: the mapping's zone (UTC)
    ['2026-03-02', '2026-03-02T00:00:00.000Z'],
    ['1772442005', '2026-03-02T09:00:05.000Z'],
    ['1772442005500', '2026-03-02T09:00:05.500Z'],
  ])('%s is %s', (value, iso) => {
    expect(at(value)).toBe(iso);
  });
  it('reads zone-less times in the mapping’s zone, and refuses impossible dates', () => {
    expect(at('2026-07-01 10:00:00', carrierMapping('{"timezone":"Europe/London"}'))).toBe('2026-07-01T09:00:00.000Z');
    expect(at('2026-02-30T10:00:00Z')).toBe('start_time: "2026-02-30T10:00:00Z" is not a date and time');
  });
});

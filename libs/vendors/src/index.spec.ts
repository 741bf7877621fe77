import fc from 'fast-check';
import { getVendorAdapter, hashKey, UnknownVendorError, VENDOR_NAMES, type ParsedEvent } from './index';

const ctx = { timezone: 'Europe/London' };

/** Invariants every ParsedEvent must satisfy, whatever the input. */
function expectWellFormed(e: ParsedEvent): void {
  expect(typeof e.type).toBe('string');
  expect(e.type).toBe(e.type.trim());
  expect(e.type).not.toBe('');
  expect(e.recognized).toBe(e.problems.length === 0);
  expect(e.problems.every((p) => typeof p === 'string' && p.length > 0)).toBe(true);
  expect(e.dedupKey).toMatch(/^(id:.+|h:[0-9a-f]{64})$/);
  if (e.occurredAt !== null) expect(Number.isNaN(e.occurredAt.getTime())).toBe(false);
  for (const k of [e.callKey, e.sessionKey, e.extension, e.queue]) if (k !== null) expect(typeof k).toBe('string');
}

describe('getVendorAdapter', () => {
  it('returns the adapter for each vendor name, tolerating case and whitespace', () => {
    expect(VENDOR_NAMES).toEqual(['nexbro', 'portsip', 'voipcloud']);
    for (const name of VENDOR_NAMES) expect(getVendorAdapter(name).vendor).toBe(name);
    expect(getVendorAdapter(' PortSIP ').vendor).toBe('portsip');
  });

  it('throws UnknownVendorError for anything else', () => {
    expect(() => getVendorAdapter('3cx')).toThrow(UnknownVendorError);
    expect(() => getVendorAdapter('')).toThrow(/Unknown vendor ""/);
    try {
      getVendorAdapter('asterisk');
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownVendorError);
      expect((error as UnknownVendorError).vendor).toBe('asterisk');
      expect((error as Error).name).toBe('UnknownVendorError');
    }
  });
});

describe.each(VENDOR_NAMES)('%s adapter contract', (vendor) => {
  const adapter = getVendorAdapter(vendor);

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'CALL_ANSWER'],
    ['a number', 42],
    ['a boolean', true],
    ['an array of events', [{ event: 'CALL_ANSWER', event_type: 'call_cdr', type: 'user_inbound' }]],
    ['an empty array', []],
  ])('flags %s as a non-object payload', (_label, payload) => {
    const e = adapter.parse(payload, ctx);
    expectWellFormed(e);
    expect(e).toMatchObject({ type: 'unknown', recognized: false, occurredAt: null, callKey: null });
    expect(e.problems.join()).toMatch(/array|not a JSON object/);
    expect(e.dedupKey).toBe(hashKey(payload === undefined ? null : payload));
  });

  it.each([
    ['an empty object', {}],
    ['a null type', { event: null, event_type: null, type: null }],
    ['a numeric type', { event: 5, event_type: 5, type: 5 }],
    ['an object type', { event: {}, event_type: {}, type: {} }],
    ['a blank type', { event: '  ', event_type: '  ', type: '  ' }],
  ])('flags %s as type "unknown"', (_label, payload) => {
    const e = adapter.parse(payload, ctx);
    expectWellFormed(e);
    expect(e).toMatchObject({ type: 'unknown', recognized: false });
    expect(e.problems).toHaveLength(1);
  });

  it('reports an unknown type string trimmed, as sent', () => {
    const e = adapter.parse({ event: ' Mystery_Event ', event_type: ' Mystery_Event ', type: ' Mystery_Event ' }, ctx);
    expect(e).toMatchObject({ type: 'Mystery_Event', recognized: false });
    expect(e.problems[0]).toMatch(/unknown event type "Mystery_Event"/);
  });

  it('property: never throws and always returns a well-formed event', () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true }), (payload) => {
        expectWellFormed(adapter.parse(payload, ctx));
      }),
      { numRuns: 300 },
    );
  });

  it('property: known types with random field values never throw', () => {
    const types = [
      'CALL_ANSWER',
      'EXTENSION_REGISTER_SUCCESS',
      'call_cdr',
      'extension_status',
      'queue_agent_status',
      'user_inbound_completed',
      'queue_call',
    ];
    const fields = [
      'call_uuid',
      'timestamp',
      'extension',
      'session_id',
      'start_time',
      'ended_time',
      'status',
      'call_targets',
      'updated_agents',
      'unique_call_id',
      'call_start_at',
      'call_duration',
      'time',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.dictionary(fc.constantFrom(...fields), fc.jsonValue()),
        fc.constantFrom('UTC', 'America/New_York', 'Not/AZone', ''),
        (type, body, timezone) => {
          const e = adapter.parse({ ...body, event: type, event_type: type, type }, { timezone });
          expectWellFormed(e);
        },
      ),
      { numRuns: 500 },
    );
  });
});

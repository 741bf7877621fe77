import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getVendorAdapter } from '@app/vendors';
import type { AgentEvent } from './agent-segments.reducer';
import { directoryExtensions, foldExtension } from './extension-directory.reducer';

type Json = Record<string, unknown>;
type Vendor = AgentEvent['vendor'];

const VENDORS_DIR = join(__dirname, '..', '..', '..', 'vendors');
const fixture = (vendor: Vendor, name: string): Json =>
  JSON.parse(readFileSync(join(VENDORS_DIR, vendor, '__fixtures__', `${name}.json`), 'utf8')) as Json;

function stored(vendor: Vendor, timezone: string, payload: Json, position: number, receivedAt?: string): AgentEvent {
  const parsed = getVendorAdapter(vendor).parse(payload, { timezone });
  return {
    position: String(position),
    vendor,
    type: parsed.type,
    occurredAt: parsed.occurredAt,
    receivedAt: receivedAt === undefined ? new Date(Date.UTC(2030, 0, 1) + position * 1000) : new Date(receivedAt),
    payload,
  };
}

describe('Nexbro registrations', () => {
  const nx = (name: string, changes: Json, position: number) =>
    stored('nexbro', 'Asia/Kolkata', { ...fixture('nexbro', name), ...changes }, position);

  it('the register example gives the directory row', () => {
    expect(foldExtension('234', [nx('extension_register_success', {}, 1)])).toEqual({
      number: '234',
      name: 'Rupinder Singh',
      online: true,
      presence: null,
      callStatus: null,
      lastSeenAt: new Date('2026-01-27T06:32:30.000Z'), // 12:02:30 IST
      userAgent: 'Zoiper 5.6.9 v2.10.20.8',
      ip: '10.1.1.71',
      removed: false,
    });
  });

  it('the latest registration wins whatever the arrival order; failures change nothing', () => {
    const events = [
      nx('extension_register_success', { timestamp: '2026-01-27 09:00:00', ip: '10.1.1.10' }, 1),
      nx('extension_unregister', { timestamp: '2026-01-27 18:00:00', ip: '10.1.1.20', user_agent: 'Yealink T54W' }, 2),
      nx(
        'extension_register_failure',
        { timestamp: '2026-01-27 19:00:00', ip: '203.0.113.9', user_agent: 'sipvicious' },
        3,
      ),
    ];
    const expected = {
      number: '234',
      name: 'Rupinder Singh',
      online: false,
      presence: null,
      callStatus: null,
      lastSeenAt: new Date('2026-01-27T12:30:00.000Z'), // 18:00 IST, the unregister
      userAgent: 'Yealink T54W',
      ip: '10.1.1.20',
      removed: false,
    };
    expect(foldExtension('234', events)).toEqual(expected);
    expect(foldExtension('234', [...events].reverse())).toEqual(expected);
    expect(foldExtension('999', events)).toBeNull();
    expect(foldExtension('234', [events[2]])).toBeNull();
  });
});

describe('PortSIP status and management', () => {
  const ps = (payload: Json, position: number, receivedAt?: string) =>
    stored('portsip', 'UTC', payload, position, receivedAt);

  it('reads the status example per entry; an older presence push does not override it', () => {
    const events = [
      ps(fixture('portsip', 'extension_status'), 1), // 2024-01-02T09:13:00Z
      ps(fixture('portsip', 'extension_presence'), 2), // AVAILABLE, but 2023-12-27
      ps(fixture('portsip', 'extension_call'), 3), // ON_CALL, 2023-12-27
    ];
    expect(foldExtension('101', events)).toEqual({
      number: '101',
      name: null,
      online: false,
      presence: 'AWAY',
      callStatus: 'ON_CALL', // "ON_ACLL"
      lastSeenAt: new Date('2024-01-02T09:13:00.000Z'),
      userAgent: null,
      ip: null,
      removed: false,
    });
    expect(foldExtension('102', events)).toMatchObject({ presence: 'ONLINE', callStatus: 'ON_CALL', online: false });
  });

  it('newer pushes win field by field; an empty call status is IDLE', () => {
    const status = (online: boolean, time: number): Json => ({
      event_type: 'extension_status',
      status: [{ extension: 'sip:1001@test.io', online, presence: 'ONLINE', call_status: '', time: String(time) }],
    });
    const events = [
      ps(fixture('portsip', 'extension_created'), 1, '2026-03-02T08:00:00Z'),
      ps(status(true, 1_772_442_000), 2), // 09:00
      ps({ event_type: 'extension_presence', extension: 'sip:1001@test.io', presence: 'LUNCH', time: '1772452800' }, 3),
      ps(
        { event_type: 'extension_call', extension: 'sip:1001@test.io', call_status: 'RINGING', time: '1772445600' },
        4,
      ),
      ps(
        { ...fixture('portsip', 'extension_created'), event_type: 'extension_updated', disp_name: 'J. Wek' },
        5,
        '2026-03-02T11:00:00Z',
      ),
    ];
    const expected = {
      number: '1001',
      name: 'J. Wek',
      online: true,
      presence: 'LUNCH', // 12:00 beats the 09:00 status entry
      callStatus: 'RINGING', // 10:00 beats the 09:00 empty call status
      lastSeenAt: new Date('2026-03-02T12:00:00.000Z'),
      userAgent: null,
      ip: null,
      removed: false,
    };
    expect(foldExtension('1001', events)).toEqual(expected);
    const idle = [...events, ps(status(true, 1_772_456_400), 6)]; // 13:00, call_status ""
    expect(foldExtension('1001', idle)).toMatchObject({ callStatus: 'IDLE', presence: 'ONLINE' });
  });

  it('destroyed marks the extension removed until it is created again', () => {
    const created = ps(fixture('portsip', 'extension_created'), 1, '2026-03-02T08:00:00Z');
    const destroyed = ps({ event_type: 'extension_destroyed', extension_number: '1001' }, 2, '2026-03-02T09:00:00Z');
    const recreated = ps(
      { ...fixture('portsip', 'extension_created'), disp_name: 'New Owner' },
      3,
      '2026-03-02T10:00:00Z',
    );
    expect(foldExtension('1001', [created, destroyed])).toMatchObject({
      removed: true,
      name: 'Jason Wek',
      lastSeenAt: null,
    });
    expect(foldExtension('1001', [recreated, destroyed, created])).toMatchObject({ removed: false, name: 'New Owner' });
  });

  it('same instant: the higher position wins ("10" after "9")', () => {
    const p = (presence: string): Json => ({ ...fixture('portsip', 'extension_presence'), presence });
    expect(foldExtension('101', [ps(p('LUNCH'), 10), ps(p('AWAY'), 9)])?.presence).toBe('LUNCH');
  });

  it('directoryExtensions routes each event to the numbers it speaks of', () => {
    expect(directoryExtensions(ps(fixture('portsip', 'extension_status'), 1))).toEqual(['101', '102']);
    expect(directoryExtensions(ps(fixture('portsip', 'extension_created'), 1))).toEqual(['1001']);
    expect(directoryExtensions(ps(fixture('portsip', 'extension_agent_status'), 1))).toEqual(['102']);
    expect(directoryExtensions(ps(fixture('portsip', 'call_cdr'), 1))).toEqual([]);
    expect(directoryExtensions(stored('nexbro', 'UTC', fixture('nexbro', 'extension_unregister'), 1))).toEqual(['234']);
    expect(directoryExtensions(stored('nexbro', 'UTC', fixture('nexbro', 'extension_register_failure'), 1))).toEqual(
      [],
    );
  });
});

describe('properties', () => {
  it('any order with duplicates gives the same row', () => {
    const status = (i: number, s: { online: boolean; presence: string; call: string; time: number }): AgentEvent =>
      stored(
        'portsip',
        'UTC',
        {
          event_type: 'extension_status',
          status: [
            {
              extension: 'sip:101@x',
              online: s.online,
              presence: s.presence,
              call_status: s.call,
              time: String(s.time),
            },
          ],
        },
        i,
      );
    const eventArb = fc.record({
      online: fc.boolean(),
      presence: fc.constantFrom('ONLINE', 'AWAY', 'LUNCH'),
      call: fc.constantFrom('', 'ON_CALL', 'RINGING'),
      time: fc.integer({ min: 1_772_442_000, max: 1_772_442_010 }), // many same-second ties
    });
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat()), (specs, dups) => {
        const events = specs.map((s, i) => status(i + 1, s));
        const shuffled = [...events].reverse().concat(dups.map((d) => events[d % events.length]));
        expect(foldExtension('101', shuffled)).toEqual(foldExtension('101', events));
      }),
    );
  });
});

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parsePortsip,
  partyNumber,
  PORTSIP_EVENT_TYPES,
  portsipAdapter,
  portsipAgentState,
  portsipCallFacts,
  portsipCallStatus,
  portsipDid,
  portsipDirection,
  portsipEndReason,
  portsipIsQueueTarget,
  portsipLegFacts,
  portsipOutcome,
  portsipPresence,
  portsipQueueCallerReason,
  portsipSeconds,
  portsipTargetId,
} from './index';

type Json = Record<string, unknown>;
const dir = join(__dirname, '__fixtures__');
const fixture = (name: string): Json => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Json;
// PortSIP times are absolute (Unix seconds); the zone must not matter.
const ctx = { timezone: 'Pacific/Auckland' };

const Q_ID = '677046776364007424';

describe('PortSIP documented examples', () => {
  it.each([
    ['call_cdr', 'call_cdr', '2024-09-09T01:34:29.000Z', '885337248273272832', null, null],
    ['call_start', 'call_start', '2024-01-12T09:23:42.000Z', '798119942409949184', null, null],
    ['extension_created', 'extension_created', null, null, '1001', null],
    ['extension_status', 'extension_status', '2024-01-02T09:13:00.000Z', null, null, null], // two extensions
    ['extension_call', 'extension_call', '2023-12-27T15:17:56.000Z', null, '101', null],
    ['extension_presence', 'extension_presence', '2023-12-27T15:22:27.000Z', null, '101', null],
    ['extension_agent_status', 'extension_agent_status', '2024-02-04T06:28:36.000Z', null, '102', '8002'],
    ['queue_created', 'queue_created', null, null, null, '8800'],
    ['queue_status', 'queue_status', null, null, null, '8001'],
    ['queue_caller_status', 'queue_caller_status', '2023-02-12T12:50:49.000Z', '6763987198342', null, Q_ID],
    ['queue_agent_status', 'queue_agent_status', '2023-02-12T12:50:49.000Z', '677046776364007', null, Q_ID],
    ['queue_sla_breached', 'queue_sla_breached', '2023-02-12T12:50:49.000Z', null, null, Q_ID],
  ])('%s', (file, type, occurredAt, callKey, extension, queue) => {
    const payload = fixture(file);
    const e = portsipAdapter.parse(payload, ctx);
    expect(e).toEqual({
      type,
      recognized: true,
      problems: [],
      occurredAt: occurredAt === null ? null : new Date(occurredAt),
      dedupKey: expect.stringMatching(/^h:[0-9a-f]{64}$/),
      callKey,
      sessionKey: callKey,
      extension,
      queue,
    });
    expect(e.occurredAt?.toISOString() ?? null).toBe(occurredAt);
    // Same key for the same event from any zone, and for a re-serialised retry.
    expect(parsePortsip(payload, { timezone: 'UTC' }).dedupKey).toBe(e.dedupKey);
    const retried = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(payload).reverse()), null, 1));
    expect(parsePortsip(retried, ctx).dedupKey).toBe(e.dedupKey);
  });

  it.each([['wsi_auth_ok'], ['wsi_auth_error']])('%s (a WSI reply, not an event) is stored as unknown', (file) => {
    const e = parsePortsip(fixture(file), ctx);
    expect(e).toMatchObject({ type: 'unknown', recognized: false, problems: ['missing "event_type"'] });
  });

  it('the documented queue_status example really is invalid JSON (hence the fixed fixture)', () => {
    const original = readFileSync(join(dir, 'queue_status.original.txt'), 'utf8');
    expect(() => JSON.parse(original)).toThrow(SyntaxError);
    const fixed = fixture('queue_status');
    expect((fixed['waiting_list'] as unknown[]).length).toBe(1);
    expect((fixed['agents'] as unknown[]).length).toBe(1);
  });

  it('reads the duplicated-key extension_created example like JSON.parse does', () => {
    expect(fixture('extension_created')['username']).toBe('testuser1');
  });

  it('all documented examples get distinct dedup keys', () => {
    const files = [
      'call_cdr',
      'call_start',
      'extension_created',
      'extension_status',
      'extension_call',
      'extension_presence',
      'extension_agent_status',
      'queue_created',
      'queue_status',
      'queue_caller_status',
      'queue_agent_status',
      'queue_sla_breached',
    ];
    expect(new Set(files.map((f) => parsePortsip(fixture(f), ctx).dedupKey)).size).toBe(files.length);
  });

  it('knows all 23 documented types', () => {
    expect(PORTSIP_EVENT_TYPES).toHaveLength(23);
  });
});

/** A cdr_target_* event built from the third call_targets[] entry of the call_cdr example. */
function targetEvent(eventType: string, changes: Json = {}): Json {
  const cdr = fixture('call_cdr');
  const target = (cdr['call_targets'] as Json[])[2];
  return { event_type: eventType, session_id: cdr['session_id'], tenant_id: cdr['tenant_id'], ...target, ...changes };
}

describe('PortSIP CDR stream types without a documented example', () => {
  it.each([
    ['cdr_target_add', '2024-09-09T01:34:16.000Z'], // start_time
    ['cdr_target_ringing', '2024-09-09T01:34:16.000Z'], // ring_time
    ['cdr_target_answer', '2024-09-09T01:34:22.000Z'], // answered_time
    ['cdr_target_noanswer', '2024-09-09T01:34:29.000Z'], // ended_time
    ['cdr_target_fail', '2024-09-09T01:34:29.000Z'],
    ['cdr_target_end', '2024-09-09T01:34:29.000Z'],
  ])('%s uses its own time field and names the target extension', (type, at) => {
    const e = parsePortsip(targetEvent(type), ctx);
    expect(e).toMatchObject({ type, recognized: true, callKey: '885337248273272832', extension: '102', queue: null });
    expect(e.occurredAt?.toISOString()).toBe(at);
  });

  it('a target that did not ring/answer falls back to its start time', () => {
    const e = parsePortsip(targetEvent('cdr_target_answer', { answered_time: '0' }), ctx);
    expect(e.occurredAt?.toISOString()).toBe('2024-09-09T01:34:16.000Z');
  });

  it('a queue target names the queue, not an extension', () => {
    const e = parsePortsip(
      targetEvent('cdr_target_ringing', { call_type: 'queue_call', callee: '8000', destination: 'sip:8000@10.0.0.1' }),
      ctx,
    );
    expect(e).toMatchObject({ extension: null, queue: '8000' });
  });

  it('a target to an external number names no extension', () => {
    const e = parsePortsip(
      targetEvent('cdr_target_ringing', { callee: '0061290000000', destination: 'sip:0061290000000@carrier' }),
      ctx,
    );
    expect(e.extension).toBeNull();
  });

  it('call_update_info uses `time`, else the call start', () => {
    const start = fixture('call_start');
    const withTime = parsePortsip({ ...start, event_type: 'call_update_info', time: '1705051430' }, ctx);
    expect(withTime).toMatchObject({ type: 'call_update_info', recognized: true, callKey: '798119942409949184' });
    expect(withTime.occurredAt?.toISOString()).toBe('2024-01-12T09:23:50.000Z');
    const { time: _time, ...noTime } = start;
    const fallback = parsePortsip({ ...noTime, event_type: 'call_update_info', start_time: '1705051422' }, ctx);
    expect(fallback.occurredAt?.toISOString()).toBe('2024-01-12T09:23:42.000Z');
  });

  it('call_start prefers start_time over time', () => {
    const e = parsePortsip({ ...fixture('call_start'), start_time: '1705051400' }, ctx);
    expect(e.occurredAt?.toISOString()).toBe('2024-01-12T09:23:20.000Z');
  });
});

describe('PortSIP spelling variants', () => {
  it('accepts end_reason/ended_reason, did/did_cid, talk_duration number/string, status_code number/string', () => {
    const cdr = fixture('call_cdr');
    const { ended_reason: reason, did, ...rest } = cdr;
    const variant = { ...rest, end_reason: reason, did_cid: did, talk_duration: '21', status_code: 0 };
    const e = parsePortsip(variant, ctx);
    expect(e).toMatchObject({ recognized: true, callKey: '885337248273272832' });
    expect(portsipEndReason(variant)).toBe('callee_disconnect');
    expect(portsipDid(variant)).toBe('18800606');
    expect(portsipSeconds(variant['talk_duration'])).toBe(21);
    expect(portsipSeconds(cdr['talk_duration'])).toBe(21);
  });

  it('accepts targets identified by cdr_id instead of id, with string status codes', () => {
    const cdr = fixture('call_cdr');
    const targets = (cdr['call_targets'] as Json[]).map(({ id, ...t }) => ({ ...t, cdr_id: id, status_code: '0' }));
    expect(parsePortsip({ ...cdr, call_targets: targets }, ctx).recognized).toBe(true);
    expect(targets.map(portsipTargetId)).toEqual(['883611252155219968', '883611252155219968', '883611252155219968']);
  });

  it.each([['ext'], ['internal'], ['in'], ['inbound'], ['in2out'], ['inbound_outbound'], ['out'], ['outbound']])(
    'accepts direction %p',
    (direction) => {
      expect(parsePortsip({ ...fixture('call_cdr'), direction }, ctx).recognized).toBe(true);
    },
  );

  it('accepts parties as SIP URIs or plain numbers', () => {
    const e = parsePortsip({ ...fixture('call_cdr'), caller: 'sip:1888722@192.168.1.93', callee: 5000 }, ctx);
    expect(e.recognized).toBe(true);
  });

  it('matches types case-insensitively, trimmed, and folds queue_destroyed into queue_destroy', () => {
    expect(parsePortsip({ ...fixture('call_cdr'), event_type: ' CALL_CDR ' }, ctx)).toMatchObject({
      type: 'call_cdr',
      recognized: true,
    });
    const destroyed = parsePortsip({ ...fixture('queue_created'), event_type: 'Queue_Destroyed' }, ctx);
    expect(destroyed).toMatchObject({ type: 'queue_destroy', recognized: true, queue: '8800' });
    const updated = parsePortsip({ ...fixture('extension_created'), event_type: 'extension_updated' }, ctx);
    expect(updated).toMatchObject({ type: 'extension_updated', recognized: true, extension: '1001' });
  });

  it('extension_destroyed may carry only the extension id', () => {
    const e = parsePortsip({ event_type: 'extension_destroyed', extension_id: '823634238409396', tenant_id: '1' }, ctx);
    expect(e).toMatchObject({ recognized: true, extension: null, occurredAt: null });
  });

  it('extension_status with one entry names that extension; online may be a string boolean', () => {
    const p = fixture('extension_status');
    const [first] = p['status'] as Json[];
    const e = parsePortsip({ ...p, status: [{ ...first, online: 'true', time: '1704186790' }] }, ctx);
    expect(e).toMatchObject({ recognized: true, extension: '101' });
    expect(e.occurredAt?.toISOString()).toBe('2024-01-02T09:13:10.000Z');
  });

  it('extension_status takes the newest entry time as occurred time', () => {
    const p = fixture('extension_status');
    const [a, b] = p['status'] as Json[];
    const e = parsePortsip(
      {
        ...p,
        status: [
          { ...a, time: '1704186700' },
          { ...b, time: '1704186790' },
        ],
      },
      ctx,
    );
    expect(e.occurredAt?.toISOString()).toBe('2024-01-02T09:13:10.000Z');
  });

  it('queue_agent_status with only removed agents has no time but names the agent', () => {
    const { updated_agents: _u, ...p } = fixture('queue_agent_status');
    const e = parsePortsip(p, ctx);
    expect(e).toMatchObject({ recognized: true, occurredAt: null, extension: '102', callKey: null, queue: Q_ID });
  });

  it('queue_caller_status with callers of different calls has no single call key', () => {
    const p = fixture('queue_caller_status');
    const [c] = p['updated_callers'] as Json[];
    const e = parsePortsip({ ...p, updated_callers: [c, { ...c, session_id: '999', timestamp: '1676206260' }] }, ctx);
    expect(e).toMatchObject({ recognized: true, callKey: null, sessionKey: null });
    expect(e.occurredAt?.toISOString()).toBe('2023-02-12T12:51:00.000Z');
  });

  it('uses the vendor event id for dedup when present (event_id first, then uuid)', () => {
    const cdr = fixture('call_cdr');
    expect(parsePortsip({ ...cdr, uuid: 'b7e4-1' }, ctx).dedupKey).toBe('id:b7e4-1');
    expect(parsePortsip({ ...cdr, uuid: 'b7e4-1', event_id: 'ev-9' }, ctx).dedupKey).toBe('id:ev-9');
    expect(parsePortsip({ ...cdr, event_id: 12345 }, ctx).dedupKey).toBe('id:12345');
    expect(parsePortsip({ ...cdr, uuid: '' }, ctx).dedupKey).toMatch(/^h:/);
    // A retry whose content changed but carries the same id collapses; that is the id's promise.
    expect(parsePortsip({ ...cdr, uuid: 'x', talk_duration: 22 }, ctx).dedupKey).toBe('id:x');
  });
});

describe('PortSIP occurred-time rules', () => {
  it('call_cdr falls back to start_time when ended_time is "0" or absent', () => {
    expect(parsePortsip({ ...fixture('call_cdr'), ended_time: '0' }, ctx).occurredAt?.toISOString()).toBe(
      '2024-09-09T01:34:08.000Z',
    );
    const { ended_time: _e, ...noEnd } = fixture('call_cdr');
    expect(parsePortsip(noEnd, ctx).occurredAt?.toISOString()).toBe('2024-09-09T01:34:08.000Z');
  });

  it('an event with no time at all is still recognized, with occurredAt null', () => {
    const cdr = fixture('call_cdr');
    for (const k of ['start_time', 'ring_time', 'answered_time', 'ended_time']) delete cdr[k];
    expect(parsePortsip(cdr, ctx)).toMatchObject({ recognized: true, occurredAt: null });
    const { time: _t, ...call } = fixture('extension_call');
    expect(parsePortsip(call, ctx)).toMatchObject({ recognized: true, occurredAt: null, extension: '101' });
  });

  it('"did not happen" zeros are not problems', () => {
    const e = parsePortsip(
      { ...fixture('call_cdr'), answered_time: '0', ring_time: 0, call_status: 'noanswer', talk_duration: 0 },
      ctx,
    );
    expect(e.recognized).toBe(true);
  });

  it('two different events in the same second get different keys; a retry gets the same', () => {
    const ringing = { ...fixture('extension_call'), call_status: 'RINGING' };
    const onCall = fixture('extension_call');
    const a = parsePortsip(ringing, ctx);
    const b = parsePortsip(onCall, ctx);
    expect(a.occurredAt).toEqual(b.occurredAt);
    expect(a.dedupKey).not.toBe(b.dedupKey);
    expect(parsePortsip(JSON.parse(JSON.stringify(ringing, null, 2)), ctx).dedupKey).toBe(a.dedupKey);
    const start = fixture('call_start');
    expect(parsePortsip(start, ctx).dedupKey).not.toBe(
      parsePortsip({ ...start, event_type: 'call_update_info' }, ctx).dedupKey,
    );
  });
});

describe('broken PortSIP payloads are stored flagged, never thrown', () => {
  const cdr = (): Json => fixture('call_cdr');
  const targets = (): Json[] => cdr()['call_targets'] as Json[];
  const without = (p: Json, key: string): Json => {
    const copy = { ...p };
    delete copy[key];
    return copy;
  };

  it.each([
    ['call_cdr without event_type', without(cdr(), 'event_type'), /missing "event_type"/],
    ['event_type as array', { ...cdr(), event_type: ['call_cdr'] }, /"event_type" is not a string/],
    ['call_cdr without session_id', without(cdr(), 'session_id'), /"session_id" is missing/],
    ['session_id as object', { ...cdr(), session_id: { id: 1 } }, /"session_id" must be a string/],
    ['garbage ended_time', { ...cdr(), ended_time: 'yesterday' }, /"ended_time" not Unix seconds/],
    ['negative start_time', { ...cdr(), start_time: '-100' }, /"start_time" not Unix seconds/],
    ['milliseconds as seconds', { ...cdr(), ended_time: '1725845669000' }, /"ended_time" Unix seconds out of range/],
    ['ISO ended_time', { ...cdr(), ended_time: '2024-09-09T01:34:29Z' }, /"ended_time" not Unix seconds/],
    ['talk_duration text', { ...cdr(), talk_duration: 'twenty' }, /"talk_duration" must be a non-negative number/],
    ['talk_duration negative', { ...cdr(), talk_duration: -3 }, /"talk_duration" must be a non-negative number/],
    ['status_code text', { ...cdr(), status_code: 'OK' }, /"status_code" must be a number/],
    ['direction as number', { ...cdr(), direction: 1 }, /"direction" must be a string/],
    ['call_targets as object', { ...cdr(), call_targets: {} }, /"call_targets" must be an array/],
    [
      'a target that is a string',
      { ...cdr(), call_targets: [...targets(), 'x'] },
      /"call_targets\[3\]" must be an object/,
    ],
    [
      'a target with a garbage time',
      { ...cdr(), call_targets: [{ ...targets()[0], ended_time: 'soon' }] },
      /"call_targets\[0\]\.ended_time" not Unix seconds/,
    ],
    [
      'a target with text talk_duration',
      { ...cdr(), call_targets: [{ ...targets()[0], talk_duration: 'x' }] },
      /"call_targets\[0\]\.talk_duration"/,
    ],
    ['call_start with garbage time', { ...fixture('call_start'), time: 'now' }, /"time" not Unix seconds/],
    [
      'target event without session_id',
      without(targetEvent('cdr_target_ringing'), 'session_id'),
      /"session_id" is missing/,
    ],
    [
      'extension_created without number or id',
      { event_type: 'extension_created', tenant_id: '1' },
      /neither "extension_number" nor "extension_id"/,
    ],
    [
      'extension_created enabled as text',
      { ...fixture('extension_created'), enabled: 'maybe' },
      /"enabled" must be a boolean/,
    ],
    ['extension_status without status', without(fixture('extension_status'), 'status'), /"status" is missing/],
    ['extension_status status as object', { ...fixture('extension_status'), status: {} }, /"status" must be an array/],
    [
      'extension_status entry without extension',
      { ...fixture('extension_status'), status: [{ online: true, time: '1704186780' }] },
      /"status\[0\]\.extension" is missing/,
    ],
    [
      'extension_status online garbage',
      { ...fixture('extension_status'), status: [{ extension: 'sip:1@x', online: 'maybe' }] },
      /"status\[0\]\.online" must be a boolean/,
    ],
    ['extension_call without extension', without(fixture('extension_call'), 'extension'), /"extension" is missing/],
    ['extension_call with garbage time', { ...fixture('extension_call'), time: 'x' }, /"time" not Unix seconds/],
    [
      'extension_presence without presence',
      without(fixture('extension_presence'), 'presence'),
      /"presence" is missing/,
    ],
    [
      'extension_agent_status agent_status as text',
      { ...fixture('extension_agent_status'), agent_status: 'READY' },
      /"agent_status" must be an array/,
    ],
    [
      'extension_agent_status entry without queue',
      { ...fixture('extension_agent_status'), agent_status: [{ status: 'READY' }] },
      /"agent_status\[0\]\.queue_number" is missing/,
    ],
    ['queue_created without queue', { event_type: 'queue_created' }, /neither "queue_number" nor "queue_id"/],
    [
      'queue_status waiting_list as object',
      { ...fixture('queue_status'), waiting_list: {} },
      /"waiting_list" must be an array/,
    ],
    [
      'queue_caller_status without queue_id',
      without(fixture('queue_caller_status'), 'queue_id'),
      /"queue_id" is missing/,
    ],
    [
      'queue_caller_status without callers',
      without(fixture('queue_caller_status'), 'updated_callers'),
      /"updated_callers" is missing/,
    ],
    [
      'queue_caller_status caller without reason',
      { ...fixture('queue_caller_status'), updated_callers: [{ session_id: '1', timestamp: '1676206249' }] },
      /"updated_callers\[0\]\.reason" is missing/,
    ],
    [
      'queue_caller_status garbage timestamp',
      { ...fixture('queue_caller_status'), updated_callers: [{ session_id: '1', reason: 'hangup', timestamp: 'x' }] },
      /"updated_callers\[0\]\.timestamp"/,
    ],
    [
      'queue_agent_status with no agents',
      { event_type: 'queue_agent_status', queue_id: '1' },
      /neither "updated_agents" nor "removed_agents"/,
    ],
    [
      'queue_agent_status agent without number',
      { ...fixture('queue_agent_status'), removed_agents: [{}] },
      /"removed_agents\[0\]\.agent_extension_number" is missing/,
    ],
    [
      'queue_sla_breached with text counts',
      { ...fixture('queue_sla_breached'), waiting_callers: 'many' },
      /"waiting_callers" must be a number/,
    ],
    [
      'queue_sla_breached garbage timestamp',
      { ...fixture('queue_sla_breached'), timestamp: '12:00' },
      /"timestamp" not Unix seconds/,
    ],
    ['tenant_id as object', { ...fixture('queue_created'), tenant_id: {} }, /"tenant_id" must be a string/],
  ])('%s', (_label, payload, problem) => {
    const e = parsePortsip(payload, ctx);
    expect(e.recognized).toBe(false);
    expect(e.problems.join('; ')).toMatch(problem);
  });

  it('keeps the correlation key of a CDR whose times are garbage', () => {
    const e = parsePortsip({ ...cdr(), ended_time: 'x', start_time: 'y' }, ctx);
    expect(e).toMatchObject({ recognized: false, callKey: '885337248273272832', occurredAt: null });
  });
});

describe('PortSIP normalise helpers', () => {
  it('partyNumber takes the user part of SIP URIs and keeps plain numbers', () => {
    expect(
      [
        'sip:102@test.io',
        '102',
        102,
        'sip:5000@192.168.1.93:8922',
        'sips:101@test.io;transport=tls',
        '"Tom" <sip:101@test.io>',
        'tel:+61290000000;phone-context=x',
        '101@test.io',
        'sip:%2B61290000000@carrier',
        '',
        null,
        {},
      ].map(partyNumber),
    ).toEqual(['102', '102', '102', '5000', '101', '101', '+61290000000', '101', '+61290000000', null, null, null]);
  });

  it('partyNumber keeps plain numbers as sent, as the URI path would', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?\d{1,15}$/), (n) => {
        expect(partyNumber(n)).toBe(n);
        expect(partyNumber(`sip:${n}@pbx`)).toBe(n);
        expect(partyNumber(` <sip:${n}@pbx;transport=udp> `)).toBe(n);
      }),
    );
    expect([' 102', '102 ', '１０２', '10 2'].map(partyNumber)).toEqual(['102', '102', '１０２', '10 2']);
  });

  it('portsipDirection maps both spelling families', () => {
    expect(
      ['ext', 'internal', 'in', 'inbound', 'out', 'outbound', 'in2out', 'inbound_outbound', ' IN ', 'x', null].map(
        portsipDirection,
      ),
    ).toEqual([
      'INTERNAL',
      'INTERNAL',
      'INBOUND',
      'INBOUND',
      'OUTBOUND',
      'OUTBOUND',
      'TRANSIT',
      'TRANSIT',
      'INBOUND',
      'UNKNOWN',
      'UNKNOWN',
    ]);
  });

  it('portsipEndReason folds the -ed spellings and None', () => {
    expect(portsipEndReason({ end_reason: 'caller_disconnected' })).toBe('caller_disconnect');
    expect(portsipEndReason({ ended_reason: 'callee_disconnected' })).toBe('callee_disconnect');
    expect(portsipEndReason({ end_reason: 'None' })).toBeNull();
    expect(portsipEndReason({ end_reason: '', ended_reason: 'referred' })).toBe('referred');
    expect(portsipEndReason({ end_reason: 'Blind_Transfer_Complete' })).toBe('blind_transfer_complete');
    expect(portsipEndReason(null)).toBeNull();
  });

  it('portsipDid, portsipSeconds, portsipTargetId, portsipIsQueueTarget', () => {
    expect(portsipDid({ did: '', did_cid: '1880' })).toBe('1880');
    expect(portsipDid({ did: 1880 })).toBe('1880');
    expect(portsipDid({})).toBeNull();
    expect([21, '21', '7', 'x', -1, null].map(portsipSeconds)).toEqual([21, 21, 7, null, null, null]);
    expect(portsipTargetId({ cdr_id: 'a', id: 'b' })).toBe('a');
    expect(portsipTargetId({ id: 7 })).toBe('7');
    expect(portsipTargetId('x')).toBeNull();
    expect(portsipIsQueueTarget({ call_type: 'queue_call' })).toBe(true);
    expect(portsipIsQueueTarget({ call_type: 'Queue_Callback_Call' })).toBe(true);
    expect(portsipIsQueueTarget({ call_type: 'normal_call' })).toBe(false);
  });

  it('portsipAgentState, portsipPresence, portsipCallStatus, portsipQueueCallerReason', () => {
    expect(
      ['READY', 'Queue Call', 'wrap up', 'OTHER_CALL', 'Not Ready', 'ONLINE', 'Offline', 'x'].map(portsipAgentState),
    ).toEqual(['READY', 'QUEUE_CALL', 'WRAP_UP', 'OTHER_CALL', 'NOT_READY', 'LOGGED_OUT', 'OFFLINE', null]);
    expect(
      ['AVAILABLE', 'online', 'LUNCH', 'BUSINESS_TRIP', 'DO_NOT_DISTURB', 'AWAY', 'BUSY'].map(portsipPresence),
    ).toEqual(['ONLINE', 'ONLINE', 'LUNCH', 'BUSINESS_TRIP', 'DO_NOT_DISTURB', 'AWAY', null]);
    expect(['ON_CALL', 'ON_ACLL', 'RINGING', '', null].map(portsipCallStatus)).toEqual([
      'ON_CALL',
      'ON_CALL',
      'RINGING',
      null,
      null,
    ]);
    expect(
      [
        'enqueue',
        'AGENT_ANSWERED',
        'overflow',
        'hangup',
        'callback',
        'enqueue/agent_answered/overflow/hangup/callback',
      ].map(portsipQueueCallerReason),
    ).toEqual(['enqueue', 'agent_answered', 'overflow', 'hangup', 'callback', null]);
  });
});

describe('PortSIP call facts', () => {
  it('portsipCallFacts reads the call_cdr example into neutral names', () => {
    const f = portsipCallFacts(fixture('call_cdr'));
    expect(f).toMatchObject({
      sessionId: '885337248273272832',
      callId: 'zw6DDIua5lyVCtcLsI1Gnw..',
      caller: '1888722',
      callerName: '1888722',
      callee: '5000',
      party: '5000',
      direction: 'INBOUND',
      outcome: 'ANSWERED',
      statusCode: null, // "0" = no SIP code
      endReason: 'callee_disconnect', // from ended_reason
      ringSeconds: 0,
      talkSeconds: 21,
      did: '18800606',
      trunk: '122:883631675865563136',
    });
    expect(f.startedAt?.toISOString()).toBe('2024-09-09T01:34:08.000Z');
    expect(f.endedAt?.toISOString()).toBe('2024-09-09T01:34:29.000Z');
    expect(f.targets.map((t) => [t.party, t.callType, t.outcome, t.endReason, t.ringSeconds, t.talkSeconds])).toEqual([
      ['5000', 'normal_call', 'ANSWERED', 'referred', 0, 7],
      ['8000', 'normal_call', 'ANSWERED', 'referred', 0, 7],
      ['102', 'normal_call', 'ANSWERED', null, 6, 7],
    ]);
  });

  it('reads a payload object once: the same object gives the same facts, a copy reads the same values', () => {
    const payload = fixture('call_cdr');
    const first = portsipCallFacts(payload);
    expect(portsipCallFacts(payload)).toBe(first);
    const target = (payload as { call_targets: object[] }).call_targets[2];
    expect(portsipLegFacts(target)).toBe(first.targets[2]);
    expect(portsipCallFacts(structuredClone(payload))).toEqual(first);
    expect(portsipCallFacts(structuredClone(payload))).not.toBe(first);
    // Non-objects are read every time (nothing to key them by) and give empty facts.
    expect(portsipCallFacts(null)).toEqual(portsipCallFacts('x'));
    expect(portsipCallFacts(null).targets).toEqual([]);
  });

  it('portsipLegFacts: call types, "0" times, string status codes, garbage in', () => {
    const f = portsipLegFacts({
      call_type: ' Queue_Call ',
      callee: 'sip:8000@pbx',
      answered_time: '0',
      status: 'fail',
      status_code: '486',
    });
    expect(f).toMatchObject({
      callType: 'queue_call',
      queueByType: true,
      ringGroupByType: false,
      party: '8000',
      answeredAt: null,
      outcome: 'FAILED',
      statusCode: 486,
    });
    expect(portsipLegFacts({ call_type: 'ring_group_call' }).ringGroupByType).toBe(true);
    expect(portsipLegFacts({ call_type: 'callback_call' }).callbackByType).toBe(true);
    expect(portsipLegFacts({ time: '1705051422' }).time?.toISOString()).toBe('2024-01-12T09:23:42.000Z');
    expect(portsipCallFacts(null)).toMatchObject({
      sessionId: null,
      targets: [],
      direction: 'UNKNOWN',
      startedAt: null,
    });
    expect(portsipCallFacts({ call_targets: [1, null, {}] }).targets).toHaveLength(1);
  });

  it('portsipOutcome', () => {
    expect(['answered', 'NoAnswer', 'no_answer', 'fail', 'failed', 'busy', '', null, 'x'].map(portsipOutcome)).toEqual([
      'ANSWERED',
      'NO_ANSWER',
      'NO_ANSWER',
      'FAILED',
      'FAILED',
      'BUSY',
      null,
      null,
      null,
    ]);
  });
});

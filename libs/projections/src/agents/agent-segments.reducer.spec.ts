import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getVendorAdapter } from '@app/vendors';
import {
  AgentContext,
  AgentEvent,
  AgentSegment,
  IDLE,
  SegmentLayer,
  StateChange,
  agentChanges,
  foldSegments,
} from './agent-segments.reducer';

type Json = Record<string, unknown>;
type Vendor = AgentEvent['vendor'];

const VENDORS_DIR = join(__dirname, '..', '..', '..', 'vendors');
const fixture = (vendor: Vendor, name: string): Json =>
  JSON.parse(readFileSync(join(VENDORS_DIR, vendor, '__fixtures__', `${name}.json`), 'utf8')) as Json;

const EXT = /^\d{2,5}$/;
const CTX: AgentContext = { extensionPattern: EXT, timezone: 'UTC' };

/** A stored event as the projection loads it: type and occurredAt from the vendor adapter. */
function stored(vendor: Vendor, timezone: string, payload: unknown, position = 1): AgentEvent {
  const parsed = getVendorAdapter(vendor).parse(payload, { timezone, extensionPattern: EXT });
  return {
    position: String(position),
    vendor,
    type: parsed.type,
    occurredAt: parsed.occurredAt,
    receivedAt: new Date(Date.UTC(2030, 0, 1) + position * 1000),
    payload,
  };
}

/** Changes with ISO times, for readable expectations. */
const isoChanges = (changes: ReadonlyArray<StateChange & { agent?: string }>) =>
  changes.map((c) => ({ ...c, at: c.at.toISOString() }));

/** Segments as compact tuples: [layer, queue, state, callId, start, end] with ISO times. */
const rows = (segments: readonly AgentSegment[]) =>
  segments.map((s) => [
    s.layer,
    s.queue,
    s.state,
    s.callId,
    s.startedAt.toISOString(),
    s.endedAt === null ? null : s.endedAt.toISOString(),
  ]);

/** Every change of the events, grouped by agent and folded. */
function timelines(events: readonly AgentEvent[], ctx: AgentContext = CTX): Record<string, AgentSegment[]> {
  const byAgent = new Map<string, StateChange[]>();
  for (const e of events) {
    for (const { agent, ...c } of agentChanges(e, ctx)) byAgent.set(agent, [...(byAgent.get(agent) ?? []), c]);
  }
  return Object.fromEntries(
    [...byAgent].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, cs]) => [a, foldSegments(a, cs)]),
  );
}

const change = (
  layer: SegmentLayer,
  state: string,
  at: string,
  queue: string | null = null,
  callId: string | null = null,
): StateChange => ({ layer, queue, state, callId, at: new Date(at) });

// ---------------------------------------------------------------------------------------------
// Fixtures → changes

describe('vendor fixtures parse into the expected changes', () => {
  const NX = '2026-01-27T06:32:30.000Z'; // 12:02:30 in Asia/Kolkata
  const NX_CALL = 'c63fe6f8-0f61-4896-87a2-adc05e06ac36';
  const nx = (name: string) => isoChanges(agentChanges(stored('nexbro', 'Asia/Kolkata', fixture('nexbro', name)), CTX));

  it('Nexbro: registration events; call events only for the calling extension (the destination is external)', () => {
    expect(nx('extension_register_success')).toEqual([
      { agent: '234', layer: 'REGISTRATION', queue: null, state: 'ONLINE', callId: null, at: NX },
    ]);
    expect(nx('extension_unregister')).toEqual([
      { agent: '234', layer: 'REGISTRATION', queue: null, state: 'OFFLINE', callId: null, at: NX },
    ]);
    expect(nx('extension_register_failure')).toEqual([]);
    // 234 calls 8556900900: the caller is the agent; it is not "ringing" while its call rings out.
    expect(nx('call_ringing')).toEqual([]);
    for (const [name, state] of [
      ['call_answer', 'TALKING'],
      ['call_hold', 'HOLD'],
      ['call_unhold', 'TALKING'],
      ['call_hangup', IDLE],
    ]) {
      expect(nx(name)).toEqual([{ agent: '234', layer: 'CALL', queue: null, state, callId: NX_CALL, at: NX }]);
    }
    expect(nx('call_routed')).toEqual([]);
    expect(nx('call_input')).toEqual([]);
  });

  const ps = (name: string, ctx: AgentContext = CTX) =>
    isoChanges(agentChanges(stored('portsip', 'UTC', fixture('portsip', name)), ctx));
  const psRow = (
    agent: string,
    layer: SegmentLayer,
    queue: string | null,
    state: string,
    callId: string | null,
    at: string,
  ) => ({
    agent,
    layer,
    queue,
    state,
    callId,
    at,
  });

  it('PortSIP extension_status: registration, presence and call status of each entry at its own time', () => {
    const at = '2024-01-02T09:13:00.000Z'; // 1704186780
    expect(ps('extension_status')).toEqual([
      psRow('101', 'REGISTRATION', null, 'OFFLINE', null, at), // online: false
      psRow('101', 'PRESENCE', null, 'AWAY', null, at),
      psRow('101', 'CALL', null, 'TALKING', null, at), // "ON_ACLL", the docs' typo
      psRow('102', 'REGISTRATION', null, 'OFFLINE', null, at),
      psRow('102', 'PRESENCE', null, 'ONLINE', null, at),
      psRow('102', 'CALL', null, 'TALKING', null, at),
    ]);
  });

  it('PortSIP extension_call, extension_presence (AVAILABLE = ONLINE), extension_agent_status', () => {
    expect(ps('extension_call')).toEqual([psRow('101', 'CALL', null, 'TALKING', null, '2023-12-27T15:17:56.000Z')]);
    expect(ps('extension_presence')).toEqual([
      psRow('101', 'PRESENCE', null, 'ONLINE', null, '2023-12-27T15:22:27.000Z'),
    ]);
    expect(ps('extension_agent_status')).toEqual([
      psRow('102', 'AGENT_STATE', '8002', 'READY', null, '2024-02-04T06:28:36.000Z'),
    ]);
  });

  it('PortSIP queue_agent_status: the queue id stands for the queue until mapped; removed agents go IDLE', () => {
    const at = '2023-02-12T12:50:49.000Z'; // 1676206249, also the event's time for the removed agent
    expect(ps('queue_agent_status')).toEqual([
      psRow('101', 'AGENT_STATE', '677046776364007424', 'QUEUE_CALL', '677046776364007', at),
      psRow('102', 'AGENT_STATE', '677046776364007424', IDLE, null, at),
    ]);
    const mapped = ps('queue_agent_status', { ...CTX, queueIds: new Map([['677046776364007424', '8001']]) });
    expect(mapped.map((c) => c.queue)).toEqual(['8001', '8001']);
  });

  it('PortSIP queue_status: each agent line at the time its state began, under the queue number', () => {
    expect(ps('queue_status')).toEqual([
      psRow('101', 'AGENT_STATE', '8001', 'QUEUE_CALL', '677046776364007', '2023-02-12T12:50:49.000Z'),
    ]);
  });

  it('PortSIP call_cdr: ring, answer and end of every extension target; a known queue is no agent', () => {
    const session = '885337248273272832';
    const t = (s: number) => new Date(s * 1000).toISOString();
    expect(ps('call_cdr', { ...CTX, queueNumbers: new Set(['8000']) })).toEqual([
      // 5000 is the example's IVR: it matches the pattern, so it is an "agent" unless listed.
      psRow('102', 'CALL', null, 'RINGING', session, t(1725845656)),
      psRow('102', 'CALL', null, 'TALKING', session, t(1725845662)),
      psRow('102', 'CALL', null, IDLE, session, t(1725845669)),
      psRow('5000', 'CALL', null, 'RINGING', session, t(1725845648)),
      psRow('5000', 'CALL', null, 'TALKING', session, t(1725845648)),
      psRow('5000', 'CALL', null, IDLE, session, t(1725845655)),
    ]);
    expect(ps('call_cdr', { ...CTX, queueNumbers: new Set(['5000', '8000']) }).map((c) => c.agent)).toEqual([
      '102',
      '102',
      '102',
    ]);
  });

  it.each([
    'call_start',
    'extension_created',
    'queue_created',
    'queue_caller_status',
    'queue_sla_breached',
    'wsi_auth_ok',
  ])('PortSIP %s says nothing about agent states', (name) => expect(ps(name)).toEqual([]));

  const SYD = 'Australia/Sydney';
  const SYD_CTX: AgentContext = { ...CTX, timezone: SYD };
  const vc = (name: string) => isoChanges(agentChanges(stored('voipcloud', SYD, fixture('voipcloud', name)), SYD_CTX));
  const IN_CALL = '1769472150.1234';
  const OUT_CALL = '1769476500.77';

  it('VoIPcloud user_inbound*: each event restates ring (call start), answer and end it knows', () => {
    const ring = psRow('201', 'CALL', null, 'RINGING', IN_CALL, '2026-01-27T01:02:30.000Z');
    const talk = psRow('201', 'CALL', null, 'TALKING', IN_CALL, '2026-01-27T01:02:41.000Z');
    expect(vc('user_inbound')).toEqual([ring]);
    expect(vc('user_inbound_answered')).toEqual([ring, talk]);
    // Zone-less times in the source zone; the end is call_start_at + call_duration ("95").
    expect(vc('user_inbound_completed')).toEqual([
      ring,
      talk,
      psRow('201', 'CALL', null, IDLE, IN_CALL, '2026-01-27T01:04:05.000Z'),
    ]);
  });

  it('VoIPcloud user_outbound*: talk from connected_at to the end, no offer', () => {
    expect(vc('user_outbound')).toEqual([]);
    const talk = psRow('202', 'CALL', null, 'TALKING', OUT_CALL, '2026-01-27T01:15:09.500Z');
    expect(vc('user_outbound_answered')).toEqual([talk]);
    expect(vc('user_outbound_completed')).toEqual([
      talk,
      psRow('202', 'CALL', null, IDLE, OUT_CALL, '2026-01-27T01:16:10.000Z'),
    ]);
  });

  it('VoIPcloud summaries: an answered queue_call restates its User; abandoned ones and other types say nothing', () => {
    const id = '1769476800.88';
    expect(vc('queue_call')).toEqual([
      psRow('201', 'CALL', null, 'RINGING', id, '2026-01-27T01:20:00.000Z'),
      psRow('201', 'CALL', null, 'TALKING', id, '2026-01-27T01:20:25.000Z'),
      psRow('201', 'CALL', null, IDLE, id, '2026-01-27T01:23:00.000Z'),
    ]);
    for (const name of [
      'ring_group_call',
      'voicemail',
      'recording_inbound',
      'recording_outbound',
      'webhook_component_event',
    ]) {
      expect(vc(name)).toEqual([]);
    }
  });

  it('VoIPcloud batch: two Users rung by one call each get their own offer', () => {
    const batch = fixture('voipcloud', 'batch') as unknown as Json[];
    const agents = batch.flatMap((p, i) => agentChanges(stored('voipcloud', SYD, p, i + 1), CTX).map((c) => c.agent));
    expect(agents).toEqual(['201', '203']);
  });

  it('never throws on garbage and ignores events without any usable time', () => {
    for (const vendor of ['nexbro', 'portsip', 'voipcloud'] as const) {
      for (const payload of [
        null,
        [],
        'x',
        { event: 'CALL_ANSWER' },
        { event_type: 'extension_status', status: 'x' },
      ]) {
        expect(() => agentChanges({ ...stored(vendor, 'UTC', payload), type: 'extension_status' }, CTX)).not.toThrow();
      }
    }
    const e = stored('portsip', 'UTC', fixture('portsip', 'queue_status'));
    expect(agentChanges({ ...e, occurredAt: null, receivedAt: new Date(NaN) }, CTX)).toHaveLength(1); // own timestamp
  });
});

// ---------------------------------------------------------------------------------------------
// Registration, presence, agent states

describe('Nexbro registration', () => {
  const reg = (event: string, timestamp: string, position: number): AgentEvent =>
    stored('nexbro', 'UTC', { ...fixture('nexbro', 'extension_register_success'), event, timestamp }, position);

  it('folds register / unregister into ONLINE and OFFLINE segments; repeats merge; failures change nothing', () => {
    const events = [
      reg('EXTENSION_REGISTER_SUCCESS', '2026-01-27 08:00:00', 1),
      reg('EXTENSION_REGISTER_SUCCESS', '2026-01-27 09:00:00', 2), // re-registration: same state
      reg('EXTENSION_REGISTER_FAILURE', '2026-01-27 10:00:00', 3),
      reg('EXTENSION_UNREGISTER', '2026-01-27 12:30:00', 4),
      reg('EXTENSION_REGISTER_SUCCESS', '2026-01-27 13:15:00', 5),
    ];
    expect(rows(timelines(events)['234'])).toEqual([
      ['REGISTRATION', null, 'ONLINE', null, '2026-01-27T08:00:00.000Z', '2026-01-27T12:30:00.000Z'],
      ['REGISTRATION', null, 'OFFLINE', null, '2026-01-27T12:30:00.000Z', '2026-01-27T13:15:00.000Z'],
      ['REGISTRATION', null, 'ONLINE', null, '2026-01-27T13:15:00.000Z', null],
    ]);
    expect(timelines([...events].reverse())).toEqual(timelines(events));
  });

  it('an unregister and a re-register in the same second leave the extension ONLINE, in any order', () => {
    const events = [
      reg('EXTENSION_REGISTER_SUCCESS', '2026-01-27 08:00:00', 1),
      reg('EXTENSION_REGISTER_SUCCESS', '2026-01-27 09:00:00', 2),
      reg('EXTENSION_UNREGISTER', '2026-01-27 09:00:00', 3),
    ];
    expect(rows(timelines(events)['234'])).toEqual([
      ['REGISTRATION', null, 'ONLINE', null, '2026-01-27T08:00:00.000Z', null],
    ]);
    expect(timelines([events[2], events[0], events[1]])).toEqual(timelines(events));
  });
});

describe('PortSIP agent status per queue', () => {
  const T0 = 1_772_442_000; // 2026-03-02T09:00:00Z
  const iso = (s: number) => new Date((T0 + s) * 1000).toISOString();
  const agentStatus = (s: number, lines: Array<[string, string]>): Json => ({
    event_type: 'extension_agent_status',
    extension: 'sip:102@test.io',
    agent_status: lines.map(([queue_number, status]) => ({ queue_number, status })),
    time: String(T0 + s),
  });
  const queueAgent = (s: number, state: string | null, session = ''): Json => ({
    event_type: 'queue_agent_status',
    queue_id: '677046776364007424',
    ...(state === null
      ? { removed_agents: [{ agent_extension_number: '102' }], updated_agents: [] }
      : { updated_agents: [{ state, agent_extension_number: '102', session_id: session, timestamp: String(T0 + s) }] }),
  });
  const ctx: AgentContext = { ...CTX, queueIds: new Map([['677046776364007424', '8001']]) };

  it('keeps one timeline per queue, maps queue ids, reads ONLINE as LOGGED_OUT and removal as the end', () => {
    const payloads = [
      agentStatus(0, [
        ['8001', 'READY'],
        ['8002', 'Ready'],
      ]),
      queueAgent(300, 'QUEUE_CALL', '9001'),
      agentStatus(300, [['8002', 'Other Call']]),
      queueAgent(600, 'WRAP_UP'),
      agentStatus(600, [['8002', 'READY']]),
      queueAgent(660, 'READY'),
      agentStatus(900, [
        ['8001', 'NOT_READY'],
        ['8002', 'ONLINE'],
      ]),
      // Removed agents carry no time of their own: the event's time (received, here) is used.
      { ...queueAgent(0, null), __received: 1200 },
    ];
    const events = payloads.map((p, i) => {
      const { __received, ...payload } = p as Json & { __received?: number };
      const e = stored('portsip', 'UTC', payload, i + 1);
      return __received === undefined ? e : { ...e, occurredAt: null, receivedAt: new Date((T0 + __received) * 1000) };
    });
    expect(rows(timelines(events, ctx)['102'])).toEqual([
      ['AGENT_STATE', '8001', 'READY', null, iso(0), iso(300)],
      ['AGENT_STATE', '8002', 'READY', null, iso(0), iso(300)],
      ['AGENT_STATE', '8001', 'QUEUE_CALL', '9001', iso(300), iso(600)],
      ['AGENT_STATE', '8002', 'OTHER_CALL', null, iso(300), iso(600)],
      ['AGENT_STATE', '8001', 'WRAP_UP', null, iso(600), iso(660)],
      ['AGENT_STATE', '8002', 'READY', null, iso(600), iso(900)],
      ['AGENT_STATE', '8001', 'READY', null, iso(660), iso(900)],
      ['AGENT_STATE', '8001', 'NOT_READY', null, iso(900), iso(1200)],
      ['AGENT_STATE', '8002', 'LOGGED_OUT', null, iso(900), null],
    ]);
  });

  it('a queue_status snapshot repeating a known state merges into it', () => {
    const snapshot: Json = {
      event_type: 'queue_status',
      queue_id: '677046776364007424',
      queue_number: '8001',
      agents: [{ state: 'Queue Call', agent_extension_number: '102', session_id: '9001', timestamp: String(T0 + 300) }],
    };
    const events = [
      stored('portsip', 'UTC', agentStatus(0, [['8001', 'READY']]), 1),
      stored('portsip', 'UTC', queueAgent(300, 'QUEUE_CALL', '9001'), 2),
      { ...stored('portsip', 'UTC', snapshot, 3), receivedAt: new Date((T0 + 400) * 1000) },
    ];
    expect(rows(timelines(events, ctx)['102'])).toEqual([
      ['AGENT_STATE', '8001', 'READY', null, iso(0), iso(300)],
      ['AGENT_STATE', '8001', 'QUEUE_CALL', '9001', iso(300), null],
    ]);
  });
});

describe('presence', () => {
  it('PortSIP presence pushes and status entries share one PRESENCE timeline', () => {
    const p = (presence: string, time: number): Json => ({
      ...fixture('portsip', 'extension_presence'),
      presence,
      time: String(time),
    });
    const events = [
      stored('portsip', 'UTC', p('AVAILABLE', 1_772_442_000), 1),
      stored('portsip', 'UTC', p('LUNCH', 1_772_445_600), 2),
      stored('portsip', 'UTC', p('Do Not Disturb', 1_772_449_200), 3),
      stored('portsip', 'UTC', p('ONLINE', 1_772_452_800), 4),
    ];
    expect(rows(timelines(events)['101'])).toEqual([
      ['PRESENCE', null, 'ONLINE', null, '2026-03-02T09:00:00.000Z', '2026-03-02T10:00:00.000Z'],
      ['PRESENCE', null, 'LUNCH', null, '2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z'],
      ['PRESENCE', null, 'DO_NOT_DISTURB', null, '2026-03-02T11:00:00.000Z', '2026-03-02T12:00:00.000Z'],
      ['PRESENCE', null, 'ONLINE', null, '2026-03-02T12:00:00.000Z', null],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Calls

describe('call segments', () => {
  const nexbro = (
    event: string,
    timestamp: string,
    destination: string,
    caller = '2125550100',
    call = 'call-1',
  ): Json => ({
    event,
    call_uuid: call,
    call_session_uuid: call,
    caller_id_number: caller,
    destination_number: destination,
    timestamp,
  });
  const nxEvents = (payloads: readonly Json[]) => payloads.map((p, i) => stored('nexbro', 'UTC', p, i + 1));

  it('Nexbro: the destination extension rings, talks, holds and talks until its hang-up', () => {
    const events = nxEvents([
      nexbro('CALL_ROUTED', '2026-03-02 10:00:00', '8005550100'),
      nexbro('CALL_RINGING', '2026-03-02 10:00:00', '101'),
      nexbro('CALL_ANSWER', '2026-03-02 10:00:06', '101'),
      nexbro('CALL_HOLD', '2026-03-02 10:01:00', '101'),
      nexbro('CALL_UNHOLD', '2026-03-02 10:01:30', '101'),
      nexbro('CALL_HANGUP', '2026-03-02 10:03:00', '101'),
    ]);
    expect(Object.keys(timelines(events))).toEqual(['101']); // the caller is external
    expect(rows(timelines(events)['101'])).toEqual([
      ['CALL', null, 'RINGING', 'call-1', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:06.000Z'],
      ['CALL', null, 'TALKING', 'call-1', '2026-03-02T10:00:06.000Z', '2026-03-02T10:01:00.000Z'],
      ['CALL', null, 'HOLD', 'call-1', '2026-03-02T10:01:00.000Z', '2026-03-02T10:01:30.000Z'],
      ['CALL', null, 'TALKING', 'call-1', '2026-03-02T10:01:30.000Z', '2026-03-02T10:03:00.000Z'],
    ]);
  });

  it('Nexbro: ring-all with per-leg hang-ups; internal callers are left out; queues listed in ctx are no agents', () => {
    const events = nxEvents([
      nexbro('CALL_RINGING', '2026-03-02 10:00:00', '8000', '234'),
      nexbro('CALL_RINGING', '2026-03-02 10:00:01', '101', '234'),
      nexbro('CALL_RINGING', '2026-03-02 10:00:01', '102', '234'),
      nexbro('CALL_ANSWER', '2026-03-02 10:00:09', '102', '234'),
      nexbro('CALL_HANGUP', '2026-03-02 10:00:09', '101', '234'),
      nexbro('CALL_HANGUP', '2026-03-02 10:02:00', '102', '234'),
    ]);
    const t = timelines(events, { ...CTX, queueNumbers: new Set(['8000']) });
    expect(Object.keys(t)).toEqual(['101', '102']);
    expect(rows(t['101'])).toEqual([
      ['CALL', null, 'RINGING', 'call-1', '2026-03-02T10:00:01.000Z', '2026-03-02T10:00:09.000Z'],
    ]);
    expect(rows(t['102'])).toEqual([
      ['CALL', null, 'RINGING', 'call-1', '2026-03-02T10:00:01.000Z', '2026-03-02T10:00:09.000Z'],
      ['CALL', null, 'TALKING', 'call-1', '2026-03-02T10:00:09.000Z', '2026-03-02T10:02:00.000Z'],
    ]);
  });

  it('Nexbro: a hold and unhold in the same second leave the call TALKING (zero-length hold)', () => {
    const events = nxEvents([
      nexbro('CALL_ANSWER', '2026-03-02 10:00:00', '101'),
      nexbro('CALL_UNHOLD', '2026-03-02 10:00:30', '101'),
      nexbro('CALL_HOLD', '2026-03-02 10:00:30', '101'),
    ]);
    expect(rows(timelines(events)['101'])).toEqual([
      ['CALL', null, 'TALKING', 'call-1', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:30.000Z'],
      ['CALL', null, 'HOLD', 'call-1', '2026-03-02T10:00:30.000Z', '2026-03-02T10:00:30.000Z'],
      ['CALL', null, 'TALKING', 'call-1', '2026-03-02T10:00:30.000Z', null],
    ]);
  });

  it('PortSIP: live target events and the status pushes (no call id) fuse into one call', () => {
    const session = '885337248273272832';
    const target = (fixture('portsip', 'call_cdr')['call_targets'] as Json[])[2]; // agent 102
    const live = (event_type: string, changes: Json): Json => ({
      event_type,
      session_id: session,
      ...target,
      ...changes,
    });
    const status = (call_status: string, time: number): Json => ({
      event_type: 'extension_call',
      extension: 'sip:102@test.io',
      call_status,
      time: String(time),
    });
    const events = [
      live('cdr_target_ringing', { answered_time: '0', ended_time: '0', status: '' }),
      status('RINGING', 1725845656),
      status('ON_CALL', 1725845663), // the push came a second after the answer
      live('cdr_target_answer', { ended_time: '0' }),
      live('cdr_target_end', {}),
      status('', 1725845669),
    ].map((p, i) => stored('portsip', 'UTC', p, i + 1));
    const t = (s: number) => new Date(s * 1000).toISOString();
    const expected = [
      ['CALL', null, 'RINGING', session, t(1725845656), t(1725845662)],
      ['CALL', null, 'TALKING', session, t(1725845662), t(1725845669)],
    ];
    expect(rows(timelines(events)['102'])).toEqual(expected);
    // The call_cdr alone gives the same agent timeline.
    expect(rows(timelines([stored('portsip', 'UTC', fixture('portsip', 'call_cdr'))])['102'])).toEqual(expected);
  });

  it('VoIPcloud: fixtures of one inbound call, one outbound call and a second User left ringing', () => {
    const SYD = 'Australia/Sydney';
    const names = [
      'user_inbound',
      'user_inbound_answered',
      'user_inbound_completed',
      'user_outbound',
      'user_outbound_answered',
      'user_outbound_completed',
    ];
    const events = [
      ...names.map((n, i) => stored('voipcloud', SYD, fixture('voipcloud', n), i + 1)),
      stored('voipcloud', SYD, (fixture('voipcloud', 'batch') as unknown as Json[])[1], 10),
    ];
    const t = timelines(events, { ...CTX, timezone: SYD });
    expect(rows(t['201'])).toEqual([
      ['CALL', null, 'RINGING', '1769472150.1234', '2026-01-27T01:02:30.000Z', '2026-01-27T01:02:41.000Z'],
      ['CALL', null, 'TALKING', '1769472150.1234', '2026-01-27T01:02:41.000Z', '2026-01-27T01:04:05.000Z'],
    ]);
    expect(rows(t['202'])).toEqual([
      ['CALL', null, 'TALKING', '1769476500.77', '2026-01-27T01:15:09.500Z', '2026-01-27T01:16:10.000Z'],
    ]);
    // 203 was rung too; nothing ever ended its ring, so it stays open.
    expect(rows(t['203'])).toEqual([['CALL', null, 'RINGING', '1769472150.1234', '2026-01-27T01:02:30.000Z', null]]);
  });
});

describe('several calls at once (CALL foreground)', () => {
  const at = (hms: string) => `2026-03-02T${hms}.000Z`;
  const call = (state: string, hms: string, id: string | null) => change('CALL', state, at(hms), null, id);

  it('a queued VoIPcloud call "ringing" since its PBX start does not interrupt the current talk', () => {
    const segments = foldSegments('201', [
      call('RINGING', '10:00:00', 'c1'),
      call('TALKING', '10:00:10', 'c1'),
      call('RINGING', '10:05:00', 'c2'), // call_start_at of a call that waited in the queue
      call(IDLE, '10:10:00', 'c1'),
      call('TALKING', '10:10:10', 'c2'),
      call(IDLE, '10:12:00', 'c2'),
    ]);
    expect(rows(segments)).toEqual([
      ['CALL', null, 'RINGING', 'c1', at('10:00:00'), at('10:00:10')],
      ['CALL', null, 'TALKING', 'c1', at('10:00:10'), at('10:10:00')],
      ['CALL', null, 'RINGING', 'c2', at('10:10:00'), at('10:10:10')],
      ['CALL', null, 'TALKING', 'c2', at('10:10:10'), at('10:12:00')],
    ]);
  });

  it('a ring whose end never came is dropped when a later call is answered', () => {
    const segments = foldSegments('101', [
      call('RINGING', '09:00:00', 'lost'),
      call('RINGING', '11:00:00', 'c2'),
      call('TALKING', '11:00:05', 'c2'),
      call(IDLE, '11:03:00', 'c2'),
    ]);
    expect(rows(segments)).toEqual([
      ['CALL', null, 'RINGING', 'lost', at('09:00:00'), at('11:00:00')],
      ['CALL', null, 'RINGING', 'c2', at('11:00:00'), at('11:00:05')],
      ['CALL', null, 'TALKING', 'c2', at('11:00:05'), at('11:03:00')],
    ]);
  });

  it('a held call comes back after a consultation; an IDLE without call id ends every call', () => {
    const segments = foldSegments('101', [
      call('TALKING', '10:00:00', 'a'),
      call('HOLD', '10:02:00', 'a'),
      call('RINGING', '10:02:10', 'b'),
      call('TALKING', '10:02:15', 'b'),
      call(IDLE, '10:03:00', 'b'),
      call('TALKING', '10:03:05', 'a'), // unhold
      call('RINGING', '10:04:00', 'c'), // call waiting while talking: not shown
      { ...call(IDLE, '10:04:30', null), at: new Date(NaN) }, // ignored: no usable time
      call(IDLE, '10:05:00', null),
    ]);
    expect(rows(segments)).toEqual([
      ['CALL', null, 'TALKING', 'a', at('10:00:00'), at('10:02:00')],
      ['CALL', null, 'HOLD', 'a', at('10:02:00'), at('10:02:10')],
      ['CALL', null, 'RINGING', 'b', at('10:02:10'), at('10:02:15')],
      ['CALL', null, 'TALKING', 'b', at('10:02:15'), at('10:03:00')],
      // a's hold is older than b's first change, so b's answer retired it until its unhold.
      ['CALL', null, 'TALKING', 'a', at('10:03:05'), at('10:05:00')],
    ]);
  });

  it('an IDLE for a call that is not shown leaves the shown call alone', () => {
    const segments = foldSegments('101', [
      call('TALKING', '10:00:00', 'a'),
      call(IDLE, '10:01:00', 'never-seen'),
      call(IDLE, '10:02:00', 'a'),
    ]);
    expect(rows(segments)).toEqual([['CALL', null, 'TALKING', 'a', at('10:00:00'), at('10:02:00')]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Order independence

const LAYER_STATES: Record<SegmentLayer, readonly string[]> = {
  REGISTRATION: ['ONLINE', 'OFFLINE', IDLE],
  PRESENCE: ['ONLINE', 'AWAY', 'LUNCH', 'DO_NOT_DISTURB'],
  AGENT_STATE: ['READY', 'QUEUE_CALL', 'WRAP_UP', 'NOT_READY', 'LOGGED_OUT', IDLE],
  CALL: ['RINGING', 'TALKING', 'HOLD', IDLE],
};

const changeArb: fc.Arbitrary<StateChange> = fc
  .record({
    layer: fc.constantFrom<SegmentLayer>('REGISTRATION', 'PRESENCE', 'AGENT_STATE', 'CALL'),
    pick: fc.nat(10),
    queue: fc.constantFrom('8001', '8002'),
    callId: fc.constantFrom<string | null>(null, 'a', 'b', 'c'),
    // A few minutes in whole seconds, so same-instant conflicts are frequent.
    second: fc.nat(240),
  })
  .map(({ layer, pick, queue, callId, second }) => ({
    layer,
    queue: layer === 'AGENT_STATE' ? queue : null,
    state: LAYER_STATES[layer][pick % LAYER_STATES[layer].length],
    callId: layer === 'CALL' || (layer === 'AGENT_STATE' && pick % 2 === 0) ? callId : null,
    at: new Date(Date.UTC(2026, 2, 2, 10, 0, second)),
  }));

/** A permutation of the changes with some of them delivered again (as fresh objects). */
const reordered = (changes: readonly StateChange[]) =>
  fc
    .tuple(fc.shuffledSubarray([...changes], { minLength: changes.length }), fc.array(fc.nat(), { maxLength: 6 }))
    .map(([shuffled, dups]) => {
      const copies =
        changes.length === 0
          ? []
          : dups.map((d) => ({ ...changes[d % changes.length], at: new Date(changes[d % changes.length].at) }));
      return [...shuffled, ...copies];
    });

describe('properties', () => {
  it('any permutation with duplicates folds to identical segments', () => {
    fc.assert(
      fc.property(
        fc.array(changeArb, { maxLength: 40 }).chain((changes) => fc.tuple(fc.constant(changes), reordered(changes))),
        ([changes, again]) => {
          expect(foldSegments('101', again)).toEqual(foldSegments('101', changes));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('segments of one layer (and queue) never overlap, only the last is open, and identical neighbours merge', () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 40 }), (changes) => {
        const segments = foldSegments('101', changes);
        const keys = new Set(segments.map((s) => `${s.layer}/${s.queue}`));
        for (const key of keys) {
          const list = segments.filter((s) => `${s.layer}/${s.queue}` === key);
          list.forEach((s, i) => {
            expect(s.agent).toBe('101');
            expect(s.state).not.toBe(IDLE);
            const next = list[i + 1];
            if (next === undefined) return;
            expect(s.endedAt).not.toBeNull();
            expect(s.endedAt!.getTime()).toBeLessThanOrEqual(next.startedAt.getTime());
            if (s.layer !== 'CALL') {
              expect(s.endedAt!.getTime()).toBeGreaterThan(s.startedAt.getTime());
              const touching = s.endedAt!.getTime() === next.startedAt.getTime();
              const sameCall = s.callId === null || next.callId === null || s.callId === next.callId;
              expect(touching && s.state === next.state && sameCall).toBe(false);
            }
          });
        }
      }),
      { numRuns: 400 },
    );
  });

  it('events in any order, delivered twice, give the same timelines (all vendor fixtures)', () => {
    const events: AgentEvent[] = [
      ...[
        'extension_register_success',
        'extension_unregister',
        'call_answer',
        'call_hold',
        'call_unhold',
        'call_hangup',
      ].map((n, i) => stored('nexbro', 'Asia/Kolkata', fixture('nexbro', n), i + 1)),
      ...[
        'extension_status',
        'extension_call',
        'extension_presence',
        'extension_agent_status',
        'queue_agent_status',
        'queue_status',
        'call_cdr',
      ].map((n, i) => stored('portsip', 'UTC', fixture('portsip', n), i + 20)),
      ...[
        'user_inbound',
        'user_inbound_answered',
        'user_inbound_completed',
        'user_outbound_answered',
        'user_outbound_completed',
        'queue_call',
      ].map((n, i) => stored('voipcloud', 'Australia/Sydney', fixture('voipcloud', n), i + 40)),
    ];
    const ctx = { ...CTX, timezone: 'Australia/Sydney' };
    const clean = timelines(events, ctx);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: events.length }),
        fc.array(fc.nat(events.length - 1)),
        (shuffled, dups) => {
          expect(timelines([...shuffled, ...dups.map((d) => events[d])], ctx)).toEqual(clean);
        },
      ),
      { numRuns: 100 },
    );
  });
});

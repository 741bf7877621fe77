import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getVendorAdapter } from '@app/vendors';
import { CallEvent, FoldContext, foldCall } from './call-sessions.reducer';

type Json = Record<string, unknown>;
type Vendor = CallEvent['vendor'];

const VENDORS_DIR = join(__dirname, '..', '..', '..', 'vendors');
const fixture = (vendor: Vendor, name: string): Json =>
  JSON.parse(readFileSync(join(VENDORS_DIR, vendor, '__fixtures__', `${name}.json`), 'utf8')) as Json;

const EXT = /^\d{2,5}$/;

function context(timezone: string, now: string, queueNumbers: string[] = []): FoldContext {
  return { timezone, extensionPattern: EXT, queueNumbers: new Set(queueNumbers), now: new Date(now) };
}

/**
 * Stored events as the projection would load them: type and occurredAt come from the vendor
 * adapter (so zone-less Nexbro times get the DST rules), positions follow the list order.
 */
function stored(vendor: Vendor, timezone: string, payloads: readonly Json[], firstPosition = 1): CallEvent[] {
  return payloads.map((payload, i) => {
    const parsed = getVendorAdapter(vendor).parse(payload, { timezone, extensionPattern: EXT });
    return {
      position: String(firstPosition + i),
      vendor,
      type: parsed.type,
      occurredAt: parsed.occurredAt,
      receivedAt: new Date(Date.UTC(2030, 0, 1) + i * 1000),
      payload,
    };
  });
}

/** The fold with every Date as an ISO string, for readable expectations. */
function folded(id: string, events: readonly CallEvent[], ctx: FoldContext) {
  const r = foldCall(id, events, ctx);
  if (r === null) return null;
  const dates = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as T;
  return { call: dates(r.call), legs: r.legs.map(dates) };
}

// ---------------------------------------------------------------------------------------------
// PortSIP

const PS_SESSION = '885337248273272832';
const PS_CTX = context('Pacific/Auckland', '2024-09-09T02:00:00Z', ['8000']);
const cdr = (): Json => fixture('portsip', 'call_cdr');
const targetOf = (i: number): Json => (cdr()['call_targets'] as Json[])[i];
/** A live cdr_target_* event for call_targets[i] of the example, as it would look at that stage. */
const targetEvent = (type: string, i: number, changes: Json = {}): Json => {
  const { ring_duration: _r, talk_duration: _t, ...target } = targetOf(i);
  return { event_type: type, session_id: PS_SESSION, ...target, ...changes };
};

describe('PortSIP', () => {
  it('folds the call_cdr example by hand: DID 18800606, IVR 5000 → queue 8000 → agent 102', () => {
    const r = folded(PS_SESSION, stored('portsip', 'UTC', [cdr()]), PS_CTX);
    expect(r).toEqual({
      call: {
        vendorCallId: PS_SESSION,
        sessionId: PS_SESSION,
        direction: 'INBOUND', // the CDR says "inbound"
        status: 'COMPLETED',
        disposition: 'ANSWERED',
        callerNumber: '1888722',
        callerName: '1888722',
        calleeNumber: '5000',
        didNumber: '18800606',
        answeredBy: '102', // the IVR (648) and the queue (655) answered first, but they are not people
        queue: '8000',
        ringGroup: null,
        trunk: '122:883631675865563136',
        endReason: 'callee_disconnect',
        digits: null,
        startedAt: '2024-09-09T01:34:08.000Z', // 1725845648
        answeredAt: '2024-09-09T01:34:22.000Z', // 1725845662, agent 102
        endedAt: '2024-09-09T01:34:29.000Z', // 1725845669
        ringSeconds: 14, // first ringing 648 → person answer 662
        talkSeconds: 21, // the vendor's talk_duration (a number here)
        holdSeconds: null, // PortSIP reports no hold
        durationSeconds: 21, // 669 − 648
        recordingUrl: null,
        lastEventAt: '2024-09-09T01:34:29.000Z',
      },
      legs: [
        {
          ordinal: 0,
          destination: '5000',
          kind: 'ivr', // answered at once and referred the caller on
          status: 'answered',
          startedAt: '2024-09-09T01:34:08.000Z',
          answeredAt: '2024-09-09T01:34:08.000Z',
          endedAt: '2024-09-09T01:34:15.000Z',
          ringSeconds: 0,
          talkSeconds: 7,
          endReason: 'referred',
        },
        {
          ordinal: 1,
          destination: '8000',
          kind: 'queue', // normal_call, but a known queue number
          status: 'answered',
          startedAt: '2024-09-09T01:34:15.000Z',
          answeredAt: '2024-09-09T01:34:15.000Z',
          endedAt: '2024-09-09T01:34:22.000Z',
          ringSeconds: 0,
          talkSeconds: 7,
          endReason: 'referred',
        },
        {
          ordinal: 2,
          destination: '102',
          kind: 'extension',
          status: 'answered',
          startedAt: '2024-09-09T01:34:16.000Z',
          answeredAt: '2024-09-09T01:34:22.000Z',
          endedAt: '2024-09-09T01:34:29.000Z',
          ringSeconds: 6,
          talkSeconds: 7,
          endReason: null,
        },
      ],
    });
  });

  it('without the queue in ctx.queueNumbers, 8000 looks like another IVR (documented heuristic)', () => {
    const r = folded(PS_SESSION, stored('portsip', 'UTC', [cdr()]), { ...PS_CTX, queueNumbers: new Set() });
    expect(r?.legs.map((l) => l.kind)).toEqual(['ivr', 'ivr', 'extension']);
    expect(r?.call).toMatchObject({ queue: null, answeredBy: '102' });
    // call_type alone is enough too.
    const typed = cdr();
    (typed['call_targets'] as Json[])[1]['call_type'] = 'queue_call';
    expect(
      folded(PS_SESSION, stored('portsip', 'UTC', [typed]), { ...PS_CTX, queueNumbers: new Set() })?.call.queue,
    ).toBe('8000');
  });

  const livePayloads = (): Json[] => [
    {
      event_type: 'call_start',
      session_id: PS_SESSION,
      call_id: 'zw6DDIua5lyVCtcLsI1Gnw..',
      caller: 'sip:1888722@192.168.1.93',
      caller_display_name: '1888722',
      callee: '5000',
      direction: 'inbound',
      did: '18800606',
      time: '1725845648',
    },
    targetEvent('cdr_target_answer', 0, { ended_time: '0', status: '', end_reason: '' }),
    targetEvent('cdr_target_end', 0),
    targetEvent('cdr_target_answer', 1, { ended_time: '0', status: '', end_reason: '' }),
    targetEvent('cdr_target_ringing', 2, { answered_time: '0', ended_time: '0', status: '', end_reason: '' }),
  ];

  it('live events only: IN_PROGRESS, no disposition, the agent still ringing', () => {
    const r = folded(PS_SESSION, stored('portsip', 'UTC', livePayloads()), PS_CTX);
    expect(r?.call).toMatchObject({
      status: 'IN_PROGRESS',
      disposition: null,
      direction: 'INBOUND',
      callerNumber: '1888722',
      didNumber: '18800606',
      startedAt: '2024-09-09T01:34:08.000Z',
      // Only the IVR and the queue have answered so far: the first system answer stands in.
      answeredAt: '2024-09-09T01:34:08.000Z',
      answeredBy: 'ivr:5000',
      ringSeconds: 0,
      endedAt: null,
      talkSeconds: null,
      queue: '8000',
    });
  });

  it('live, then call_cdr: COMPLETED and exactly the CDR-only record', () => {
    const live = stored('portsip', 'UTC', livePayloads());
    const withCdr = [...live, ...stored('portsip', 'UTC', [cdr()], 100)];
    expect(folded(PS_SESSION, withCdr, PS_CTX)).toEqual(folded(PS_SESSION, stored('portsip', 'UTC', [cdr()]), PS_CTX));
    expect(folded(PS_SESSION, withCdr, PS_CTX)?.call.status).toBe('COMPLETED');
  });

  /** An internal call 100 → 101 (or outbound 100 → 0412...) that ended without an answer. */
  const failedCdr = (code: number | string, callee: string, direction: string): Json => ({
    event_type: 'call_cdr',
    session_id: '900000000000000001',
    call_id: 'abc',
    caller: '100',
    caller_display_name: 'Front desk',
    callee,
    direction,
    start_time: '1725845000',
    ring_time: '1725845001',
    answered_time: '0',
    ended_time: '1725845004',
    call_status: 'fail',
    status_code: code,
    trunk_name: direction === 'out' ? 'carrier-a' : '',
    end_reason: 'None',
    did: '',
    ring_duration: '3',
    talk_duration: '0',
    call_targets: [
      {
        call_type: 'normal_call',
        start_time: '1725845000',
        ring_time: '1725845001',
        answered_time: '0',
        ended_time: '1725845004',
        id: '1',
        caller: '100',
        callee,
        destination: `sip:${callee}@10.0.0.9`,
        status: 'fail',
        status_code: code,
        end_reason: '',
        ring_duration: 3,
        talk_duration: 0,
      },
    ],
  });

  it('SIP 486 is BUSY', () => {
    const r = folded('900000000000000001', stored('portsip', 'UTC', [failedCdr(486, '101', 'ext')]), PS_CTX);
    expect(r?.call).toMatchObject({
      direction: 'INTERNAL',
      status: 'COMPLETED',
      disposition: 'BUSY',
      answeredAt: null,
      answeredBy: null,
      ringSeconds: 3, // 1001 → end 1004
      talkSeconds: 0,
      durationSeconds: 4,
      trunk: null,
      endReason: null,
    });
    expect(r?.legs).toEqual([expect.objectContaining({ destination: '101', kind: 'extension', status: 'busy' })]);
  });

  it('SIP 503 (as a string) is FAILED', () => {
    const r = folded('900000000000000001', stored('portsip', 'UTC', [failedCdr('503', '0412345678', 'out')]), PS_CTX);
    expect(r?.call).toMatchObject({ direction: 'OUTBOUND', disposition: 'FAILED', trunk: 'carrier-a', talkSeconds: 0 });
    expect(r?.legs).toEqual([
      expect.objectContaining({ destination: '0412345678', kind: 'external', status: 'failed' }),
    ]);
  });

  it('caller hung up while the agent rang after the queue: ABANDONED, answered only by the IVR', () => {
    const c = cdr();
    const targets = c['call_targets'] as Json[];
    Object.assign(targets[1], { end_reason: 'caller_disconnect', ended_time: '1725845660' });
    Object.assign(targets[2], {
      answered_time: '0',
      ended_time: '1725845660',
      status: 'noanswer',
      end_reason: 'cancelled',
      talk_duration: '0',
    });
    Object.assign(c, { ended_time: '1725845660', ended_reason: 'caller_disconnect', talk_duration: '12' });
    const r = folded(PS_SESSION, stored('portsip', 'UTC', [c]), PS_CTX);
    expect(r?.call).toMatchObject({
      disposition: 'ABANDONED',
      answeredBy: 'ivr:5000',
      answeredAt: '2024-09-09T01:34:08.000Z',
      ringSeconds: 0,
      talkSeconds: 12,
      durationSeconds: 12,
    });
    expect(r?.legs.map((l) => l.status)).toEqual(['answered', 'answered', 'no_answer']);
  });
});

// ---------------------------------------------------------------------------------------------
// Nexbro

const NX_ID = 'a0d8f7c2-1b1e-4bb4-9a43-1a2b3c4d5e6f';
const NY = 'America/New_York';
const nexbro = (event: string, timestamp: string, changes: Json = {}): Json => ({
  event,
  call_uuid: NX_ID,
  call_session_uuid: NX_ID,
  caller_id_number: '2125550100',
  destination_number: '201',
  timestamp,
  ...changes,
});

describe('Nexbro', () => {
  // 2026-03-08: New York springs forward at 02:00 EST → 03:00 EDT, so the wall clock jumps an hour
  // between the ringing and the answer, but only 10 real seconds pass.
  const dstCall = (): Json[] => [
    nexbro('CALL_ROUTED', '2026-03-08 01:59:50', { destination_number: '8005550199' }),
    nexbro('CALL_RINGING', '2026-03-08 01:59:55'),
    nexbro('CALL_ANSWER', '2026-03-08 03:00:05'),
    nexbro('CALL_INPUT', '2026-03-08 03:00:10', { digit: '1', digit_duration: '120' }),
    nexbro('CALL_INPUT', '2026-03-08 03:00:12', { digit: '23', digit_duration: '90' }),
    nexbro('CALL_HOLD', '2026-03-08 03:01:00'),
    nexbro('CALL_UNHOLD', '2026-03-08 03:01:30'),
    nexbro('CALL_HANGUP', '2026-03-08 03:02:05'),
  ];
  const NX_CTX = context(NY, '2026-03-08T12:00:00Z');

  it('folds an inbound call across the spring-forward gap by hand', () => {
    const r = folded(NX_ID, stored('nexbro', NY, dstCall()), NX_CTX);
    expect(r).toEqual({
      call: {
        vendorCallId: NX_ID,
        sessionId: NX_ID,
        direction: 'INBOUND', // external caller, no vendor direction
        status: 'COMPLETED',
        disposition: 'ANSWERED',
        callerNumber: '2125550100',
        callerName: null,
        calleeNumber: '8005550199',
        didNumber: '8005550199',
        answeredBy: '201',
        queue: null,
        ringGroup: null,
        trunk: null,
        endReason: null,
        digits: '123',
        startedAt: '2026-03-08T06:59:50.000Z', // 01:59:50 EST
        answeredAt: '2026-03-08T07:00:05.000Z', // 03:00:05 EDT
        endedAt: '2026-03-08T07:02:05.000Z',
        ringSeconds: 10,
        talkSeconds: 120, // hold included
        holdSeconds: 30,
        durationSeconds: 135,
        recordingUrl: null,
        lastEventAt: '2026-03-08T07:02:05.000Z',
      },
      legs: [
        {
          ordinal: 0,
          destination: '201',
          kind: 'extension',
          status: 'answered',
          startedAt: '2026-03-08T06:59:55.000Z',
          answeredAt: '2026-03-08T07:00:05.000Z',
          endedAt: '2026-03-08T07:02:05.000Z',
          ringSeconds: 10,
          talkSeconds: 120,
          endReason: null,
        },
      ],
    });
  });

  it('keeps digits in time order whatever the arrival order, and ends an open hold at hang-up', () => {
    const payloads = dstCall().filter((p) => p['event'] !== 'CALL_UNHOLD');
    const events = stored('nexbro', NY, payloads).reverse();
    const r = folded(NX_ID, events, NX_CTX);
    expect(r?.call).toMatchObject({ digits: '123', holdSeconds: 65 }); // 03:01:00 → 03:02:05
  });

  it('a call still ringing whose last event is 7 h before now is COMPLETED (silent) and NO_ANSWER', () => {
    const events = stored('nexbro', NY, [
      nexbro('CALL_ROUTED', '2026-07-01 09:00:00', { destination_number: '8005550199' }),
      nexbro('CALL_RINGING', '2026-07-01 09:00:02'),
    ]);
    // 09:00:02 EDT = 13:00:02Z; now is 7 h later.
    const r = folded(NX_ID, events, context(NY, '2026-07-01T20:00:02Z'));
    expect(r?.call).toMatchObject({
      status: 'COMPLETED',
      disposition: 'NO_ANSWER',
      answeredAt: null,
      endedAt: null, // not invented
      ringSeconds: null,
      talkSeconds: 0,
      holdSeconds: 0,
      durationSeconds: null,
      lastEventAt: '2026-07-01T13:00:02.000Z',
    });
    expect(r?.legs).toEqual([expect.objectContaining({ destination: '201', status: 'no_answer', endedAt: null })]);
    // Five hours of silence is not enough.
    expect(folded(NX_ID, events, context(NY, '2026-07-01T18:00:02Z'))?.call).toMatchObject({
      status: 'IN_PROGRESS',
      disposition: null,
    });
  });

  it('an extension calling out is OUTBOUND; a hang-up cause gives BUSY / ABANDONED', () => {
    const out = (cause: string): CallEvent[] =>
      stored('nexbro', NY, [
        nexbro('CALL_ROUTED', '2026-01-27 12:02:30', { caller_id_number: '234', destination_number: '8556900900' }),
        nexbro('CALL_RINGING', '2026-01-27 12:02:31', { caller_id_number: '234', destination_number: '8556900900' }),
        nexbro('CALL_HANGUP', '2026-01-27 12:02:40', {
          caller_id_number: '234',
          destination_number: '8556900900',
          hangup_cause: cause,
        }),
      ]);
    const busy = folded(NX_ID, out('USER_BUSY'), NX_CTX);
    expect(busy?.call).toMatchObject({
      direction: 'OUTBOUND',
      disposition: 'BUSY',
      endReason: 'user_busy',
      ringSeconds: 9,
    });
    expect(busy?.legs).toEqual([expect.objectContaining({ kind: 'external', status: 'no_answer' })]);
    expect(folded(NX_ID, out('ORIGINATOR_CANCEL'), NX_CTX)?.call.disposition).toBe('ABANDONED');
    expect(folded(NX_ID, out('NORMAL_CLEARING'), NX_CTX)?.call.disposition).toBe('NO_ANSWER');
  });

  it('the PBX answering the dialled number itself is an IVR; the agent after it is the answer', () => {
    const r = folded(
      NX_ID,
      stored('nexbro', NY, [
        nexbro('CALL_ROUTED', '2026-01-27 12:00:00', { destination_number: '8005550199' }),
        nexbro('CALL_ANSWER', '2026-01-27 12:00:01', { destination_number: '8005550199' }),
        nexbro('CALL_INPUT', '2026-01-27 12:00:05', { destination_number: '8005550199', digit: '2' }),
        nexbro('CALL_RINGING', '2026-01-27 12:00:06', { destination_number: '202' }),
        nexbro('CALL_RINGING', '2026-01-27 12:00:06', { destination_number: '203' }),
        nexbro('CALL_ANSWER', '2026-01-27 12:00:09', { destination_number: '203' }),
        nexbro('CALL_HANGUP', '2026-01-27 12:01:09', { destination_number: '203' }),
      ]),
      NX_CTX,
    );
    expect(r?.call).toMatchObject({ answeredBy: '203', ringSeconds: 3, talkSeconds: 60, digits: '2' });
    expect(r?.legs.map((l) => [l.destination, l.kind, l.status, l.endedAt])).toEqual([
      ['8005550199', 'ivr', 'answered', '2026-01-27T17:00:09.000Z'],
      ['202', 'extension', 'no_answer', '2026-01-27T17:00:09.000Z'],
      ['203', 'extension', 'answered', '2026-01-27T17:01:09.000Z'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// VoIPcloud

const SYD = 'Australia/Sydney';
const VC_CTX = context(SYD, '2026-01-27T03:00:00Z');

describe('VoIPcloud', () => {
  it('inbound via queue Sales rings 201 and 203, 201 answers, then completed', () => {
    const [alice, carol] = JSON.parse(
      readFileSync(join(VENDORS_DIR, 'voipcloud', '__fixtures__', 'batch.json'), 'utf8'),
    ) as Json[];
    const events = stored('voipcloud', SYD, [
      alice,
      carol,
      fixture('voipcloud', 'user_inbound_answered'),
      fixture('voipcloud', 'user_inbound_completed'),
    ]);
    expect(folded('1769472150.1234', events, VC_CTX)).toEqual({
      call: {
        vendorCallId: '1769472150.1234',
        sessionId: '1769472150.1234',
        direction: 'INBOUND',
        status: 'COMPLETED',
        disposition: 'ANSWERED',
        callerNumber: '+61290001234',
        callerName: 'ACME PTY LTD',
        calleeNumber: '+61280001000',
        didNumber: '+61280001000',
        answeredBy: '201',
        queue: 'Sales',
        ringGroup: null,
        trunk: null,
        endReason: null,
        digits: null,
        startedAt: '2026-01-27T01:02:30.000Z', // 12:02:30+11:00
        answeredAt: '2026-01-27T01:02:41.000Z',
        endedAt: '2026-01-27T01:04:05.000Z', // start + call_duration 95 (zone-less Sydney time)
        ringSeconds: 11,
        talkSeconds: 84, // conversation_duration "84"
        holdSeconds: null,
        durationSeconds: 95,
        recordingUrl: null,
        lastEventAt: '2026-01-27T01:04:05.000Z',
      },
      legs: [
        {
          ordinal: 0,
          destination: '201',
          kind: 'extension',
          status: 'answered',
          startedAt: '2026-01-27T01:02:30.000Z',
          answeredAt: '2026-01-27T01:02:41.000Z',
          endedAt: '2026-01-27T01:04:05.000Z',
          ringSeconds: 11,
          talkSeconds: 84,
          endReason: null,
        },
        {
          ordinal: 1,
          destination: '203',
          kind: 'extension',
          status: 'no_answer',
          startedAt: '2026-01-27T01:02:30.000Z',
          answeredAt: null,
          endedAt: '2026-01-27T01:02:41.000Z', // stopped ringing when 201 answered
          ringSeconds: 11,
          talkSeconds: 0,
          endReason: null,
        },
      ],
    });
    // Before the completion arrives the call is still open.
    expect(folded('1769472150.1234', events.slice(0, 3), VC_CTX)?.call).toMatchObject({
      status: 'IN_PROGRESS',
      answeredBy: '201',
      endedAt: null,
      talkSeconds: null,
    });
  });

  it('a queue_call summary with status abandoned is ABANDONED', () => {
    const summary = {
      ...fixture('voipcloud', 'queue_call'),
      status: 'abandoned',
      user_name: null,
      user_number: '',
      connected_at: 'null',
      call_duration: 40,
      conversation_duration: 0,
    };
    const r = folded('1769476800.88', stored('voipcloud', SYD, [summary]), VC_CTX);
    expect(r?.call).toMatchObject({
      status: 'COMPLETED',
      disposition: 'ABANDONED',
      answeredAt: null,
      answeredBy: null,
      queue: 'Sales',
      startedAt: '2026-01-27T01:20:00.000Z',
      endedAt: '2026-01-27T01:20:40.000Z',
      ringSeconds: 40,
      talkSeconds: 0,
      durationSeconds: 40,
      endReason: 'abandoned',
    });
    expect(r?.legs).toEqual([
      expect.objectContaining({
        destination: 'Sales',
        kind: 'queue',
        status: 'abandoned',
        ringSeconds: 40,
        talkSeconds: 0,
      }),
    ]);
  });

  it('a ring group that timed out into voicemail is VOICEMAIL', () => {
    const rg = { ...fixture('voipcloud', 'ring_group_call'), status: 'timedout' };
    const r = folded('1769477100.91', stored('voipcloud', SYD, [rg, fixture('voipcloud', 'voicemail')]), VC_CTX);
    expect(r?.call).toMatchObject({
      status: 'COMPLETED',
      disposition: 'VOICEMAIL',
      answeredBy: 'voicemail',
      answeredAt: '2026-01-27T01:26:10.000Z',
      ringGroup: 'Support',
      startedAt: '2026-01-27T01:25:00.000Z',
      endedAt: '2026-01-27T01:26:10.000Z', // the voicemail outlasts the ring group's 32 s
      durationSeconds: 70,
    });
    expect(r?.legs.map((l) => [l.destination, l.kind, l.status])).toEqual([
      ['Support', 'ring_group', 'timed_out'],
      ['voicemail', 'voicemail', 'answered'],
    ]);
  });

  it('outbound with conversation_duration as a string, and the recording link', () => {
    const link = 'https://recordings.example.com/1769476500.77.mp3';
    const events = stored('voipcloud', SYD, [
      fixture('voipcloud', 'user_outbound'),
      fixture('voipcloud', 'user_outbound_answered'),
      { ...fixture('voipcloud', 'user_outbound_completed'), call_duration: '70', conversation_duration: '61' },
      { ...fixture('voipcloud', 'recording_outbound'), call_recording_link: link },
    ]);
    const r = folded('1769476500.77', events, VC_CTX);
    expect(r?.call).toMatchObject({
      direction: 'OUTBOUND',
      status: 'COMPLETED',
      disposition: 'ANSWERED',
      callerNumber: '202',
      callerName: 'Bob',
      calleeNumber: '0412345678',
      didNumber: null,
      answeredBy: '0412345678',
      startedAt: '2026-01-27T01:15:00.000Z',
      answeredAt: '2026-01-27T01:15:09.500Z',
      endedAt: '2026-01-27T01:16:10.000Z',
      ringSeconds: 10, // 9.5 s, rounded half up
      talkSeconds: 61,
      durationSeconds: 70,
      recordingUrl: link,
    });
    expect(r?.legs).toEqual([
      expect.objectContaining({ destination: '0412345678', kind: 'external', status: 'answered', talkSeconds: 61 }),
    ]);
  });

  it('a call known only from a voicemail (no start time) gives null', () => {
    expect(foldCall('1769477100.91', stored('voipcloud', SYD, [fixture('voipcloud', 'voicemail')]), VC_CTX)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Common rules

describe('foldCall in general', () => {
  it('ignores unknown and non-call event types', () => {
    const base = stored('portsip', 'UTC', [cdr()]);
    const noise: CallEvent[] = [
      { ...base[0], position: '7', type: 'queue_caller_status', payload: { event_type: 'queue_caller_status' } },
      { ...base[0], position: '8', type: 'something_new', occurredAt: null, payload: { event_type: 'something_new' } },
    ];
    expect(foldCall(PS_SESSION, [...noise, ...base], PS_CTX)).toEqual(foldCall(PS_SESSION, base, PS_CTX));
    expect(foldCall(PS_SESSION, noise, PS_CTX)).toBeNull();
    expect(foldCall(PS_SESSION, [], PS_CTX)).toBeNull();
  });

  it('sorts positions as numbers, not as text', () => {
    // Same second, same type: only the position orders the two digits.
    const [a, b] = stored('nexbro', NY, [
      nexbro('CALL_INPUT', '2026-01-27 12:00:05', { digit: '4' }),
      nexbro('CALL_INPUT', '2026-01-27 12:00:05', { digit: '5' }),
    ]);
    const events = [
      { ...a, position: '9' },
      { ...b, position: '10' },
    ];
    expect(foldCall(NX_ID, events, context(NY, '2026-01-27T18:00:00Z'))?.call.digits).toBe('45');
    expect(foldCall(NX_ID, [...events].reverse(), context(NY, '2026-01-27T18:00:00Z'))?.call.digits).toBe('45');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any permutation, with duplicates and re-deliveries, folds to the canonical result.

/** Wall-clock text "YYYY-MM-DD HH:mm:ss" `seconds` after a wall time (no zone arithmetic). */
const wall = (base: number, seconds: number): string =>
  new Date(base + seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');

const nexbroScenario = fc
  .record({
    // Around the New York spring-forward gap (01:59 → 03:00) or an ordinary day.
    base: fc.constantFrom(Date.UTC(2026, 2, 8, 1, 58, 0), Date.UTC(2026, 5, 1, 10, 0, 0)),
    caller: fc.constantFrom('2125550100', '234'),
    dialled: fc.constantFrom('8005550199', '201', '0412345678'),
    rung: fc.uniqueArray(fc.constantFrom('201', '202', '8000', '0412345678', '8005550199'), { maxLength: 3 }),
    answer: fc.option(fc.nat(2)),
    systemAnswer: fc.boolean(),
    digits: fc.array(fc.constantFrom('1', '2', '#', '23'), { maxLength: 3 }),
    holds: fc.array(fc.tuple(fc.nat(40), fc.option(fc.nat(30))), { maxLength: 2 }),
    hangup: fc.boolean(),
    cause: fc.option(fc.constantFrom('USER_BUSY', 'ORIGINATOR_CANCEL', 'NORMAL_CLEARING', 'CALL_REJECTED')),
    gaps: fc.array(fc.nat(5), { minLength: 6, maxLength: 6 }),
  })
  .map((s): CallEvent[] => {
    let t = 0;
    const next = (i: number): string => wall(s.base, (t += s.gaps[i % s.gaps.length]));
    const p = (event: string, destination: string, changes: Json = {}): Json =>
      nexbro(event, next(payloads.length), { caller_id_number: s.caller, destination_number: destination, ...changes });
    const payloads: Json[] = [];
    payloads.push(p('CALL_ROUTED', s.dialled));
    if (s.systemAnswer) payloads.push(p('CALL_ANSWER', s.dialled));
    for (const d of s.rung) payloads.push(p('CALL_RINGING', d));
    for (const digit of s.digits) payloads.push(p('CALL_INPUT', s.dialled, { digit }));
    const answered = s.answer === null ? undefined : s.rung[s.answer % Math.max(1, s.rung.length)];
    if (answered !== undefined) payloads.push(p('CALL_ANSWER', answered));
    for (const [wait, length] of s.holds) {
      t += wait;
      payloads.push(p('CALL_HOLD', answered ?? s.dialled));
      if (length !== null) {
        t += length;
        payloads.push(p('CALL_UNHOLD', answered ?? s.dialled));
      }
    }
    if (s.hangup)
      payloads.push(p('CALL_HANGUP', answered ?? s.dialled, s.cause === null ? {} : { hangup_cause: s.cause }));
    return stored('nexbro', NY, payloads);
  });

const PS_KINDS = [
  { callee: '5000', call_type: 'normal_call' },
  { callee: '8000', call_type: 'normal_call' },
  { callee: '8100', call_type: 'queue_call' },
  { callee: '102', call_type: 'normal_call' },
  { callee: '103', call_type: 'ring_group_call' },
  { callee: '0412345678', call_type: 'normal_call' },
] as const;

const portsipScenario = fc
  .record({
    start: fc.integer({ min: 1_725_000_000, max: 1_726_000_000 }),
    direction: fc.constantFrom('inbound', 'in', 'ext', 'out', 'in2out', ''),
    targets: fc.array(
      fc.record({
        kind: fc.nat(PS_KINDS.length - 1),
        delay: fc.nat(8),
        ring: fc.nat(6),
        outcome: fc.constantFrom('answered', 'noanswer', 'fail'),
        talk: fc.nat(30),
        code: fc.constantFrom(0, 486, 503, 487),
        endReason: fc.constantFrom('referred', 'None', 'caller_disconnect', 'cancelled', 'callee_disconnected'),
      }),
      { maxLength: 4 },
    ),
    withCdr: fc.boolean(),
    withUntimedUpdate: fc.boolean(),
    liveStages: fc.nat(3),
  })
  .map((s): CallEvent[] => {
    const session = `77${s.start}`;
    let at = s.start;
    const targets = s.targets.map((t) => {
      const kind = PS_KINDS[t.kind];
      const start = (at += t.delay);
      const ring = start + (t.ring > 3 ? 0 : t.ring);
      const answered = t.outcome === 'answered' ? ring + t.ring : 0;
      const ended = (answered || ring) + t.talk;
      at = Math.max(at, ended);
      return {
        call_type: kind.call_type,
        callee: kind.callee,
        caller: '1888722',
        destination: `sip:${kind.callee}@10.0.0.1`,
        start_time: String(start),
        ring_time: String(ring),
        answered_time: String(answered),
        ended_time: String(ended),
        id: '1',
        status: t.outcome,
        status_code: t.code,
        end_reason: t.endReason,
        ring_duration: String(ring - start),
        talk_duration: t.outcome === 'answered' ? String(ended - answered) : '0',
      };
    });
    const payloads: Json[] = [
      {
        event_type: 'call_start',
        session_id: session,
        caller: '1888722',
        callee: '5000',
        direction: s.direction,
        time: String(s.start),
      },
    ];
    if (s.withUntimedUpdate) {
      payloads.push({ event_type: 'call_update_info', session_id: session, callee: '8000', did: '18800606' });
    }
    const stages = ['cdr_target_add', 'cdr_target_ringing', 'cdr_target_answer', 'cdr_target_end'];
    for (const target of targets) {
      for (const stage of stages.slice(0, s.liveStages + 1)) {
        if (stage === 'cdr_target_answer' && target.answered_time === '0') continue;
        payloads.push({ event_type: stage, session_id: session, ...target });
      }
    }
    if (s.withCdr) {
      const answered = targets.find((t) => t.answered_time !== '0');
      payloads.push({
        event_type: 'call_cdr',
        session_id: session,
        caller: '1888722',
        caller_display_name: 'Caller',
        callee: '5000',
        direction: s.direction,
        start_time: String(s.start),
        ring_time: String(s.start),
        answered_time: answered?.answered_time ?? '0',
        ended_time: String(at),
        call_status: answered ? 'answered' : 'noanswer',
        status_code: answered ? 0 : (s.targets.at(-1)?.code ?? 0),
        ended_reason: s.targets.at(-1)?.endReason ?? 'None',
        did: '18800606',
        talk_duration: answered ? at - Number(answered.answered_time) : 0,
        call_targets: targets,
      });
    }
    return stored('portsip', 'UTC', payloads);
  });

const voipcloudScenario = fc
  .record({
    users: fc.uniqueArray(fc.constantFrom('201', '202', '203'), { maxLength: 3 }),
    answeredBy: fc.option(fc.nat(2)),
    connectAfter: fc.nat(30),
    talk: fc.nat(120),
    completed: fc.boolean(),
    summary: fc.option(fc.constantFrom('queue_call', 'ring_group_call')),
    summaryStatus: fc.constantFrom('answered', 'abandoned', 'timedout'),
    voicemail: fc.boolean(),
    recording: fc.boolean(),
    component: fc.boolean(),
    outbound: fc.boolean(),
    durationAsString: fc.boolean(),
  })
  .map((s): CallEvent[] => {
    const id = '1769472150.42';
    const start = '2026-01-27T12:02:30'; // zone-less: Sydney wall time
    const connected = `2026-01-27T12:02:${String(30 + Math.min(s.connectAfter, 29)).padStart(2, '0')}+11:00`;
    const secs = (n: number): number | string => (s.durationAsString ? String(n) : n);
    const common = {
      unique_call_id: id,
      caller_id: '+61290001234',
      caller_name: 'ACME',
      dest_number: '+61280001000',
      call_start_at: start,
    };
    const payloads: Json[] = [];
    if (s.component)
      payloads.push({
        type: 'webhook_component_event',
        unique_call_id: id,
        user_number: '+61290001234',
        call_start_at: start,
        component_name: 'CRM',
      });
    if (s.outbound) {
      const out = {
        unique_call_id: id,
        caller_id: '+61280001000',
        user_name: 'Bob',
        user_number: '202',
        dest_number: '0412345678',
        call_start_at: start,
      };
      payloads.push({ type: 'user_outbound', ...out });
      if (s.answeredBy !== null) payloads.push({ type: 'user_outbound_answered', ...out, connected_at: connected });
      if (s.completed) {
        payloads.push({
          type: 'user_outbound_completed',
          ...out,
          connected_at: s.answeredBy === null ? null : connected,
          call_duration: secs(s.connectAfter + s.talk),
          conversation_duration: secs(s.answeredBy === null ? 0 : s.talk),
        });
      }
      if (s.recording)
        payloads.push({
          type: 'recording_outbound',
          ...out,
          recorded_at: '2026-01-27T12:10:00+11:00',
          call_recording_link: 'https://r/1',
        });
      return stored('voipcloud', SYD, payloads);
    }
    const answerer = s.answeredBy === null ? undefined : s.users[s.answeredBy % Math.max(1, s.users.length)];
    const queue =
      s.summary === 'queue_call'
        ? { queue_name: 'Sales' }
        : s.summary === 'ring_group_call'
          ? { ring_group_name: 'Support' }
          : {};
    for (const user of s.users)
      payloads.push({ type: 'user_inbound', ...common, ...queue, user_name: `U${user}`, user_number: user });
    if (answerer !== undefined) {
      payloads.push({
        type: 'user_inbound_answered',
        ...common,
        ...queue,
        user_number: answerer,
        connected_at: connected,
      });
      if (s.completed) {
        payloads.push({
          type: 'user_inbound_completed',
          ...common,
          user_number: answerer,
          connected_at: connected,
          call_duration: secs(s.connectAfter + s.talk),
          conversation_duration: secs(s.talk),
        });
      }
    }
    if (s.summary !== null) {
      const answered = s.summaryStatus === 'answered' && answerer !== undefined;
      payloads.push({
        type: s.summary,
        ...common,
        ...queue,
        user_number: answered ? answerer : null,
        connected_at: answered ? connected : null,
        call_duration: secs(s.connectAfter + s.talk),
        conversation_duration: secs(answered ? s.talk : 0),
        status: answered ? 'answered' : s.summaryStatus === 'answered' ? 'abandoned' : s.summaryStatus,
      });
    }
    if (s.voicemail)
      payloads.push({
        type: 'voicemail',
        unique_call_id: id,
        caller_id: '+61290001234',
        recorded_at: '2026-01-27T12:08:00+11:00',
      });
    if (s.recording)
      payloads.push({
        type: 'recording_inbound',
        unique_call_id: id,
        recorded_at: '2026-01-27 12:09:00',
        call_recording_link: 'https://r/2',
      });
    return stored('voipcloud', SYD, payloads);
  });

/** The events in any order, with exact duplicates and later re-deliveries (new position, later receipt). */
function shuffledWithDuplicates(events: CallEvent[]): fc.Arbitrary<CallEvent[]> {
  if (events.length === 0) return fc.constant([]);
  return fc
    .tuple(fc.array(fc.nat(events.length - 1), { maxLength: 4 }), fc.array(fc.nat(events.length - 1), { maxLength: 4 }))
    .chain(([copies, redeliveries]) => {
      const all = [
        ...events,
        ...copies.map((i) => events[i]),
        ...redeliveries.map((i, k) => ({
          ...events[i],
          position: String(10_000 + k),
          receivedAt: new Date(events[i].receivedAt.getTime() + 3_600_000 * (k + 1)),
          payload: structuredClone(events[i].payload),
        })),
      ];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    });
}

describe('order independence (fast-check)', () => {
  const cases: Array<[string, fc.Arbitrary<CallEvent[]>, FoldContext]> = [
    ['nexbro', nexbroScenario, context(NY, '2026-03-08T09:00:00Z', ['8000'])],
    ['portsip', portsipScenario, context('UTC', '2024-09-10T00:00:00Z', ['8000'])],
    ['voipcloud', voipcloudScenario, context(SYD, '2026-01-27T01:05:00Z')],
  ];

  it.each(cases)('%s: a permutation with duplicates folds like the canonical order', (_vendor, scenario, ctx) => {
    fc.assert(
      fc.property(
        scenario.chain((events) => fc.tuple(fc.constant(events), shuffledWithDuplicates(events))),
        ([canonical, shuffled]) => {
          expect(foldCall('call-1', shuffled, ctx)).toStrictEqual(foldCall('call-1', canonical, ctx));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(cases)('%s: every scenario with a start folds to a sane row', (_vendor, scenario, ctx) => {
    const startless = new Set(['voicemail', 'recording_inbound', 'recording_outbound']);
    fc.assert(
      fc.property(scenario, (events) => {
        const r = foldCall('call-1', events, ctx);
        if (r === null) {
          expect(events.every((e) => startless.has(e.type))).toBe(true);
          return;
        }
        expect(r.legs.map((l) => l.ordinal)).toEqual(r.legs.map((_, i) => i));
        for (const n of [r.call.ringSeconds, r.call.talkSeconds, r.call.durationSeconds, r.call.holdSeconds]) {
          if (n !== null) expect(Number.isInteger(n) && n >= 0).toBe(true);
        }
        if (r.call.status === 'IN_PROGRESS') expect(r.call.disposition).toBeNull();
        else expect(r.call.disposition).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it.each(cases)('%s: the generator reaches varied outcomes', (_vendor, scenario, ctx) => {
    const outcomes = new Set(
      fc.sample(scenario, { numRuns: 400, seed: 42 }).map((events) => {
        const r = foldCall('call-1', events, ctx);
        return r === null ? 'none' : `${r.call.status}/${r.call.disposition}`;
      }),
    );
    expect(outcomes.size).toBeGreaterThanOrEqual(4);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NEXBRO_EVENT_TYPES,
  nexbroAdapter,
  nexbroCallFacts,
  nexbroCallState,
  nexbroDirection,
  nexbroDurationSeconds,
  nexbroEventDirection,
  nexbroHangupCause,
  nexbroHangupOutcome,
  nexbroSessionId,
  nexbroRegistrationState,
  parseNexbro,
} from './index';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as Record<string, unknown>;

// Nexbro's examples come from an Indian deployment; the wall time 12:02:30 IST is 06:32:30 UTC.
const ctx = { timezone: 'Asia/Kolkata' };
const AT = '2026-01-27T06:32:30.000Z';
const CALL = 'c63fe6f8-0f61-4896-87a2-adc05e06ac36';

describe('Nexbro documented examples', () => {
  it.each([
    ['extension_register_success', 'EXTENSION_REGISTER_SUCCESS', null, '234'],
    ['extension_register_failure', 'EXTENSION_REGISTER_FAILURE', null, '234'],
    ['extension_unregister', 'EXTENSION_UNREGISTER', null, '234'],
    ['call_routed', 'CALL_ROUTED', CALL, null],
    ['call_ringing', 'CALL_RINGING', CALL, null], // 8556900900 is an external number
    ['call_answer', 'CALL_ANSWER', CALL, null],
    ['call_hangup', 'CALL_HANGUP', CALL, null],
    ['call_input', 'CALL_INPUT', CALL, null],
    ['call_hold', 'CALL_HOLD', CALL, null],
    ['call_unhold', 'CALL_UNHOLD', CALL, null],
  ])('%s', (file, type, callKey, extension) => {
    const payload = fixture(file);
    const e = nexbroAdapter.parse(payload, ctx);
    expect(e).toEqual({
      type,
      recognized: true,
      problems: [],
      occurredAt: new Date(AT),
      dedupKey: expect.stringMatching(/^h:[0-9a-f]{64}$/),
      callKey,
      sessionKey: callKey,
      extension,
      queue: null,
    });
    expect(e.occurredAt?.toISOString()).toBe(AT);
    // Stable: parsing again, or a retry with keys reversed and re-indented, gives the same key.
    expect(parseNexbro(payload, ctx).dedupKey).toBe(e.dedupKey);
    const retried = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(payload).reverse()), null, 4));
    expect(parseNexbro(retried, ctx).dedupKey).toBe(e.dedupKey);
  });

  it('covers every documented type', () => {
    expect(NEXBRO_EVENT_TYPES).toHaveLength(10);
  });

  it('gives the ten examples (all in the same second) ten different dedup keys', () => {
    const files = [
      'extension_register_success',
      'extension_register_failure',
      'extension_unregister',
      'call_routed',
      'call_ringing',
      'call_answer',
      'call_hangup',
      'call_input',
      'call_hold',
      'call_unhold',
    ];
    const keys = new Set(files.map((f) => parseNexbro(fixture(f), ctx).dedupKey));
    expect(keys.size).toBe(10);
  });

  it('two different DTMF inputs in the same second get different keys; a retry does not', () => {
    const one = { ...fixture('call_input'), digit: '1' };
    const two = { ...fixture('call_input'), digit: '2' };
    expect(parseNexbro(one, ctx).dedupKey).not.toBe(parseNexbro(two, ctx).dedupKey);
    expect(parseNexbro({ ...one }, ctx).dedupKey).toBe(parseNexbro(one, ctx).dedupKey);
  });

  it('reads the zone-less timestamp in the source zone', () => {
    const p = fixture('call_answer');
    expect(parseNexbro(p, { timezone: 'America/New_York' }).occurredAt?.toISOString()).toBe('2026-01-27T17:02:30.000Z');
    expect(parseNexbro(p, { timezone: 'UTC' }).occurredAt?.toISOString()).toBe('2026-01-27T12:02:30.000Z');
  });
});

describe('Nexbro variants', () => {
  it('matches the type case-insensitively with whitespace and reports the canonical spelling', () => {
    const e = parseNexbro({ ...fixture('call_answer'), event: '  call_Answer ' }, ctx);
    expect(e).toMatchObject({ type: 'CALL_ANSWER', recognized: true });
  });

  it('accepts numbers where the tables show digits', () => {
    const e = parseNexbro({ ...fixture('extension_register_success'), extension: 234, port: 32855 }, ctx);
    expect(e).toMatchObject({ recognized: true, extension: '234' });
    const input = parseNexbro({ ...fixture('call_input'), digit: 5, digit_duration: 2000 }, ctx);
    expect(input.recognized).toBe(true);
  });

  it('names the ringing/answering extension when the destination looks like one', () => {
    const ringing = parseNexbro({ ...fixture('call_ringing'), destination_number: '101' }, ctx);
    expect(ringing.extension).toBe('101');
    const answered = parseNexbro({ ...fixture('call_answer'), destination_number: '101' }, ctx);
    expect(answered.extension).toBe('101');
    const hangup = parseNexbro({ ...fixture('call_hangup'), destination_number: '101' }, ctx);
    expect(hangup.extension).toBeNull();
  });

  it('uses the tenant extension pattern when given', () => {
    const p = { ...fixture('call_ringing'), destination_number: '123456' };
    expect(parseNexbro(p, ctx).extension).toBeNull();
    expect(parseNexbro(p, { ...ctx, extensionPattern: /^\d{6}$/g }).extension).toBe('123456');
  });

  it('falls back to call_uuid when call_session_uuid is absent, keeps it when different', () => {
    const p = fixture('call_answer');
    delete p['call_session_uuid'];
    expect(parseNexbro(p, ctx)).toMatchObject({ recognized: true, callKey: CALL, sessionKey: CALL });
    const transfer = parseNexbro({ ...fixture('call_answer'), call_uuid: 'leg-2' }, ctx);
    expect(transfer).toMatchObject({ callKey: 'leg-2', sessionKey: CALL });
  });

  it('resolves DST-ambiguous local timestamps (earlier instant) and gaps (forward)', () => {
    const ny = { timezone: 'America/New_York' };
    const overlap = parseNexbro({ ...fixture('call_answer'), timestamp: '2026-11-01 01:30:00' }, ny);
    expect(overlap.occurredAt?.toISOString()).toBe('2026-11-01T05:30:00.000Z');
    const gap = parseNexbro({ ...fixture('call_answer'), timestamp: '2026-03-08 02:30:00' }, ny);
    expect(gap.occurredAt?.toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });

  it('accepts an ISO timestamp with an offset', () => {
    const e = parseNexbro({ ...fixture('call_answer'), timestamp: '2026-01-27T12:02:30+05:30' }, { timezone: 'UTC' });
    expect(e.occurredAt?.toISOString()).toBe(AT);
  });
});

describe('broken Nexbro payloads are stored flagged, never thrown', () => {
  const broken = (changes: Record<string, unknown>, base = 'call_answer'): Record<string, unknown> => {
    const p = { ...fixture(base), ...changes };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete p[k];
    return p;
  };

  it.each([
    ['missing event', broken({ event: undefined }), /missing "event"/],
    ['numeric event', broken({ event: 7 }), /"event" is not a string/],
    ['unknown event', broken({ event: 'CALL_TELEPORT' }), /unknown event type "CALL_TELEPORT"/],
    ['missing call_uuid', broken({ call_uuid: undefined }), /"call_uuid" is missing/],
    ['empty call_uuid', broken({ call_uuid: '' }), /"call_uuid" is missing/],
    ['object call_uuid', broken({ call_uuid: { id: 1 } }), /"call_uuid" must be a string/],
    ['array call_session_uuid', broken({ call_session_uuid: ['x'] }), /"call_session_uuid" must be a string/],
    ['missing timestamp', broken({ timestamp: undefined }), /"timestamp" is missing/],
    ['null timestamp', broken({ timestamp: null }), /"timestamp" is missing/],
    ['garbage timestamp', broken({ timestamp: 'yesterday-ish' }), /"timestamp" not an ISO 8601/],
    ['impossible timestamp', broken({ timestamp: '2026-02-30 12:00:00' }), /"timestamp" invalid date-time/],
    ['numeric timestamp', broken({ timestamp: 1769515350 }), /"timestamp" expected a date-time string/],
    ['boolean destination', broken({ destination_number: true }), /"destination_number" must be a string/],
    ['object digit', broken({ digit: { d: 1 } }, 'call_input'), /"digit" must be a string/],
    ['text digit_duration', broken({ digit_duration: 'long' }, 'call_input'), /"digit_duration" must be a number/],
    ['missing extension', broken({ extension: undefined }, 'extension_unregister'), /"extension" is missing/],
    ['object extension', broken({ extension: {} }, 'extension_register_success'), /"extension" must be a string/],
    ['numeric user_agent', broken({ user_agent: 5 }, 'extension_register_failure'), /"user_agent" must be a string/],
  ])('%s', (_label, payload, problem) => {
    const e = parseNexbro(payload, ctx);
    expect(e.recognized).toBe(false);
    expect(e.problems.join('; ')).toMatch(problem);
    expect(e.dedupKey).toMatch(/^h:/);
  });

  it('keeps what it could read from a partly broken event', () => {
    const e = parseNexbro({ ...fixture('call_answer'), timestamp: 'garbage' }, ctx);
    expect(e).toMatchObject({ type: 'CALL_ANSWER', recognized: false, callKey: CALL, occurredAt: null });
  });

  it('flags a zone-less timestamp when the source has no valid time zone', () => {
    const e = parseNexbro(fixture('call_answer'), { timezone: 'Not/AZone' });
    expect(e.recognized).toBe(false);
    expect(e.problems.join()).toMatch(/time zone/);
  });
});

describe('Nexbro normalise helpers', () => {
  it('nexbroDirection maps the REST CDR spellings', () => {
    expect(['local', 'Inbound', ' outbound ', 'sideways', null].map(nexbroDirection)).toEqual([
      'INTERNAL',
      'INBOUND',
      'OUTBOUND',
      'UNKNOWN',
      'UNKNOWN',
    ]);
  });

  it('nexbroDurationSeconds reads "HH:MM:SS", "MM:SS" and seconds', () => {
    expect(['00:00:45', '01:02:03', '02:05', '45', 45, 'abc', '1:99:00'].map(nexbroDurationSeconds)).toEqual([
      45,
      3723,
      125,
      45,
      45,
      null,
      null,
    ]);
  });

  it('nexbroRegistrationState and nexbroCallState', () => {
    expect(nexbroRegistrationState('EXTENSION_REGISTER_SUCCESS')).toBe('ONLINE');
    expect(nexbroRegistrationState('EXTENSION_UNREGISTER')).toBe('OFFLINE');
    expect(nexbroRegistrationState('EXTENSION_REGISTER_FAILURE')).toBeNull();
    expect(
      ['CALL_RINGING', 'CALL_ANSWER', 'CALL_HOLD', 'CALL_UNHOLD', 'CALL_HANGUP', 'CALL_INPUT'].map(nexbroCallState),
    ).toEqual(['RINGING', 'TALKING', 'HOLD', 'TALKING', 'ENDED', null]);
  });

  it('nexbroCallFacts', () => {
    expect(nexbroCallFacts({ ...fixture('call_input'), digit: '12#' })).toEqual({
      caller: '234',
      callee: '8556900900',
      digits: '12#',
    });
    expect(nexbroCallFacts(null)).toEqual({ caller: null, callee: null, digits: null });
  });
});

describe('Nexbro call helpers', () => {
  it('nexbroSessionId, nexbroEventDirection and nexbroHangupCause', () => {
    expect(nexbroSessionId(fixture('call_answer'))).toBe(CALL);
    expect(nexbroSessionId({})).toBeNull();
    expect(nexbroEventDirection(fixture('call_answer'))).toBe('UNKNOWN'); // the webhooks send none
    expect(nexbroEventDirection({ direction: 'local' })).toBe('INTERNAL');
    expect(nexbroHangupCause(fixture('call_hangup'))).toBeNull();
    expect(nexbroHangupCause({ hangup_cause: ' USER_BUSY ' })).toBe('USER_BUSY');
  });

  it('nexbroHangupOutcome', () => {
    expect(
      [
        'USER_BUSY',
        'originator cancel',
        'NO_ANSWER',
        'NORMAL_CLEARING',
        'CALL_REJECTED',
        '486',
        '503',
        '487',
        '200',
        'weird',
        null,
      ].map(nexbroHangupOutcome),
    ).toEqual([
      'BUSY',
      'CANCELLED',
      'NO_ANSWER',
      'NORMAL',
      'FAILED',
      'BUSY',
      'FAILED',
      'CANCELLED',
      'NORMAL',
      null,
      null,
    ]);
  });
});

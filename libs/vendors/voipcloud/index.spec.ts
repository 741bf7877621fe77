import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseVoipcloud,
  VOIPCLOUD_EVENT_TYPES,
  voipcloudAdapter,
  voipcloudCallFacts,
  voipcloudCallTimes,
  voipcloudDirection,
  voipcloudRecordedAt,
  voipcloudSeconds,
  voipcloudSummaryStatus,
  voipcloudValue,
} from './index';

type Json = Record<string, unknown>;
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8'));
const obj = (name: string): Json => fixture(name) as Json;
// Zone-less fixture times are Sydney wall time (+11:00 in January).
const ctx = { timezone: 'Australia/Sydney' };

const INBOUND = '1769472150.1234';
const OUTBOUND = '1769476500.77';
const QUEUED = '1769476800.88';
const RING_GROUP = '1769477100.91';

describe('VoIPcloud examples (synthesised from the documented field lists)', () => {
  it.each([
    ['user_inbound', '2026-01-27T01:02:30.000Z', INBOUND, '201', 'Sales'],
    ['user_inbound_answered', '2026-01-27T01:02:41.000Z', INBOUND, '201', 'Sales'],
    ['user_inbound_completed', '2026-01-27T01:04:05.000Z', INBOUND, '201', null], // zone-less start + "95"
    ['user_outbound', '2026-01-27T01:15:00.000Z', OUTBOUND, '202', null],
    ['user_outbound_answered', '2026-01-27T01:15:09.500Z', OUTBOUND, '202', null],
    ['user_outbound_completed', '2026-01-27T01:16:10.000Z', OUTBOUND, '202', null], // start + 70
    ['queue_call', '2026-01-27T01:23:00.000Z', QUEUED, '201', 'Sales'], // start + 180
    ['ring_group_call', '2026-01-27T01:25:32.000Z', RING_GROUP, null, 'Support'], // start + "32", abandoned
    ['voicemail', '2026-01-27T01:26:10.000Z', RING_GROUP, null, null],
    ['recording_inbound', '2026-01-27T01:23:01.000Z', QUEUED, null, null], // "YYYY-MM-DD HH:mm:ss", zone-less
    ['recording_outbound', '2026-01-27T01:16:11.000Z', OUTBOUND, '202', null],
    ['webhook_component_event', '2026-01-27T01:30:00.000Z', '1769477400.12', null, null], // user_number is the caller
  ])('%s', (type, occurredAt, callKey, extension, queue) => {
    const payload = obj(type);
    const e = voipcloudAdapter.parse(payload, ctx);
    expect(e).toEqual({
      type,
      recognized: true,
      problems: [],
      occurredAt: new Date(occurredAt),
      dedupKey: expect.stringMatching(/^h:[0-9a-f]{64}$/),
      callKey,
      sessionKey: callKey,
      extension,
      queue,
    });
    expect(e.occurredAt?.toISOString()).toBe(occurredAt);
    const retried = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(payload).reverse()), null, 2));
    expect(parseVoipcloud(retried, ctx).dedupKey).toBe(e.dedupKey);
  });

  it('covers every documented type', () => {
    expect(VOIPCLOUD_EVENT_TYPES).toHaveLength(12);
  });

  it('stores the older inbound_call_to_user schema as an unrecognised type', () => {
    const e = parseVoipcloud(fixture('legacy_inbound_call_to_user'), ctx);
    expect(e).toMatchObject({ type: 'inbound_call_to_user', recognized: false, occurredAt: null, callKey: null });
    expect(e.problems).toEqual(['older VoIPcloud schema "inbound_call_to_user" is not supported']);
  });

  it('rejects a batch array as a whole; each element parses on its own with distinct keys', () => {
    const batch = fixture('batch') as Json[];
    expect(parseVoipcloud(batch, ctx)).toMatchObject({ type: 'unknown', recognized: false });
    const [a, b] = batch.map((p) => parseVoipcloud(p, ctx));
    expect(a).toMatchObject({ recognized: true, callKey: INBOUND, extension: '201' });
    expect(b).toMatchObject({ recognized: true, callKey: INBOUND, extension: '203' });
    expect(a?.occurredAt).toEqual(b?.occurredAt);
    expect(a?.dedupKey).not.toBe(b?.dedupKey);
  });

  it('zone-less times follow the source zone; times with an offset do not', () => {
    const completed = obj('user_inbound_completed');
    expect(parseVoipcloud(completed, { timezone: 'UTC' }).occurredAt?.toISOString()).toBe('2026-01-27T12:04:05.000Z');
    const inbound = obj('user_inbound');
    expect(parseVoipcloud(inbound, { timezone: 'UTC' }).occurredAt?.toISOString()).toBe('2026-01-27T01:02:30.000Z');
  });
});

describe('VoIPcloud variants', () => {
  it.each([[null], [''], ['null'], ['NULL'], [undefined]])('treats %p as a missing value', (missing) => {
    const p = { ...obj('user_inbound'), queue_name: missing, ring_group_name: missing, caller_name: missing };
    const e = parseVoipcloud(p, ctx);
    expect(e).toMatchObject({ recognized: true, queue: null });
  });

  it('user_inbound through a ring group names the ring group as the queue', () => {
    const e = parseVoipcloud({ ...obj('user_inbound'), queue_name: null, ring_group_name: 'Support' }, ctx);
    expect(e.queue).toBe('Support');
  });

  it('accepts durations as numbers or strings', () => {
    const asNumber = parseVoipcloud(
      { ...obj('user_inbound_completed'), call_duration: 95, conversation_duration: 84 },
      ctx,
    );
    expect(asNumber.occurredAt?.toISOString()).toBe('2026-01-27T01:04:05.000Z');
  });

  it('completed without call_duration ends at connected_at + conversation_duration, else the latest known time', () => {
    const base = obj('user_inbound_completed');
    const noCall = parseVoipcloud({ ...base, call_duration: 'null' }, ctx);
    expect(noCall).toMatchObject({ recognized: true });
    expect(noCall.occurredAt?.toISOString()).toBe('2026-01-27T01:04:05.000Z'); // 12:02:41 + 84
    const noDurations = parseVoipcloud({ ...base, call_duration: null, conversation_duration: '' }, ctx);
    expect(noDurations.occurredAt?.toISOString()).toBe('2026-01-27T01:02:41.000Z');
    const unanswered = parseVoipcloud({ ...base, call_duration: null, connected_at: null }, ctx);
    expect(unanswered.occurredAt?.toISOString()).toBe('2026-01-27T01:02:30.000Z');
  });

  it('matches types case-insensitively and trimmed', () => {
    expect(parseVoipcloud({ ...obj('queue_call'), type: ' Queue_Call ' }, ctx)).toMatchObject({
      type: 'queue_call',
      recognized: true,
    });
  });

  it('resolves zone-less times on DST days (Sydney overlap → earlier, gap → forward)', () => {
    const overlap = parseVoipcloud({ ...obj('user_inbound'), call_start_at: '2026-04-05T02:30:00' }, ctx);
    expect(overlap.occurredAt?.toISOString()).toBe('2026-04-04T15:30:00.000Z');
    const gap = parseVoipcloud({ ...obj('user_inbound'), call_start_at: '2026-10-04 02:30:00' }, ctx);
    expect(gap.occurredAt?.toISOString()).toBe('2026-10-03T16:30:00.000Z');
  });

  it('a user ringing twice in the same second for the same call differs only by user: distinct keys', () => {
    const a = parseVoipcloud(obj('user_inbound'), ctx);
    const b = parseVoipcloud({ ...obj('user_inbound'), user_number: '203', user_name: 'Carol' }, ctx);
    expect(a.dedupKey).not.toBe(b.dedupKey);
  });
});

describe('broken VoIPcloud payloads are stored flagged, never thrown', () => {
  const without = (p: Json, key: string): Json => {
    const copy = { ...p };
    delete copy[key];
    return copy;
  };

  it.each([
    ['missing type', without(obj('user_inbound'), 'type'), /missing "type"/],
    ['numeric type', { ...obj('user_inbound'), type: 3 }, /"type" is not a string/],
    ['missing unique_call_id', without(obj('user_inbound'), 'unique_call_id'), /"unique_call_id" is missing/],
    ['"null" unique_call_id', { ...obj('user_inbound'), unique_call_id: 'null' }, /"unique_call_id" is missing/],
    ['object unique_call_id', { ...obj('user_inbound'), unique_call_id: {} }, /"unique_call_id" must be a string/],
    ['missing call_start_at', without(obj('user_inbound'), 'call_start_at'), /"call_start_at" is missing/],
    ['garbage call_start_at', { ...obj('user_inbound'), call_start_at: 'Tuesday' }, /"call_start_at" not an ISO 8601/],
    [
      'unix call_start_at',
      { ...obj('user_outbound'), call_start_at: 1769476500 },
      /"call_start_at" expected a date-time string/,
    ],
    [
      'impossible call_start_at',
      { ...obj('user_outbound'), call_start_at: '2026-02-31T10:00:00Z' },
      /"call_start_at" invalid date-time/,
    ],
    [
      'answered without connected_at',
      { ...obj('user_inbound_answered'), connected_at: '' },
      /"connected_at" is missing/,
    ],
    ['garbage connected_at', { ...obj('queue_call'), connected_at: 'soon' }, /"connected_at" not an ISO 8601/],
    [
      'text call_duration',
      { ...obj('queue_call'), call_duration: 'three minutes' },
      /"call_duration" must be a non-negative number/,
    ],
    [
      'negative conversation_duration',
      { ...obj('queue_call'), conversation_duration: -4 },
      /"conversation_duration" must be a non-negative number/,
    ],
    ['voicemail without recorded_at', without(obj('voicemail'), 'recorded_at'), /"recorded_at" is missing/],
    [
      'recording with garbage recorded_at',
      { ...obj('recording_outbound'), recorded_at: '2026-01-27' },
      /"recorded_at" date without a time/,
    ],
    ['user_number as object', { ...obj('user_outbound'), user_number: { n: 1 } }, /"user_number" must be a string/],
    ['queue_name as number', { ...obj('queue_call'), queue_name: 8000 }, /"queue_name" must be a string/],
    ['status as boolean', { ...obj('ring_group_call'), status: false }, /"status" must be a string/],
  ])('%s', (_label, payload, problem) => {
    const e = parseVoipcloud(payload, ctx);
    expect(e.recognized).toBe(false);
    expect(e.problems.join('; ')).toMatch(problem);
  });

  it('flags zone-less times when the source zone is invalid', () => {
    const e = parseVoipcloud(obj('recording_inbound'), { timezone: 'Australia/Nowhere' });
    expect(e.recognized).toBe(false);
    expect(e.problems.join()).toMatch(/time zone/);
  });
});

describe('VoIPcloud normalise helpers', () => {
  it('voipcloudValue and voipcloudSeconds fold the null spellings', () => {
    expect([null, '', 'null', 'x', 0].map(voipcloudValue)).toEqual([null, null, null, 'x', 0]);
    expect([95, '95', 'null', '', null, 'abc', -1].map(voipcloudSeconds)).toEqual([
      95,
      95,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('voipcloudDirection comes from the type', () => {
    expect(VOIPCLOUD_EVENT_TYPES.map((t) => [t, voipcloudDirection(t)])).toEqual([
      ['user_inbound', 'INBOUND'],
      ['user_inbound_answered', 'INBOUND'],
      ['user_inbound_completed', 'INBOUND'],
      ['user_outbound', 'OUTBOUND'],
      ['user_outbound_answered', 'OUTBOUND'],
      ['user_outbound_completed', 'OUTBOUND'],
      ['queue_call', 'INBOUND'],
      ['ring_group_call', 'INBOUND'],
      ['voicemail', 'INBOUND'],
      ['recording_inbound', 'INBOUND'],
      ['recording_outbound', 'OUTBOUND'],
      ['webhook_component_event', 'UNKNOWN'],
    ]);
  });

  it('voipcloudSummaryStatus', () => {
    expect(['answered', 'ABANDONED', 'timedout', 'timed_out', 'busy', null].map(voipcloudSummaryStatus)).toEqual([
      'ANSWERED',
      'ABANDONED',
      'TIMED_OUT',
      'TIMED_OUT',
      null,
      null,
    ]);
  });

  it('voipcloudCallTimes and voipcloudRecordedAt', () => {
    const t = voipcloudCallTimes(obj('queue_call'), ctx);
    expect([t.startedAt, t.answeredAt, t.endedAt].map((d) => d?.toISOString())).toEqual([
      '2026-01-27T01:20:00.000Z',
      '2026-01-27T01:20:25.000Z',
      '2026-01-27T01:23:00.000Z',
    ]);
    expect(voipcloudCallTimes(null, ctx)).toEqual({ startedAt: null, answeredAt: null, endedAt: null });
    expect(voipcloudRecordedAt(obj('recording_inbound'), ctx)?.toISOString()).toBe('2026-01-27T01:23:01.000Z');
    expect(voipcloudRecordedAt([], ctx)).toBeNull();
  });
});

describe('VoIPcloud call facts', () => {
  it('reads parties, names, durations and the summary outcome', () => {
    expect(voipcloudCallFacts('queue_call', obj('queue_call'))).toEqual({
      caller: '+61399990000',
      callerName: null, // ""
      user: '201',
      userName: 'Alice',
      dialled: '+61280001000',
      queueName: 'Sales',
      ringGroupName: null,
      outcome: 'ANSWERED',
      callSeconds: 180,
      talkSeconds: 155,
      recordingLink: null,
    });
    expect(voipcloudCallFacts('user_inbound_completed', obj('user_inbound_completed'))).toMatchObject({
      queueName: null, // "null"
      callSeconds: 95, // "95"
      talkSeconds: 84,
    });
  });

  it('webhook_component_event names the caller in user_number/user_name', () => {
    expect(voipcloudCallFacts('webhook_component_event', obj('webhook_component_event'))).toMatchObject({
      caller: '+61290001234',
      callerName: 'ACME PTY LTD',
      user: null,
      userName: null,
    });
    expect(voipcloudCallFacts('user_inbound', null).caller).toBeNull();
  });
});

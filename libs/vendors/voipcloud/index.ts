import { dedupKeyOf, FieldReader, isRecord, matchEventType, notAnObject, toSeconds } from '../src/fields';
import { addSeconds, isAbsentValue, parseZonedTime } from '../src/time';
import type { CallDirection, ParsedEvent, VendorAdapter, VendorContext } from '../src/types';

export * from './agent-facts';

/** Every webhook event type VoIPcloud documents (field `type`). */
export const VOIPCLOUD_EVENT_TYPES = [
  'user_inbound',
  'user_inbound_answered',
  'user_inbound_completed',
  'user_outbound',
  'user_outbound_answered',
  'user_outbound_completed',
  'queue_call',
  'ring_group_call',
  'voicemail',
  'recording_inbound',
  'recording_outbound',
  'webhook_component_event',
] as const;

/** A documented VoIPcloud event type. */
export type VoipcloudEventType = (typeof VOIPCLOUD_EVENT_TYPES)[number];

// Older installations send a different schema (`inbound_call_to_user`, `from_number`, `exten`,
// `start_at`); it is stored like any unknown type, with a clearer problem message.
const LEGACY_TYPES: ReadonlySet<string> = new Set(['inbound_call_to_user']);

type TimeRule = 'start' | 'connected' | 'end' | 'recorded';

/** Which instant each type reports as its occurred time (see README.md). */
const TIME_RULE: Readonly<Record<VoipcloudEventType, TimeRule>> = {
  user_inbound: 'start',
  user_outbound: 'start',
  // The docs define call_start_at as when the call reached the PBX; the component's own time is
  // not sent, so the call start is the best (lower-bound) instant available.
  webhook_component_event: 'start',
  user_inbound_answered: 'connected',
  user_outbound_answered: 'connected',
  user_inbound_completed: 'end',
  user_outbound_completed: 'end',
  queue_call: 'end',
  ring_group_call: 'end',
  voicemail: 'recorded',
  recording_inbound: 'recorded',
  recording_outbound: 'recorded',
};

// user_number names the User ringing/answering/recording, except in webhook_component_event
// where the docs define it as the caller's CLI.
const USER_IS_EXTENSION: ReadonlySet<string> = new Set([
  'user_inbound',
  'user_inbound_answered',
  'user_inbound_completed',
  'user_outbound',
  'user_outbound_answered',
  'user_outbound_completed',
  'queue_call',
  'ring_group_call',
  'recording_outbound',
]);

/** Start, answer and end instants of a VoIPcloud call event. */
export interface VoipcloudCallTimes {
  startedAt: Date | null;
  answeredAt: Date | null;
  /** call_start_at + call_duration; else connected_at + conversation_duration; else null. */
  endedAt: Date | null;
}

function readCallTimes(
  r: FieldReader,
  zone: string,
  requireStart: boolean,
  requireAnswer: boolean,
): VoipcloudCallTimes {
  const startedAt = r.zonedTime('call_start_at', zone, requireStart);
  const answeredAt = r.zonedTime('connected_at', zone, requireAnswer);
  const callSeconds = r.seconds('call_duration');
  const talkSeconds = r.seconds('conversation_duration');
  const endedAt = addSeconds(startedAt, callSeconds) ?? addSeconds(answeredAt, talkSeconds);
  return { startedAt, answeredAt, endedAt };
}

/**
 * Parses one VoIPcloud webhook payload. Dedup: content hash (no event id is sent). Times are ISO
 * 8601; zone-less ones are wall time in ctx.timezone. Keys: unique_call_id for call and session.
 */
export function parseVoipcloud(payload: unknown, ctx: VendorContext): ParsedEvent {
  if (!isRecord(payload)) return notAnObject(payload);
  const dedupKey = dedupKeyOf(payload);
  const match = matchEventType(payload['type'], 'type', VOIPCLOUD_EVENT_TYPES);
  const base: ParsedEvent = {
    type: match.type,
    recognized: false,
    problems: match.problem === null ? [] : [match.problem],
    occurredAt: null,
    dedupKey,
    callKey: null,
    sessionKey: null,
    extension: null,
    queue: null,
  };
  if (!match.known) {
    if (LEGACY_TYPES.has(match.type.toLowerCase())) {
      base.problems = [`older VoIPcloud schema ${JSON.stringify(match.type)} is not supported`];
    }
    return base;
  }
  const type = match.type as VoipcloudEventType;

  const problems: string[] = [];
  const r = new FieldReader(payload, problems);
  const callId = r.id('unique_call_id', true);
  r.id('caller_id');
  r.text('caller_name');
  r.text('user_name');
  const user = r.id('user_number');
  r.id('dest_number');
  const queueName = r.text('queue_name');
  const ringGroupName = r.text('ring_group_name');
  r.text('status');
  r.text('component_name');
  r.text('emails');
  r.text('email_subject');
  r.text('email_message');
  r.text('call_recording_link');
  r.text('mode');

  const rule = TIME_RULE[type];
  let occurredAt: Date | null;
  if (rule === 'recorded') {
    occurredAt = r.zonedTime('recorded_at', ctx.timezone, true);
  } else {
    const times = readCallTimes(r, ctx.timezone, true, rule === 'connected');
    if (rule === 'start') occurredAt = times.startedAt;
    else if (rule === 'connected') occurredAt = times.answeredAt;
    // Without durations the end is unknown; the answer (or start) is the latest instant known.
    else occurredAt = times.endedAt ?? times.answeredAt ?? times.startedAt;
  }

  let queue: string | null = null;
  if (type === 'queue_call') queue = queueName;
  else if (type === 'ring_group_call') queue = ringGroupName;
  else if (type.startsWith('user_inbound')) queue = queueName ?? ringGroupName;

  return {
    ...base,
    recognized: problems.length === 0,
    problems,
    occurredAt,
    callKey: callId,
    sessionKey: callId,
    extension: USER_IS_EXTENSION.has(type) ? user : null,
    queue,
  };
}

/** The VoIPcloud adapter. */
export const voipcloudAdapter: VendorAdapter = { vendor: 'voipcloud', parse: parseVoipcloud };

/** A field value with VoIPcloud's null spellings (null, "", "null") folded to null. */
export function voipcloudValue(value: unknown): unknown {
  return isAbsentValue(value) ? null : value;
}

/** Seconds from `call_duration`/`conversation_duration` (number or numeric string); null otherwise. */
export function voipcloudSeconds(value: unknown): number | null {
  return isAbsentValue(value) ? null : toSeconds(value);
}

/** Call direction implied by the event type (the payload carries no direction field). */
export function voipcloudDirection(type: string): CallDirection {
  const t = type.trim().toLowerCase();
  if (t.startsWith('user_inbound') || t === 'queue_call' || t === 'ring_group_call') return 'INBOUND';
  if (t === 'voicemail' || t === 'recording_inbound') return 'INBOUND';
  if (t.startsWith('user_outbound') || t === 'recording_outbound') return 'OUTBOUND';
  return 'UNKNOWN';
}

/** Outcome of a queue_call / ring_group_call summary (`status` answered|abandoned|timedout). */
export function voipcloudSummaryStatus(value: unknown): 'ANSWERED' | 'ABANDONED' | 'TIMED_OUT' | null {
  if (typeof value !== 'string') return null;
  switch (
    value
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '')
  ) {
    case 'answered':
      return 'ANSWERED';
    case 'abandoned':
      return 'ABANDONED';
    case 'timedout':
    case 'timeout':
      return 'TIMED_OUT';
    default:
      return null;
  }
}

/** Start, answer and end instants of a call event (zone-less times in `timezone`); never throws. */
export function voipcloudCallTimes(payload: unknown, ctx: VendorContext): VoipcloudCallTimes {
  const r = new FieldReader(isRecord(payload) ? payload : {}, []);
  return readCallTimes(r, ctx.timezone, false, false);
}

/** When a voicemail/recording was recorded (`recorded_at`); null when absent or unreadable. */
export function voipcloudRecordedAt(payload: unknown, ctx: VendorContext): Date | null {
  return isRecord(payload) ? parseZonedTime(payload['recorded_at'], ctx.timezone).value : null;
}

/** Who/what a VoIPcloud call event names, read into neutral names (null for every absent spelling). */
export interface VoipcloudCallFacts {
  /** The caller's CLI: `caller_id`; for `webhook_component_event` the docs put it in `user_number`. */
  caller: string | null;
  /** The caller's CNAM: `caller_name`; for `webhook_component_event` it is `user_name`. */
  callerName: string | null;
  /** The User ringing/answering/calling: `user_number` (null for `webhook_component_event`). */
  user: string | null;
  /** `user_name` (null for `webhook_component_event`). */
  userName: string | null;
  /** `dest_number`: the number dialled (inbound: the DID; outbound: the called party). */
  dialled: string | null;
  queueName: string | null;
  ringGroupName: string | null;
  /** `status` of a queue_call / ring_group_call summary. */
  outcome: 'ANSWERED' | 'ABANDONED' | 'TIMED_OUT' | null;
  /** `call_duration` (total seconds). */
  callSeconds: number | null;
  /** `conversation_duration` (seconds). */
  talkSeconds: number | null;
  /** `call_recording_link` (documented as "pending future development": usually empty). */
  recordingLink: string | null;
}

/** Reads the parties, names, durations and summary outcome of one VoIPcloud event; never throws. */
export function voipcloudCallFacts(type: string, payload: unknown): VoipcloudCallFacts {
  const r = isRecord(payload) ? payload : {};
  const idOf = (key: string): string | null => {
    const v = r[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return typeof v === 'string' && !isAbsentValue(v) ? v.trim() : null;
  };
  // The docs define user_name/user_number of webhook_component_event as the caller's CNAM/CLI.
  const component = type.trim().toLowerCase() === 'webhook_component_event';
  return {
    caller: component ? idOf('user_number') : idOf('caller_id'),
    callerName: component ? idOf('user_name') : idOf('caller_name'),
    user: component ? null : idOf('user_number'),
    userName: component ? null : idOf('user_name'),
    dialled: idOf('dest_number'),
    queueName: idOf('queue_name'),
    ringGroupName: idOf('ring_group_name'),
    outcome: voipcloudSummaryStatus(r['status']),
    callSeconds: voipcloudSeconds(r['call_duration']),
    talkSeconds: voipcloudSeconds(r['conversation_duration']),
    recordingLink: idOf('call_recording_link'),
  };
}

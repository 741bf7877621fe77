import {
  dedupKeyOf,
  FieldReader,
  isRecord,
  looksLikeExtension,
  matchEventType,
  notAnObject,
  toSeconds,
} from '../src/fields';
import type { CallDirection, ParsedEvent, VendorAdapter, VendorContext } from '../src/types';

export * from './agent-facts';

/** Every webhook event type Nexbro documents (field `event`), in their canonical spelling. */
export const NEXBRO_EVENT_TYPES = [
  'EXTENSION_REGISTER_SUCCESS',
  'EXTENSION_REGISTER_FAILURE',
  'EXTENSION_UNREGISTER',
  'CALL_ROUTED',
  'CALL_RINGING',
  'CALL_ANSWER',
  'CALL_HANGUP',
  'CALL_INPUT',
  'CALL_HOLD',
  'CALL_UNHOLD',
] as const;

/** A documented Nexbro event type. */
export type NexbroEventType = (typeof NEXBRO_EVENT_TYPES)[number];

// For these two the docs define destination_number as the party ringing/answering, so it is the
// extension concerned when it looks like one; for the other call events it is the dialled number.
const PARTY_IS_DESTINATION: ReadonlySet<string> = new Set(['CALL_RINGING', 'CALL_ANSWER']);

/**
 * Parses one Nexbro webhook payload. Time: `timestamp`, zone-less PBX local time in ctx.timezone
 * (required). Dedup: content hash (Nexbro sends no event id). Keys: call_uuid, call_session_uuid.
 */
export function parseNexbro(payload: unknown, ctx: VendorContext): ParsedEvent {
  if (!isRecord(payload)) return notAnObject(payload);
  const dedupKey = dedupKeyOf(payload);
  const match = matchEventType(payload['event'], 'event', NEXBRO_EVENT_TYPES);
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
  if (!match.known) return base;

  const problems: string[] = [];
  const r = new FieldReader(payload, problems);
  const occurredAt = r.zonedTime('timestamp', ctx.timezone, true);
  let callKey: string | null = null;
  let sessionKey: string | null = null;
  let extension: string | null = null;

  if (match.type.startsWith('EXTENSION_')) {
    extension = r.id('extension', true);
    r.text('name');
    r.text('ip');
    r.id('port');
    r.text('transport');
    r.text('user_agent');
  } else {
    callKey = r.id('call_uuid', true);
    // A call that is not part of a transfer is its own session.
    sessionKey = r.id('call_session_uuid') ?? callKey;
    r.id('caller_id_number');
    const destination = r.id('destination_number');
    if (PARTY_IS_DESTINATION.has(match.type) && looksLikeExtension(destination, ctx.extensionPattern)) {
      extension = destination;
    }
    if (match.type === 'CALL_INPUT') {
      // The doc example leaves `digit` blank, so an empty digit is accepted; a wrong type is not.
      r.id('digit');
      r.numeric('digit_duration');
    }
  }

  return { ...base, recognized: problems.length === 0, problems, occurredAt, callKey, sessionKey, extension };
}

/** The Nexbro adapter. */
export const nexbroAdapter: VendorAdapter = { vendor: 'nexbro', parse: parseNexbro };

/** Maps the REST CDR `direction` (local|inbound|outbound) to a call direction. */
export function nexbroDirection(value: unknown): CallDirection {
  switch (typeof value === 'string' ? value.trim().toLowerCase() : '') {
    case 'local':
    case 'internal':
      return 'INTERNAL';
    case 'inbound':
      return 'INBOUND';
    case 'outbound':
      return 'OUTBOUND';
    default:
      return 'UNKNOWN';
  }
}

/** Seconds of a REST CDR duration ("00:00:45", "01:02", or plain seconds); null when unreadable. */
export function nexbroDurationSeconds(value: unknown): number | null {
  if (typeof value === 'string') {
    const m = /^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})\s*$/.exec(value);
    if (m) {
      const [hours, minutes, seconds] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
      return minutes < 60 && seconds < 60 ? hours * 3600 + minutes * 60 + seconds : null;
    }
  }
  return toSeconds(value);
}

/** Registration state an extension event implies: ONLINE, OFFLINE, or null (a failed attempt changes nothing). */
export function nexbroRegistrationState(type: string): 'ONLINE' | 'OFFLINE' | null {
  if (type === 'EXTENSION_REGISTER_SUCCESS') return 'ONLINE';
  if (type === 'EXTENSION_UNREGISTER') return 'OFFLINE';
  return null;
}

/** Call state a call event starts: RINGING, TALKING, HOLD, ENDED, or null for routing/DTMF events. */
export function nexbroCallState(type: string): 'RINGING' | 'TALKING' | 'HOLD' | 'ENDED' | null {
  switch (type) {
    case 'CALL_RINGING':
      return 'RINGING';
    case 'CALL_ANSWER':
    case 'CALL_UNHOLD':
      return 'TALKING';
    case 'CALL_HOLD':
      return 'HOLD';
    case 'CALL_HANGUP':
      return 'ENDED';
    default:
      return null;
  }
}

/** Caller, callee and DTMF digits of a call event, as strings (null when absent). */
export function nexbroCallFacts(payload: unknown): {
  caller: string | null;
  callee: string | null;
  digits: string | null;
} {
  const r = new FieldReader(isRecord(payload) ? payload : {}, []);
  return { caller: r.id('caller_id_number'), callee: r.id('destination_number'), digits: r.id('digit') };
}

/** `call_session_uuid` of a call event (groups transferred calls); null when absent. */
export function nexbroSessionId(payload: unknown): string | null {
  return new FieldReader(isRecord(payload) ? payload : {}, []).id('call_session_uuid');
}

/**
 * Direction a call event states itself. The webhooks document no `direction` (only the REST CDR
 * has one), so this is UNKNOWN unless a payload carries `direction` anyway.
 */
export function nexbroEventDirection(payload: unknown): CallDirection {
  return nexbroDirection(isRecord(payload) ? payload['direction'] : undefined);
}

/** `hangup_cause` of a call event, trimmed (documented for the REST CDR only; read when a webhook carries it). */
export function nexbroHangupCause(payload: unknown): string | null {
  return new FieldReader(isRecord(payload) ? payload : {}, []).id('hangup_cause');
}

/** What a hang-up cause says about an unanswered call. */
export type NexbroHangupOutcome = 'NORMAL' | 'BUSY' | 'CANCELLED' | 'NO_ANSWER' | 'FAILED';

/**
 * Classifies a hang-up cause: Q.850-style names (USER_BUSY, ORIGINATOR_CANCEL, NO_ANSWER,
 * NORMAL_CLEARING, CALL_REJECTED...) or a SIP code. Unknown text gives null (no claim is made).
 */
export function nexbroHangupOutcome(cause: string | null): NexbroHangupOutcome | null {
  if (cause === null) return null;
  const key = cause
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  if (/^\d{3}$/.test(key)) {
    const code = Number(key);
    if (code === 486 || code === 600) return 'BUSY';
    if (code === 487) return 'CANCELLED';
    if (code === 408 || code === 480) return 'NO_ANSWER';
    if (code >= 400) return 'FAILED';
    return code >= 200 && code < 300 ? 'NORMAL' : null;
  }
  if (key.includes('BUSY')) return 'BUSY';
  if (key.includes('CANCEL')) return 'CANCELLED';
  if (['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'NOANSWER'].includes(key)) return 'NO_ANSWER';
  if (['NORMAL_CLEARING', 'NORMAL', 'ANSWERED', 'SUCCESS'].includes(key)) return 'NORMAL';
  if (/FAIL|REJECT|UNALLOCATED|NO_ROUTE|CONGESTION|UNAVAILABLE|OUT_OF_ORDER|INVALID|ERROR/.test(key)) return 'FAILED';
  return null;
}

import { isRecord, toSeconds } from '../src/fields';
import { isAbsentValue } from '../src/time';
import type { CallDirection } from '../src/types';

const PLAIN_NUMBER = /^\+?\d+$/;

/**
 * The number of a party given as a plain number ("102"), a SIP/SIPS/tel URI ("sip:102@test.io",
 * "<sip:102@10.0.0.1:5060;transport=tcp>", "tel:+6129...") or "user@host"; null when empty.
 */
export function partyNumber(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  if (PLAIN_NUMBER.test(value)) return value; // the usual case, and what the steps below would give
  let s = value.trim();
  const angle = /<([^>]*)>/.exec(s);
  if (angle) s = (angle[1] ?? '').trim();
  s = s.replace(/^(sips?|tel):/i, '');
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  s = (s.split(';')[0] ?? '').trim();
  try {
    s = decodeURIComponent(s);
  } catch {
    // A stray "%" is not an escape: keep the text as sent.
  }
  return s === '' ? null : s;
}

/** Maps both direction spellings (ext|in|in2out|out, internal|inbound|inbound_outbound|outbound). */
export function portsipDirection(value: unknown): CallDirection {
  switch (typeof value === 'string' ? value.trim().toLowerCase() : '') {
    case 'ext':
    case 'internal':
      return 'INTERNAL';
    case 'in':
    case 'inbound':
      return 'INBOUND';
    case 'out':
    case 'outbound':
      return 'OUTBOUND';
    case 'in2out':
    case 'inbound_outbound':
      return 'TRANSIT';
    default:
      return 'UNKNOWN';
  }
}

/**
 * The end reason of a CDR or target (`end_reason` or `ended_reason`), lower-case, with the
 * "-ed" spellings of caller/callee_disconnect folded; null for "None" or absent.
 */
export function portsipEndReason(record: unknown): string | null {
  if (!isRecord(record)) return null;
  const raw = isAbsentValue(record['end_reason']) ? record['ended_reason'] : record['end_reason'];
  if (typeof raw !== 'string') return null;
  const reason = raw.trim().toLowerCase();
  if (reason === '' || reason === 'none') return null;
  return reason.replace(/^(caller|callee)_disconnected$/, '$1_disconnect');
}

/** The DID of a CDR or target (`did` or `did_cid`); null when empty. */
export function portsipDid(record: unknown): string | null {
  if (!isRecord(record)) return null;
  for (const key of ['did', 'did_cid']) {
    const v = record[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && !isAbsentValue(v)) return v.trim();
  }
  return null;
}

/** Seconds from `talk_duration`/`ring_duration` style fields (number or string); null when unreadable. */
export function portsipSeconds(value: unknown): number | null {
  return toSeconds(value);
}

/** The id of a `call_targets[]` entry (`cdr_id` or `id`). */
export function portsipTargetId(target: unknown): string | null {
  if (!isRecord(target)) return null;
  for (const key of ['cdr_id', 'id']) {
    const v = target[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && !isAbsentValue(v)) return v.trim();
  }
  return null;
}

const QUEUE_CALL_TYPES: ReadonlySet<string> = new Set(['queue_call', 'queue_callback_call']);

/**
 * True when a target's `call_type` says it was a queue call. The PBX also marks queue legs as
 * `normal_call`, so callers must additionally check the callee against the tenant's known queues.
 */
export function portsipIsQueueTarget(target: unknown): boolean {
  if (!isRecord(target)) return false;
  const type = target['call_type'];
  return typeof type === 'string' && QUEUE_CALL_TYPES.has(type.trim().toLowerCase());
}

/** Canonical agent states (METRICS.md AGENT_STATE layer). */
export type AgentState = 'READY' | 'QUEUE_CALL' | 'WRAP_UP' | 'OTHER_CALL' | 'NOT_READY' | 'LOGGED_OUT' | 'OFFLINE';

/** Agent state from "READY"/"Ready"/"Queue Call"...; the PBX's ONLINE means logged out of the queue. */
export function portsipAgentState(value: unknown): AgentState | null {
  if (typeof value !== 'string') return null;
  const key = value
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  switch (key) {
    case 'READY':
    case 'QUEUE_CALL':
    case 'WRAP_UP':
    case 'OTHER_CALL':
    case 'NOT_READY':
    case 'OFFLINE':
      return key;
    case 'ONLINE':
      return 'LOGGED_OUT';
    default:
      return null;
  }
}

/** Canonical presence states (METRICS.md PRESENCE layer). */
export type Presence = 'ONLINE' | 'LUNCH' | 'BUSINESS_TRIP' | 'DO_NOT_DISTURB' | 'AWAY';

/** Presence, with the AVAILABLE spelling folded into ONLINE; null when unknown. */
export function portsipPresence(value: unknown): Presence | null {
  if (typeof value !== 'string') return null;
  const key = value
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  switch (key) {
    case 'AVAILABLE':
    case 'ONLINE':
      return 'ONLINE';
    case 'LUNCH':
    case 'BUSINESS_TRIP':
    case 'DO_NOT_DISTURB':
    case 'AWAY':
      return key;
    default:
      return null;
  }
}

/** Extension call status: ON_CALL (also the doc's "ON_ACLL"), RINGING, or null when idle/empty/unknown. */
export function portsipCallStatus(value: unknown): 'ON_CALL' | 'RINGING' | null {
  if (typeof value !== 'string') return null;
  const key = value.trim().toUpperCase();
  if (key === 'ON_CALL' || key === 'ON_ACLL') return 'ON_CALL';
  if (key === 'RINGING') return 'RINGING';
  return null;
}

/** Why a caller's queue state changed (`updated_callers[].reason`). */
export type QueueCallerReason = 'enqueue' | 'agent_answered' | 'overflow' | 'hangup' | 'callback';

/** The queue caller reason in canonical spelling; null when not one of the five documented values. */
export function portsipQueueCallerReason(value: unknown): QueueCallerReason | null {
  if (typeof value !== 'string') return null;
  const key = value.trim().toLowerCase();
  switch (key) {
    case 'enqueue':
    case 'agent_answered':
    case 'overflow':
    case 'hangup':
    case 'callback':
      return key;
    default:
      return null;
  }
}

import { isRecord, toSeconds, type JsonRecord } from '../src/fields';
import { isAbsentValue, parseUnixSeconds } from '../src/time';
import { partyNumber, portsipQueueCallerReason, type QueueCallerReason } from './normalise';

/**
 * Queue and caller facts of the PortSIP status stream (`queue_status`, `queue_caller_status`,
 * `queue_created|updated|destroy`), read into neutral names so the queue projection never touches
 * a field name. Agent lines (`updated_agents[]`, `agents[]`) are read by portsipQueueAgentFacts
 * (agent-facts.ts). Unreadable values are null; nothing here throws.
 */

/** Which queue a payload is about: `queue_id`, `queue_number`, `queue_name` (each null when absent). */
export interface PortsipQueueIdentity {
  queueId: string | null;
  queueNumber: string | null;
  queueName: string | null;
}

/** The queue a payload names. Only `queue_status` is documented to carry both id and number. */
export function portsipQueueIdentity(payload: unknown): PortsipQueueIdentity {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  return { queueId: id(r['queue_id']), queueNumber: id(r['queue_number']), queueName: text(r['queue_name']) };
}

/** A caller entry: a change (`updated_callers[]`) or a snapshot line (`queue_status` `waiting_list[]`). */
export interface PortsipQueueCallerEntry {
  /** True for a `waiting_list[]` line: the caller is waiting now, and `at` is when it entered. */
  snapshot: boolean;
  sessionId: string | null;
  /** User part of `caller_number`. */
  callerNumber: string | null;
  /** `reason` of a change (null for snapshot lines, and for values that are not one of the five documented). */
  reason: QueueCallerReason | null;
  /** `type` is "callback": the entry stands for a scheduled callback rather than a caller on the line. */
  callback: boolean;
  /** `timestamp`: when the change happened (changes) or when the caller entered (snapshot lines). */
  at: Date | null;
}

/** Every caller entry of a payload (`updated_callers[]` and `waiting_list[]`; non-objects skipped). */
export function portsipQueueCallers(payload: unknown): PortsipQueueCallerEntry[] {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  const read = (entry: JsonRecord, snapshot: boolean): PortsipQueueCallerEntry => ({
    snapshot,
    sessionId: id(entry['session_id']),
    callerNumber: partyNumber(entry['caller_number']),
    reason: snapshot ? null : portsipQueueCallerReason(entry['reason']),
    callback: portsipQueueCallerType(entry['type']) === 'callback',
    at: unix(entry['timestamp']),
  });
  return [
    ...objects(r['updated_callers']).map((e) => read(e, false)),
    ...objects(r['waiting_list']).map((e) => read(e, true)),
  ];
}

/** A waiting caller's `type`: normal or callback; null for anything else (the docs' "normal/callback" placeholder too). */
export function portsipQueueCallerType(value: unknown): 'normal' | 'callback' | null {
  if (typeof value !== 'string') return null;
  const key = value.trim().toLowerCase();
  return key === 'normal' || key === 'callback' ? key : null;
}

/** A `queue_sla_breached` notification: callers of a queue waited past its SLA. */
export interface PortsipSlaBreach {
  queueId: string | null;
  /** User part of `caller`. */
  caller: string | null;
  totalCallersBreached: number | null;
  slaSeconds: number | null;
  waitingCallers: number | null;
  at: Date | null;
}

/** Reads a `queue_sla_breached` payload (counts that are not whole non-negative numbers are null). */
export function portsipSlaBreach(payload: unknown): PortsipSlaBreach {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  const count = (v: unknown) => {
    const n = toSeconds(v);
    return n !== null && Number.isInteger(n) ? n : null;
  };
  return {
    queueId: id(r['queue_id']),
    caller: partyNumber(r['caller']),
    totalCallersBreached: count(r['total_callers_breached']),
    slaSeconds: count(r['sla_time_secs']),
    waitingCallers: count(r['waiting_callers']),
    at: unix(r['timestamp']),
  };
}

function objects(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? (value as unknown[]).filter(isRecord) : [];
}

function text(value: unknown): string | null {
  if (typeof value !== 'string' || isAbsentValue(value)) return null;
  return value.trim();
}

function id(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

function unix(value: unknown): Date | null {
  return parseUnixSeconds(value).value;
}

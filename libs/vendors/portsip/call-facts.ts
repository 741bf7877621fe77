import { isRecord, type JsonRecord } from '../src/fields';
import { isAbsentValue, parseUnixSeconds } from '../src/time';
import type { CallDirection } from '../src/types';
import {
  partyNumber,
  portsipDid,
  portsipDirection,
  portsipEndReason,
  portsipIsQueueTarget,
  portsipSeconds,
  portsipTargetId,
} from './normalise';

/** Outcome of a CDR (`call_status`) or target (`status`): answered | noanswer | fail (| busy). */
export type PortsipOutcome = 'ANSWERED' | 'NO_ANSWER' | 'FAILED' | 'BUSY';

/**
 * One PortSIP call record or call target (a `call_cdr`, a `call_targets[]` entry, a `cdr_target_*`
 * event or a `call_start`/`call_update_info`), with its vendor fields read into neutral names.
 * Unreadable values are null; this never throws.
 */
export interface PortsipLegFacts {
  /** `cdr_id` or `id`. */
  id: string | null;
  /** `call_type`, trimmed and lower-case (callback_call|none|normal_call|queue_call|queue_callback_call|ring_group_call). */
  callType: string | null;
  /** `call_type` says queue_call or queue_callback_call (queues may still say normal_call). */
  queueByType: boolean;
  /** `call_type` says ring_group_call. */
  ringGroupByType: boolean;
  /** `call_type` says callback_call (the PBX calling a queue caller back). */
  callbackByType: boolean;
  /** User part of `caller`. */
  caller: string | null;
  /** `caller_display_name`. */
  callerName: string | null;
  /** User part of `callee`. */
  callee: string | null;
  /** The endpoint reached: user part of `destination`, else of `callee`. */
  party: string | null;
  direction: CallDirection;
  startedAt: Date | null;
  ringAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** `time`: when a call_start/call_update_info was sent (not the call start). */
  time: Date | null;
  /** `call_status` (CDR) or `status` (target). */
  outcome: PortsipOutcome | null;
  /** SIP `status_code`; null for 0 / absent / unreadable. */
  statusCode: number | null;
  /** `end_reason` / `ended_reason` as portsipEndReason gives it. */
  endReason: string | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  did: string | null;
  trunk: string | null;
}

/** A whole PortSIP call record: the call's own facts plus its `call_targets[]`. */
export interface PortsipCallFacts extends PortsipLegFacts {
  sessionId: string | null;
  callId: string | null;
  /** `call_targets[]` entries in the order sent (non-objects skipped); empty when absent. */
  targets: ReadonlyArray<Readonly<PortsipLegFacts>>;
}

// What was read from a payload object, for as long as the object lives: a projection re-folds a
// call from the same parsed payloads batch after batch (call-sessions keeps them between
// batches), and the projections of one round share one batch's payloads. Payloads are never
// changed once parsed, and the facts handed out are read-only (shared between callers).
const legMemo = new WeakMap<object, PortsipLegFacts>();
const callMemo = new WeakMap<object, PortsipCallFacts>();

/** Reads the leg-level facts of one PortSIP record (CDR, target, target event or call_start). */
export function portsipLegFacts(record: unknown): Readonly<PortsipLegFacts> {
  return readOnce(legMemo, readLegFacts, record);
}

/** `read(value)` once per object (a non-object reads as `{}`, every time: there is nothing to key it by). */
function readOnce<T extends object>(memo: WeakMap<object, T>, read: (r: JsonRecord) => T, value: unknown): T {
  if (!isRecord(value)) return read({});
  let facts = memo.get(value);
  if (facts === undefined) memo.set(value, (facts = read(value)));
  return facts;
}

function readLegFacts(r: JsonRecord): PortsipLegFacts {
  const callType = text(r['call_type'])?.toLowerCase() ?? null;
  return {
    id: portsipTargetId(r),
    callType,
    queueByType: portsipIsQueueTarget(r),
    ringGroupByType: callType === 'ring_group_call',
    callbackByType: callType === 'callback_call',
    caller: partyNumber(r['caller']),
    callerName: text(r['caller_display_name']),
    callee: partyNumber(r['callee']),
    party: partyNumber(r['destination']) ?? partyNumber(r['callee']),
    direction: portsipDirection(r['direction']),
    startedAt: unix(r['start_time']),
    ringAt: unix(r['ring_time']),
    answeredAt: unix(r['answered_time']),
    endedAt: unix(r['ended_time']),
    time: unix(r['time']) ?? unix(r['timestamp']),
    outcome: portsipOutcome(isAbsentValue(r['call_status']) ? r['status'] : r['call_status']),
    statusCode: statusCode(r['status_code']),
    endReason: portsipEndReason(r),
    ringSeconds: isAbsentValue(r['ring_duration']) ? null : portsipSeconds(r['ring_duration']),
    talkSeconds: isAbsentValue(r['talk_duration']) ? null : portsipSeconds(r['talk_duration']),
    did: portsipDid(r),
    trunk: text(r['trunk_name']),
  };
}

/** Reads a `call_cdr` (or any call-level payload) with its `call_targets[]`. */
export function portsipCallFacts(payload: unknown): Readonly<PortsipCallFacts> {
  return readOnce(callMemo, readCallFacts, payload);
}

function readCallFacts(r: JsonRecord): PortsipCallFacts {
  const targets = Array.isArray(r['call_targets']) ? (r['call_targets'] as unknown[]).filter(isRecord) : [];
  return {
    ...portsipLegFacts(r),
    sessionId: id(r['session_id']),
    callId: id(r['call_id']),
    targets: targets.map((t) => portsipLegFacts(t)),
  };
}

/** Canonical outcome of `call_status`/`status` (answered, noanswer, fail; busy as a spelling seen in the wild). */
export function portsipOutcome(value: unknown): PortsipOutcome | null {
  const key = text(value)
    ?.toLowerCase()
    .replace(/[\s_-]+/g, '');
  switch (key) {
    case 'answered':
    case 'answer':
      return 'ANSWERED';
    case 'noanswer':
      return 'NO_ANSWER';
    case 'fail':
    case 'failed':
    case 'failure':
      return 'FAILED';
    case 'busy':
      return 'BUSY';
    default:
      return null;
  }
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

// status_code is a number or a numeric string; 0 means "no SIP code".
function statusCode(value: unknown): number | null {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

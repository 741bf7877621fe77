import { isRecord, toBool, type JsonRecord } from '../src/fields';
import { isAbsentValue, parseUnixSeconds } from '../src/time';
import {
  partyNumber,
  portsipAgentState,
  portsipCallStatus,
  portsipPresence,
  type AgentState,
  type Presence,
} from './normalise';

/**
 * Extension and agent facts of the PortSIP status stream (`extension_status|call|presence|
 * agent_status`, `extension_created|updated|destroyed`, the agent lines of `queue_status` and
 * `queue_agent_status`), read into neutral names so the agents projection and the extension
 * directory never touch a field name. Unreadable values are null; nothing here throws.
 */

/** An extension's call activity: on a call, ringing, or explicitly in no call. */
export type PortsipCallActivity = 'ON_CALL' | 'RINGING' | 'IDLE';

/**
 * `call_status` as an activity. The docs define the *empty* value as "not involved in any call",
 * so `""` is IDLE (a statement), whereas a missing field or null says nothing (null). ON_CALL
 * also accepts the docs' "ON_ACLL"; any other text is unknown (null).
 */
export function portsipCallActivity(value: unknown): PortsipCallActivity | null {
  if (typeof value !== 'string') return null;
  const key = value.trim().toUpperCase();
  if (key === '' || key === 'IDLE') return 'IDLE';
  return portsipCallStatus(key);
}

/** One extension's status as a status push states it. */
export interface PortsipExtensionStatusFacts {
  /** User part of `extension` (a SIP URI in every example). */
  extension: string | null;
  extensionId: string | null;
  /** `online`: registered to the PBX (booleans or "true"/"false"). */
  online: boolean | null;
  /** `presence`, canonical (AVAILABLE = ONLINE). */
  presence: Presence | null;
  presenceNote: string | null;
  /** `call_status` (see portsipCallActivity). */
  callActivity: PortsipCallActivity | null;
  /** `time`. */
  at: Date | null;
}

/**
 * The extension statuses of a status push: each `status[]` entry of `extension_status`, or the
 * payload itself for `extension_call|presence|agent_status` (they use the same field names at
 * the top level). A field the message does not carry is null, so e.g. a presence push never
 * claims a call status.
 */
export function portsipExtensionStatuses(payload: unknown): PortsipExtensionStatusFacts[] {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  const entries = Array.isArray(r['status']) ? (r['status'] as unknown[]).filter(isRecord) : [r];
  return entries.map((e) => ({
    extension: partyNumber(e['extension']),
    extensionId: id(e['extension_id']),
    online: isAbsentValue(e['online']) ? null : toBool(e['online']),
    presence: portsipPresence(e['presence']),
    presenceNote: text(e['presence_note']),
    callActivity: portsipCallActivity(e['call_status']),
    at: unix(e['time']),
  }));
}

/** One queue line of `extension_agent_status` (`agent_status[]`). */
export interface PortsipAgentQueueStatus {
  /** `queue_number`. */
  queue: string | null;
  /** `status`, canonical (the PBX's ONLINE = LOGGED_OUT). */
  state: AgentState | null;
}

/** The per-queue agent states of an `extension_agent_status` push (non-objects skipped). */
export function portsipAgentQueueStatuses(payload: unknown): PortsipAgentQueueStatus[] {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  const list = Array.isArray(r['agent_status']) ? (r['agent_status'] as unknown[]).filter(isRecord) : [];
  return list.map((s) => ({ queue: id(s['queue_number']), state: portsipAgentState(s['status']) }));
}

/** An agent line of `queue_agent_status` or of a `queue_status` snapshot. */
export interface PortsipQueueAgentLine {
  /** User part of `agent_extension_number`. */
  agent: string | null;
  /** `state`, canonical; null for removed agents and for unknown spellings. */
  state: AgentState | null;
  /** A `removed_agents[]` entry: the agent is no longer a member of the queue. */
  removed: boolean;
  /** A `queue_status` `agents[]` line: `at` is when the state began, not when it was reported. */
  snapshot: boolean;
  /** The call the agent is on (`session_id`), when any. */
  sessionId: string | null;
  /** `timestamp` (removed agents carry none). */
  at: Date | null;
}

/** The queue and agent lines of a `queue_agent_status` or `queue_status` payload. */
export interface PortsipQueueAgentFacts {
  /** `queue_id` (the only queue key `queue_agent_status` carries). */
  queueId: string | null;
  /** `queue_number` (only `queue_status` carries it). */
  queueNumber: string | null;
  /** `updated_agents[]`, then `agents[]`, then `removed_agents[]`, each in the order sent. */
  agents: PortsipQueueAgentLine[];
}

/** Reads the agent lines of a queue payload (non-objects skipped). */
export function portsipQueueAgentFacts(payload: unknown): PortsipQueueAgentFacts {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  const line = (e: JsonRecord, snapshot: boolean, removed: boolean): PortsipQueueAgentLine => ({
    agent: partyNumber(e['agent_extension_number']),
    state: removed ? null : portsipAgentState(e['state']),
    removed,
    snapshot,
    sessionId: id(e['session_id']),
    at: unix(e['timestamp']),
  });
  return {
    queueId: id(r['queue_id']),
    queueNumber: id(r['queue_number']),
    agents: [
      ...objects(r['updated_agents']).map((e) => line(e, false, false)),
      ...objects(r['agents']).map((e) => line(e, true, false)),
      ...objects(r['removed_agents']).map((e) => line(e, false, true)),
    ],
  };
}

/** What `extension_created|updated|destroyed` says about an extension. */
export interface PortsipExtensionRecord {
  /** `extension_number`. */
  number: string | null;
  extensionId: string | null;
  /** `disp_name`. */
  name: string | null;
  username: string | null;
  email: string | null;
  /** `department` (omitted by the PBX when none is configured). */
  department: string | null;
  /** `enabled` (booleans or "true"/"false"). */
  enabled: boolean | null;
}

/** Reads an extension management payload. */
export function portsipExtensionRecord(payload: unknown): PortsipExtensionRecord {
  const r: JsonRecord = isRecord(payload) ? payload : {};
  return {
    number: partyNumber(id(r['extension_number'])),
    extensionId: id(r['extension_id']),
    name: text(r['disp_name']),
    username: text(r['username']),
    email: text(r['email']),
    department: text(r['department']),
    enabled: isAbsentValue(r['enabled']) ? null : toBool(r['enabled']),
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

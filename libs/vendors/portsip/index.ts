import {
  dedupKeyOf,
  FieldReader,
  isRecord,
  latest,
  looksLikeExtension,
  matchEventType,
  notAnObject,
  single,
} from '../src/fields';
import type { ParsedEvent, VendorAdapter, VendorContext } from '../src/types';
import { partyNumber, portsipIsQueueTarget } from './normalise';

export * from './normalise';
export * from './call-facts';
export * from './agent-facts';
export * from './queue-facts';

/** Event types of the CDR webhook / `cdr_events` topic. */
export const PORTSIP_CDR_EVENT_TYPES = [
  'call_start',
  'call_update_info',
  'cdr_target_add',
  'cdr_target_ringing',
  'cdr_target_answer',
  'cdr_target_noanswer',
  'cdr_target_fail',
  'cdr_target_end',
  'call_cdr',
] as const;

/** Event types of the extension/queue topics (WSI, or the "Extension events" webhook). */
export const PORTSIP_STATUS_EVENT_TYPES = [
  'extension_created',
  'extension_updated',
  'extension_destroyed',
  'extension_status',
  'extension_call',
  'extension_presence',
  'extension_agent_status',
  'queue_created',
  'queue_updated',
  'queue_destroy',
  'queue_status',
  'queue_caller_status',
  'queue_agent_status',
  'queue_sla_breached',
] as const;

/** Every PortSIP event type, canonical spelling. */
export const PORTSIP_EVENT_TYPES = [...PORTSIP_CDR_EVENT_TYPES, ...PORTSIP_STATUS_EVENT_TYPES] as const;

/** A documented PortSIP event type. */
export type PortsipEventType = (typeof PORTSIP_EVENT_TYPES)[number];

// The docs name the queue removal "queue_destroy" while every other removal ends in "-ed".
const TYPE_ALIASES: Readonly<Record<string, string>> = { queue_destroyed: 'queue_destroy' };

/** Fields that may carry the per-event UUID the docs promise but never name. */
export const PORTSIP_EVENT_ID_FIELDS = ['event_id', 'uuid'] as const;

const CALL_TIME_FIELDS = ['start_time', 'ring_time', 'answered_time', 'ended_time'] as const;

/**
 * The time fields that say when each event happened, best first; a field holding "0" ("did not
 * happen") falls through to the next. Every type finally falls back to `time`, then `timestamp`.
 */
const TIME_CHAIN: Readonly<Record<string, readonly string[]>> = {
  call_start: ['start_time', 'time'],
  // No documented time of its own: an update without `time` is placed at the call's start.
  call_update_info: ['time', 'timestamp', 'start_time'],
  call_cdr: ['ended_time', 'start_time'],
  cdr_target_add: ['start_time'],
  cdr_target_ringing: ['ring_time', 'start_time'],
  cdr_target_answer: ['answered_time', 'start_time'],
  cdr_target_noanswer: ['ended_time', 'start_time'],
  cdr_target_fail: ['ended_time', 'start_time'],
  cdr_target_end: ['ended_time', 'start_time'],
};

interface Facts {
  occurredAt?: Date | null;
  callKey?: string | null;
  sessionKey?: string | null;
  extension?: string | null;
  queue?: string | null;
}

/** Reads each Unix-seconds field once, so a field validated twice reports one problem. */
class Times {
  private readonly seen = new Map<string, Date | null>();
  constructor(private readonly r: FieldReader) {}

  /** The instant in `key` (null when absent, "0" or garbage). */
  get(key: string): Date | null {
    if (!this.seen.has(key)) this.seen.set(key, this.r.unixTime(key));
    return this.seen.get(key) ?? null;
  }

  /** The first usable instant among `keys`. */
  first(keys: readonly string[]): Date | null {
    for (const key of keys) {
      const at = this.get(key);
      if (at !== null) return at;
    }
    return null;
  }
}

/**
 * Parses one PortSIP payload (CDR webhook, Extension-events webhook or a WSI push). Dedup: the
 * payload's `event_id`/`uuid` if any, else content hash. Times are Unix-second strings; a type
 * with no time of its own (extension/queue management, queue_status snapshots) gets null.
 */
export function parsePortsip(payload: unknown, ctx: VendorContext): ParsedEvent {
  if (!isRecord(payload)) return notAnObject(payload);
  const dedupKey = dedupKeyOf(payload, PORTSIP_EVENT_ID_FIELDS);
  const match = matchEventType(payload['event_type'], 'event_type', PORTSIP_EVENT_TYPES, TYPE_ALIASES);
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
  const times = new Times(r);
  r.id('tenant_id');
  const facts = readFacts(match.type, r, times, ctx);
  const occurredAt = facts.occurredAt ?? times.first(['time', 'timestamp']);
  return {
    ...base,
    recognized: problems.length === 0,
    problems,
    occurredAt,
    callKey: facts.callKey ?? null,
    sessionKey: facts.sessionKey ?? null,
    extension: facts.extension ?? null,
    queue: facts.queue ?? null,
  };
}

function readFacts(type: string, r: FieldReader, times: Times, ctx: VendorContext): Facts {
  switch (type) {
    case 'call_start':
    case 'call_update_info':
    case 'call_cdr':
      return readCall(type, r, times);
    case 'cdr_target_add':
    case 'cdr_target_ringing':
    case 'cdr_target_answer':
    case 'cdr_target_noanswer':
    case 'cdr_target_fail':
    case 'cdr_target_end':
      return readTargetEvent(type, r, times, ctx);
    case 'extension_created':
    case 'extension_updated':
    case 'extension_destroyed':
      return readExtensionManagement(r);
    case 'extension_status':
      return readExtensionStatus(r);
    case 'extension_call':
    case 'extension_presence':
    case 'extension_agent_status':
      return readExtensionEvent(type, r, times);
    case 'queue_created':
    case 'queue_updated':
    case 'queue_destroy':
      return { queue: queueOf(r) };
    case 'queue_status':
      return readQueueStatus(r);
    case 'queue_caller_status':
      return readQueueCallerStatus(r);
    case 'queue_agent_status':
      return readQueueAgentStatus(r);
    case 'queue_sla_breached':
      return readQueueSlaBreached(r, times);
    default:
      return {};
  }
}

/** Validates the leg fields shared by CDRs, their targets and target events. */
function readLegFields(r: FieldReader): void {
  r.id('cdr_id');
  r.id('id');
  r.id('call_id');
  r.id('caller');
  r.id('callee');
  r.text('destination');
  r.text('direction');
  r.text('status');
  r.text('call_status');
  r.text('call_type');
  r.numeric('status_code');
  r.seconds('ring_duration');
  r.seconds('talk_duration');
  r.text('end_reason');
  r.text('ended_reason');
  r.id('did');
  r.id('did_cid');
  r.id('outbound_caller_id');
  r.text('trunk_name');
  r.numeric('cost');
}

function readCall(type: string, r: FieldReader, times: Times): Facts {
  const session = r.id('session_id', true);
  readLegFields(r);
  for (const key of CALL_TIME_FIELDS) times.get(key);
  for (const target of r.objects('call_targets')) {
    readLegFields(target);
    for (const key of CALL_TIME_FIELDS) target.unixTime(key);
  }
  return { occurredAt: times.first(TIME_CHAIN[type] ?? []), callKey: session, sessionKey: session };
}

function readTargetEvent(type: string, r: FieldReader, times: Times, ctx: VendorContext): Facts {
  const session = r.id('session_id', true);
  readLegFields(r);
  for (const key of CALL_TIME_FIELDS) times.get(key);
  const party = partyNumber(r.record['destination']) ?? partyNumber(r.record['callee']);
  const isQueue = portsipIsQueueTarget(r.record);
  return {
    occurredAt: times.first(TIME_CHAIN[type] ?? []),
    callKey: session,
    sessionKey: session,
    queue: isQueue ? party : null,
    extension: !isQueue && looksLikeExtension(party, ctx.extensionPattern) ? party : null,
  };
}

function readExtensionManagement(r: FieldReader): Facts {
  const number = r.id('extension_number');
  const id = r.id('extension_id');
  if (number === null && id === null) r.problem('', 'neither "extension_number" nor "extension_id" is present');
  r.text('disp_name');
  r.text('email');
  r.text('username');
  r.text('department');
  r.bool('enabled');
  return { extension: number };
}

// A status push describes one or more extensions, each stamped with its own `time`; the message
// itself is no older than its newest entry, so that is when it "occurred".
function readExtensionStatus(r: FieldReader): Facts {
  const entries = r.objects('status', true);
  const numbers = entries.map((e) => partyNumber(e.id('extension', true)));
  for (const e of entries) {
    e.id('extension_id');
    e.text('call_status');
    e.bool('online');
    e.text('presence');
    e.text('presence_note');
    e.bool('push_online');
  }
  return { occurredAt: latest(entries.map((e) => e.unixTime('time'))), extension: single(numbers) };
}

function readExtensionEvent(type: string, r: FieldReader, times: Times): Facts {
  const extension = partyNumber(r.id('extension', true));
  r.id('extension_id');
  let queue: string | null = null;
  if (type === 'extension_call') r.text('call_status');
  if (type === 'extension_presence') {
    r.text('presence', true);
    r.text('presence_note');
  }
  if (type === 'extension_agent_status') {
    const statuses = r.objects('agent_status', true);
    for (const s of statuses) s.text('status', true);
    queue = single(statuses.map((s) => s.id('queue_number', true)));
  }
  return { occurredAt: times.get('time'), extension, queue };
}

/** Queue number when sent, else the queue id; a problem when neither is present. */
function queueOf(r: FieldReader): string | null {
  const number = r.id('queue_number');
  const id = r.id('queue_id');
  if (number === null && id === null) r.problem('', 'neither "queue_number" nor "queue_id" is present');
  return number ?? id;
}

// A snapshot: its entries' timestamps say when each caller entered or each agent state began,
// not when the snapshot was taken, so the event has no occurred time of its own.
function readQueueStatus(r: FieldReader): Facts {
  const queue = queueOf(r);
  r.text('queue_name');
  for (const w of r.objects('waiting_list')) {
    w.numeric('position');
    w.id('session_id');
    w.id('caller_number');
    w.text('caller_name');
    w.unixTime('timestamp');
    w.text('type');
  }
  for (const a of r.objects('agents')) readAgent(a);
  return { queue };
}

function readAgent(a: FieldReader): { extension: string | null; session: string | null; at: Date | null } {
  const extension = a.id('agent_extension_number', true);
  a.text('state');
  a.id('caller_number');
  a.text('caller_name');
  return { extension, session: a.id('session_id'), at: a.unixTime('timestamp') };
}

function readQueueCallerStatus(r: FieldReader): Facts {
  // No queue number in this message: the id stands for the queue until a queue_status maps it.
  const queue = r.id('queue_id', true);
  const callers = r.objects('updated_callers', true).map((c) => {
    c.numeric('position');
    c.id('caller_number');
    c.text('caller_name');
    c.text('reason', true);
    c.text('type');
    return { session: c.id('session_id', true), at: c.unixTime('timestamp') };
  });
  const session = single(callers.map((c) => c.session));
  return { occurredAt: latest(callers.map((c) => c.at)), callKey: session, sessionKey: session, queue };
}

function readQueueAgentStatus(r: FieldReader): Facts {
  const queue = r.id('queue_id', true);
  const updated = r.objects('updated_agents').map(readAgent);
  const removed = r.objects('removed_agents').map((a) => a.id('agent_extension_number', true));
  if (r.record['updated_agents'] == null && r.record['removed_agents'] == null) {
    r.problem('', 'neither "updated_agents" nor "removed_agents" is present');
  }
  const session = single(updated.map((a) => a.session));
  return {
    occurredAt: latest(updated.map((a) => a.at)),
    callKey: session,
    sessionKey: session,
    extension: single([...updated.map((a) => a.extension), ...removed]),
    queue,
  };
}

function readQueueSlaBreached(r: FieldReader, times: Times): Facts {
  const queue = r.id('queue_id', true);
  r.id('caller');
  r.numeric('total_callers_breached');
  r.numeric('sla_time_secs');
  r.numeric('waiting_callers');
  return { occurredAt: times.get('timestamp'), queue };
}

/** The PortSIP adapter. */
export const portsipAdapter: VendorAdapter = { vendor: 'portsip', parse: parsePortsip };

/**
 * Agent-timeline reducer: turns stored events into per-agent state changes (agentChanges), and
 * the state changes of one agent into its segments (foldSegments). METRICS.md "Agents — state
 * segments" is binding.
 *
 * Pure: no clock, no randomness, no I/O. foldSegments is a function of the SET of changes: it
 * sorts them itself (time, layer, queue, a fixed state rank, call id) and counts identical
 * changes once, so any order and any duplication give the same segments. Vendor field names are
 * read only through libs/vendors.
 *
 * An agent is an extension number. Four independent layers:
 * - REGISTRATION: ONLINE / OFFLINE.
 * - PRESENCE: ONLINE, AWAY, LUNCH, BUSINESS_TRIP, DO_NOT_DISTURB (AVAILABLE = ONLINE).
 * - AGENT_STATE, one timeline per queue: READY, QUEUE_CALL, WRAP_UP, OTHER_CALL, NOT_READY,
 *   LOGGED_OUT, OFFLINE (PortSIP's ONLINE = logged out of the queue = LOGGED_OUT).
 * - CALL: RINGING, TALKING, HOLD, with the call id (the call-sessions `vendorCallId`).
 *
 * Common rules
 * - A change's time is the most specific time the vendor gives (a status entry's own time, a
 *   target's ring/answer/end time, ...), else the event's occurredAt, else its receivedAt (the
 *   only time PortSIP queue_status snapshots and removed agents have).
 * - `IDLE` is an explicit "no state" change: it ends the open segment of its layer (and queue /
 *   call) and starts none, so "no call" is a gap, not a segment. IDLE is used for a hang-up
 *   (CALL) and for an agent removed from a queue (AGENT_STATE of that queue).
 * - A segment ends where the next state of the same layer (and queue) begins; the last one is
 *   open (endedAt null). Consecutive identical states merge; a change without a call id counts
 *   as identical to one with an id in the same state (the id is kept), because PortSIP's status
 *   pushes name no call while its CDR events do.
 * - Same-instant changes (vendors send whole seconds) are applied in a fixed rank, never in
 *   arrival order. REGISTRATION: OFFLINE, ONLINE (an unregister and re-register in one second
 *   ends ONLINE). AGENT_STATE: OFFLINE, LOGGED_OUT, NOT_READY, READY, QUEUE_CALL, OTHER_CALL,
 *   WRAP_UP. CALL: RINGING, HOLD, TALKING (a hold and unhold in one second leave TALKING).
 *   IDLE always last. Outside CALL, only the last state of an instant counts (no zero-length
 *   segments); in CALL, zero-length segments are kept, because a ring answered in the same
 *   second is still an offer (callsAnswered) and a talk of 0 s is still an answer.
 * - CALL with several calls at once: each call has its own state; the layer shows one
 *   "foreground" call: TALKING over RINGING over HOLD, then the call whose state began last.
 *   With one call at a time this is exactly "the next state ends the segment". A call whose
 *   hang-up never arrives (lost event, ring-all leg without its own hang-up) must not stay
 *   "on" forever: when another call is answered, held or ends, every call whose last change is
 *   older than that other call's first change is dropped. IDLE without a call id (PortSIP
 *   "not in any call") ends every call. A ring hidden behind another call's talk (call
 *   waiting) is not shown, so it is not counted as an offer (limitation).
 *
 * Nexbro
 * - EXTENSION_REGISTER_SUCCESS → REGISTRATION ONLINE, EXTENSION_UNREGISTER → OFFLINE, for
 *   `extension`. EXTENSION_REGISTER_FAILURE changes nothing (anyone may try a number).
 * - CALL_RINGING / CALL_ANSWER / CALL_HOLD / CALL_UNHOLD / CALL_HANGUP → RINGING / TALKING /
 *   HOLD / TALKING / IDLE for the destination when it looks like an extension (pattern, and not
 *   in ctx.queueNumbers); call id `call_uuid`. Hang-ups are per leg (the docs: "the number
 *   involved in the call that was disconnected"), so each destination is ended by its own one.
 * - The caller gets the same states (not RINGING: it is not being offered a call) only when it
 *   is an extension calling a number that is not internal (an outbound call has one far end).
 *   On internal calls, a hang-up of one rung leg would end the caller's call too early, so
 *   there the caller is left out (its own extension_call-like facts do not exist on Nexbro).
 * - HOLD applies to whoever is on the held call: Nexbro does not say which side pressed hold.
 *
 * PortSIP
 * - extension_status (each `status[]` entry, at the entry's `time`), extension_call,
 *   extension_presence: `online` → REGISTRATION ONLINE/OFFLINE (push_online is not a
 *   registration); presence → PRESENCE; `call_status` ON_CALL → TALKING, RINGING → RINGING,
 *   empty → IDLE, all without a call id (these pushes name no call). ON_CALL also covers an
 *   outbound call while it is dialling (the PBX says so), which is counted as talk.
 * - extension_agent_status: each `agent_status[]` line → AGENT_STATE of `queue_number`.
 * - queue_agent_status: each `updated_agents[]` line → AGENT_STATE at its `timestamp`; each
 *   `removed_agents[]` line → IDLE for that queue. The message names the queue only by
 *   `queue_id`: it is mapped through ctx.queueIds (queue_id → queue_number, from the latest
 *   queue_status) when known, else the id is the queue label (the projection relabels).
 * - queue_status (snapshot): each `agents[]` line → AGENT_STATE of `queue_number` at its
 *   `timestamp` (when that state began); it repeats what the changes said, so it merges.
 * - cdr_target_* and each `call_targets[]` entry of call_cdr, for an extension target (user
 *   part of `destination`, else `callee`; not a queue or ring-group target by call_type or
 *   ctx.queueNumbers): RINGING at `ring_time`, TALKING at `answered_time`, IDLE at
 *   `ended_time` — every time the record carries ("0" = did not happen), so each later event
 *   repeats the earlier ones and a lost one costs nothing. Fallbacks: cdr_target_ringing /
 *   _answer / _noanswer|_fail|_end use the event's time; a call_cdr target with no end ends
 *   with the call. Call id `session_id`. call_start / call_update_info give nothing (the caller
 *   side is covered by extension_call). PortSIP reports no hold.
 *   Note: a number that matches the pattern but is an IVR or queue not in ctx.queueNumbers
 *   (the example's 5000) shows up as an "agent"; agent reports are filtered by known agents.
 *
 * VoIPcloud (call id `unique_call_id`; zone-less times in ctx.timezone, the source's zone)
 * - user_inbound, _answered, _completed for `user_number`: RINGING at `call_start_at` (no ring
 *   time is sent, so the ring includes any IVR/queue wait before this User rang: limitation),
 *   TALKING at `connected_at`, and for _completed IDLE at the end (start + call_duration, else
 *   connected + conversation_duration, else the event's time). Every event restates what it
 *   knows, so a lost user_inbound still leaves the offer.
 * - user_outbound_answered / _completed: TALKING at `connected_at`, IDLE at the end (an
 *   outbound call is the agent's talk, but no offer). user_outbound gives nothing.
 * - queue_call / ring_group_call answered by a User: the same as user_inbound_completed for
 *   that User (it closes the call when the User's own _completed was lost).
 */
import { looksLikeExtension } from '@app/vendors';
import {
  nexbroCallFacts,
  nexbroCallId,
  nexbroCallState,
  nexbroExtensionFacts,
  nexbroRegistrationState,
} from '@app/vendors/nexbro';
import {
  portsipAgentQueueStatuses,
  portsipCallFacts,
  portsipExtensionStatuses,
  portsipLegFacts,
  portsipQueueAgentFacts,
  type PortsipLegFacts,
} from '@app/vendors/portsip';
import { voipcloudCallFacts, voipcloudCallId, voipcloudCallTimes } from '@app/vendors/voipcloud';

/** One stored event, as the projection loads it. */
export interface AgentEvent {
  /** bigint as string. */
  position: string;
  vendor: 'nexbro' | 'portsip' | 'voipcloud';
  /** Canonical type as stored. */
  type: string;
  occurredAt: Date | null;
  receivedAt: Date;
  payload: unknown;
}

/** The four independent layers of an agent's timeline. */
export type SegmentLayer = 'REGISTRATION' | 'PRESENCE' | 'AGENT_STATE' | 'CALL';

/** Layers in their display order. */
export const SEGMENT_LAYERS: readonly SegmentLayer[] = Object.freeze([
  'REGISTRATION',
  'PRESENCE',
  'AGENT_STATE',
  'CALL',
] as const);

/** The explicit "no state" change: ends the open segment of its layer (queue, call) and starts none. */
export const IDLE = 'IDLE';

/** One thing an event says about an agent's state. */
export interface StateChange {
  layer: SegmentLayer;
  /** AGENT_STATE only: the queue (number, or PortSIP queue id until mapped). */
  queue: string | null;
  /** A state of the layer, or IDLE. */
  state: string;
  /** CALL (and PortSIP queue lines): the call the state belongs to. */
  callId: string | null;
  at: Date;
}

/** What agentChanges needs to know about the source. */
export interface AgentContext {
  /** Tenant numbering plan: a call party is an agent only when it matches. */
  extensionPattern: RegExp;
  /**
   * The source's IANA zone, for VoIPcloud's zone-less times (required, as in the call reducer:
   * a silent default would misplace every VoIPcloud segment of a non-UTC source).
   */
  timezone: string;
  /** Numbers that are queues, ring groups or IVRs, never agents (they match the pattern too). */
  queueNumbers?: ReadonlySet<string>;
  /** PortSIP queue_id → queue_number (from queue_status), so queue_agent_status lines get the number. */
  queueIds?: ReadonlyMap<string, string>;
}

/** A state change with the agent it is about. */
export type AgentChange = { agent: string } & StateChange;

/** One segment `[startedAt, endedAt)` of an agent's timeline; endedAt null = still open. */
export interface AgentSegment {
  agent: string;
  layer: SegmentLayer;
  queue: string | null;
  state: string;
  callId: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

// ---------------------------------------------------------------------------------------------
// Events → changes

/** The state changes one event says about each agent it speaks of (sorted, each once). */
export function agentChanges(event: AgentEvent, ctx: AgentContext): AgentChange[] {
  // Changes with a time of their own keep it even when the event has none usable.
  const at = validDate(event.occurredAt) ?? validDate(event.receivedAt);
  let out: Pending[];
  switch (event.vendor) {
    case 'nexbro':
      out = nexbroChanges(event, at, ctx);
      break;
    case 'portsip':
      out = portsipChanges(event, at, ctx);
      break;
    case 'voipcloud':
      out = voipcloudChanges(event, at, ctx);
      break;
    default:
      out = [];
  }
  const valid = out.filter((c): c is AgentChange => c.agent !== '' && validDate(c.at) !== null);
  return uniqueSorted(valid, (a, b) => compareText(a.agent, b.agent) || compareChanges(a, b));
}

/** A change whose time may still be unknown (dropped by agentChanges). */
type Pending = Omit<AgentChange, 'at'> & { at: Date | null };

function change(
  agent: string,
  layer: SegmentLayer,
  queue: string | null,
  state: string,
  callId: string | null,
  at: Date | null,
): Pending {
  return { agent, layer, queue, state, callId, at };
}

/** A call party that is an agent: looks like an extension and is not a known queue/IVR. */
function isAgentNumber(n: string | null, ctx: AgentContext): n is string {
  return n !== null && looksLikeExtension(n, ctx.extensionPattern) && !(ctx.queueNumbers?.has(n) ?? false);
}

function nexbroChanges(e: AgentEvent, at: Date | null, ctx: AgentContext): Pending[] {
  const registration = nexbroRegistrationState(e.type);
  if (registration !== null) {
    const ext = nexbroExtensionFacts(e.payload).extension;
    return ext === null ? [] : [change(ext, 'REGISTRATION', null, registration, null, at)];
  }
  const callState = nexbroCallState(e.type);
  if (callState === null) return [];
  const state = callState === 'ENDED' ? IDLE : callState;
  const { caller, callee } = nexbroCallFacts(e.payload);
  const callId = nexbroCallId(e.payload);
  const out: Pending[] = [];
  if (isAgentNumber(callee, ctx)) out.push(change(callee, 'CALL', null, state, callId, at));
  const outbound =
    callee !== null && !looksLikeExtension(callee, ctx.extensionPattern) && !ctx.queueNumbers?.has(callee);
  if (state !== 'RINGING' && outbound && isAgentNumber(caller, ctx)) {
    out.push(change(caller, 'CALL', null, state, callId, at));
  }
  return out;
}

const CALL_ACTIVITY_STATE: Readonly<Record<string, string>> = { ON_CALL: 'TALKING', RINGING: 'RINGING', IDLE };
const TARGET_END_TYPES: ReadonlySet<string> = new Set(['cdr_target_noanswer', 'cdr_target_fail', 'cdr_target_end']);

function portsipChanges(e: AgentEvent, at: Date | null, ctx: AgentContext): Pending[] {
  const out: Pending[] = [];
  switch (e.type) {
    case 'extension_status':
    case 'extension_call':
    case 'extension_presence':
    case 'extension_agent_status':
      for (const s of portsipExtensionStatuses(e.payload)) {
        if (s.extension === null) continue;
        const t = s.at ?? at;
        if (s.online !== null) {
          out.push(change(s.extension, 'REGISTRATION', null, s.online ? 'ONLINE' : 'OFFLINE', null, t));
        }
        if (s.presence !== null) out.push(change(s.extension, 'PRESENCE', null, s.presence, null, t));
        if (s.callActivity !== null) {
          out.push(change(s.extension, 'CALL', null, CALL_ACTIVITY_STATE[s.callActivity] ?? IDLE, null, t));
        }
        if (e.type === 'extension_agent_status') {
          for (const q of portsipAgentQueueStatuses(e.payload)) {
            if (q.queue !== null && q.state !== null) {
              out.push(change(s.extension, 'AGENT_STATE', q.queue, q.state, null, t));
            }
          }
        }
      }
      break;
    case 'queue_agent_status':
    case 'queue_status': {
      const f = portsipQueueAgentFacts(e.payload);
      const queue = f.queueNumber ?? (f.queueId === null ? null : (ctx.queueIds?.get(f.queueId) ?? f.queueId));
      if (queue === null) break;
      for (const line of f.agents) {
        const state = line.removed ? IDLE : line.state;
        if (line.agent === null || state === null) continue;
        // A call id only where the state is about a call; READY "on session x" would be noise.
        const callId = state === 'QUEUE_CALL' || state === 'OTHER_CALL' ? line.sessionId : null;
        out.push(change(line.agent, 'AGENT_STATE', queue, state, callId, line.at ?? at));
      }
      break;
    }
    case 'call_cdr': {
      const cdr = portsipCallFacts(e.payload);
      for (const t of cdr.targets) out.push(...targetChanges(t, cdr.sessionId, e.type, at, cdr.endedAt ?? at, ctx));
      break;
    }
    default:
      if (e.type.startsWith('cdr_target_')) {
        const leg = portsipLegFacts(e.payload);
        out.push(...targetChanges(leg, portsipCallFacts(e.payload).sessionId, e.type, at, null, ctx));
      }
  }
  return out;
}

function targetChanges(
  leg: PortsipLegFacts,
  callId: string | null,
  type: string,
  at: Date | null,
  callEnd: Date | null,
  ctx: AgentContext,
): Pending[] {
  const agent = leg.party;
  if (!isAgentNumber(agent, ctx) || leg.queueByType || leg.ringGroupByType) return [];
  const ringAt = leg.ringAt ?? (type === 'cdr_target_ringing' ? at : null);
  const answeredAt = leg.answeredAt ?? (type === 'cdr_target_answer' ? at : null);
  const endedAt = leg.endedAt ?? (TARGET_END_TYPES.has(type) ? at : callEnd);
  const out: Pending[] = [];
  if (ringAt !== null) out.push(change(agent, 'CALL', null, 'RINGING', callId, ringAt));
  if (answeredAt !== null) out.push(change(agent, 'CALL', null, 'TALKING', callId, answeredAt));
  if (endedAt !== null) out.push(change(agent, 'CALL', null, IDLE, callId, endedAt));
  return out;
}

function voipcloudChanges(e: AgentEvent, at: Date | null, ctx: AgentContext): Pending[] {
  const type = e.type;
  const inbound = type === 'user_inbound' || type === 'user_inbound_answered' || type === 'user_inbound_completed';
  const outbound = type === 'user_outbound_answered' || type === 'user_outbound_completed';
  const summary = type === 'queue_call' || type === 'ring_group_call';
  if (!inbound && !outbound && !summary) return [];
  const f = voipcloudCallFacts(type, e.payload);
  if (f.user === null || (summary && f.outcome !== 'ANSWERED')) return [];
  const callId = voipcloudCallId(e.payload);
  const times = voipcloudCallTimes(e.payload, { timezone: ctx.timezone });
  const answered = type.endsWith('_answered');
  const final = type.endsWith('_completed') || summary;
  const out: Pending[] = [];
  if ((inbound || summary) && times.startedAt !== null) {
    out.push(change(f.user, 'CALL', null, 'RINGING', callId, times.startedAt));
  }
  const answeredAt = times.answeredAt ?? (answered ? at : null);
  if (answeredAt !== null && type !== 'user_inbound') {
    out.push(change(f.user, 'CALL', null, 'TALKING', callId, answeredAt));
  }
  if (final) out.push(change(f.user, 'CALL', null, IDLE, callId, times.endedAt ?? at));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Changes → segments

const LAYER_RANK: Readonly<Record<SegmentLayer, number>> = { REGISTRATION: 0, PRESENCE: 1, AGENT_STATE: 2, CALL: 3 };

// Same-instant order (see the header): the last state of an instant is the one that stays.
const STATE_RANK: Readonly<Record<SegmentLayer, readonly string[]>> = {
  REGISTRATION: ['OFFLINE', 'ONLINE'],
  PRESENCE: ['ONLINE', 'AWAY', 'LUNCH', 'BUSINESS_TRIP', 'DO_NOT_DISTURB'],
  AGENT_STATE: ['OFFLINE', 'LOGGED_OUT', 'NOT_READY', 'READY', 'QUEUE_CALL', 'OTHER_CALL', 'WRAP_UP'],
  CALL: ['RINGING', 'HOLD', 'TALKING'],
};

// The foreground call: talking outranks ringing (call waiting is not an offer the agent can
// take), and a ring outranks a held call (the agent is free to answer it; the offer counts).
const CALL_PRIORITY: Readonly<Record<string, number>> = { TALKING: 3, RINGING: 2, HOLD: 1 };

/**
 * The segments of one agent from all its state changes (any order, duplicates allowed; changes
 * with an invalid time or an unknown layer are ignored). Sorted by start, layer, queue, state.
 */
export function foldSegments(agent: string, changes: readonly StateChange[]): AgentSegment[] {
  const clean = uniqueSorted(
    changes.filter(isUsableChange).map((c): StateChange => ({
      layer: c.layer,
      // CALL is one timeline per agent; REGISTRATION and PRESENCE have no queue.
      queue: c.layer === 'AGENT_STATE' ? c.queue : null,
      state: c.state,
      callId: c.layer === 'CALL' || c.layer === 'AGENT_STATE' ? c.callId : null,
      at: c.at,
    })),
    compareChanges,
  );
  const groups = new Map<string, StateChange[]>();
  for (const c of clean) {
    const key = `${c.layer}\u0000${c.queue ?? ''}\u0000${c.queue === null ? 0 : 1}`;
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const segments: AgentSegment[] = [];
  for (const list of groups.values()) {
    const first = list[0];
    const folded = first.layer === 'CALL' ? foldCallLayer(list) : foldStateLayer(list);
    for (const s of folded) {
      segments.push({
        agent,
        layer: first.layer,
        queue: first.queue,
        state: s.state,
        callId: s.callId,
        startedAt: new Date(s.startedAt),
        endedAt: s.endedAt === null ? null : new Date(s.endedAt),
      });
    }
  }
  return segments.sort(compareSegments);
}

interface Draft {
  state: string;
  callId: string | null;
  startedAt: number;
  endedAt: number | null;
}

/** REGISTRATION, PRESENCE, or one queue's AGENT_STATE: the last state of each instant holds until the next. */
function foldStateLayer(changes: readonly StateChange[]): Draft[] {
  const out: Draft[] = [];
  let open: Draft | null = null;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    const t = c.at.getTime();
    // Sorted by time then rank: only the last change of an instant counts.
    if (i + 1 < changes.length && changes[i + 1].at.getTime() === t) continue;
    if (open !== null && c.state !== IDLE && open.state === c.state && compatible(open.callId, c.callId)) {
      open.callId ??= c.callId;
      continue;
    }
    if (open !== null) out.push({ ...open, endedAt: t });
    open = c.state === IDLE ? null : { state: c.state, callId: c.callId, startedAt: t, endedAt: null };
  }
  if (open !== null) out.push(open);
  return out;
}

interface CallState {
  callId: string | null;
  state: string;
  /** When the current state began (foreground tie-break). */
  since: number;
  /** First and last change of this call's current episode (stale-call rule). */
  first: number;
  last: number;
}

const NO_CALL_ID = '\u0000';

/** The CALL layer: one state per call, one foreground call shown (see the header). */
function foldCallLayer(changes: readonly StateChange[]): Draft[] {
  const calls = new Map<string, CallState>();
  const out: Draft[] = [];
  let open: Draft | null = null;
  for (const c of changes) {
    const t = c.at.getTime();
    const key = c.callId ?? NO_CALL_ID;
    // The call that was answered, held or ended here: calls entirely older than it are stale.
    let settled: CallState | undefined;
    if (c.state === IDLE) {
      if (c.callId === null) calls.clear();
      else {
        settled = calls.get(key);
        calls.delete(key);
      }
    } else {
      let call = calls.get(key);
      if (call === undefined) {
        call = { callId: c.callId, state: c.state, since: t, first: t, last: t };
        calls.set(key, call);
      } else {
        if (call.state !== c.state) {
          call.state = c.state;
          call.since = t;
        }
        call.last = t;
      }
      if (c.state !== 'RINGING') settled = call;
    }
    if (settled !== undefined) {
      for (const [k, other] of calls) if (other !== settled && other.last < settled.first) calls.delete(k);
    }

    const fg = foreground(calls);
    if (fg !== null && open !== null && open.state === fg.state && compatible(open.callId, fg.callId)) {
      open.callId ??= fg.callId;
      continue;
    }
    if (open !== null) out.push({ ...open, endedAt: t });
    open = fg === null ? null : { state: fg.state, callId: fg.callId, startedAt: t, endedAt: null };
  }
  if (open !== null) out.push(open);
  return out;
}

function foreground(calls: ReadonlyMap<string, CallState>): CallState | null {
  let best: CallState | null = null;
  for (const c of calls.values()) if (best === null || outranks(c, best)) best = c;
  return best;
}

/** Higher priority; then the state that began last; then a known call id (so it is adopted); then id text. */
function outranks(a: CallState, b: CallState): boolean {
  const byPriority = (CALL_PRIORITY[a.state] ?? 0) - (CALL_PRIORITY[b.state] ?? 0);
  if (byPriority !== 0) return byPriority > 0;
  if (a.since !== b.since) return a.since > b.since;
  if (a.callId === null || b.callId === null) return a.callId !== null && b.callId === null;
  return a.callId < b.callId;
}

/** Two call ids that may be the same call: equal, or one of them unknown. */
function compatible(a: string | null, b: string | null): boolean {
  return a === null || b === null || a === b;
}

// ---------------------------------------------------------------------------------------------
// Order and helpers

function isUsableChange(c: StateChange): boolean {
  return (
    c !== null &&
    typeof c === 'object' &&
    Object.prototype.hasOwnProperty.call(LAYER_RANK, c.layer) &&
    typeof c.state === 'string' &&
    c.state !== '' &&
    (c.queue === null || typeof c.queue === 'string') &&
    (c.callId === null || typeof c.callId === 'string') &&
    validDate(c.at) !== null
  );
}

function stateRank(layer: SegmentLayer, state: string): number {
  if (state === IDLE) return Number.MAX_SAFE_INTEGER;
  const i = STATE_RANK[layer].indexOf(state);
  // Unknown spellings after the known states (then by text), still before IDLE.
  return i >= 0 ? i : STATE_RANK[layer].length;
}

/** Canonical order of changes: time, layer, queue, state rank, state, call id. */
export function compareChanges(a: StateChange, b: StateChange): number {
  return (
    a.at.getTime() - b.at.getTime() ||
    LAYER_RANK[a.layer] - LAYER_RANK[b.layer] ||
    compareNullableText(a.queue, b.queue) ||
    stateRank(a.layer, a.state) - stateRank(b.layer, b.state) ||
    compareText(a.state, b.state) ||
    compareNullableText(a.callId, b.callId)
  );
}

function compareSegments(a: AgentSegment, b: AgentSegment): number {
  return (
    a.startedAt.getTime() - b.startedAt.getTime() ||
    LAYER_RANK[a.layer] - LAYER_RANK[b.layer] ||
    compareNullableText(a.queue, b.queue) ||
    // A zero-length segment sorts before the one that follows it at the same instant.
    (a.endedAt?.getTime() ?? Infinity) - (b.endedAt?.getTime() ?? Infinity) ||
    compareText(a.state, b.state) ||
    compareNullableText(a.callId, b.callId)
  );
}

/** Sorted with `compare`, entries comparing equal to their predecessor dropped. */
function uniqueSorted<T>(items: readonly T[], compare: (a: T, b: T) => number): T[] {
  const sorted = [...items].sort(compare);
  return sorted.filter((x, i) => i === 0 || compare(sorted[i - 1], x) !== 0);
}

/** null first, then text order. */
function compareNullableText(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return compareText(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validDate(d: Date | null | undefined): Date | null {
  return d instanceof Date && Number.isFinite(d.getTime()) ? d : null;
}

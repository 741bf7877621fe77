/**
 * Queue-attempt reducer: folds every stored event of ONE call into the queue attempts it made
 * (METRICS.md "Queues": one caller entering one queue once; ring groups count as queues).
 *
 * Pure: no clock, no randomness, no I/O. The result is a function of the SET of events: events are
 * de-duplicated by content (vendor, type, canonical JSON), every fact is sorted by its own time and
 * content, and neither `position`, `receivedAt` nor the arrival order is ever read. Vendor field
 * names are read only through libs/vendors.
 *
 * Common rules
 * - enteredAt: when the caller entered; leftAt: when it left (null while WAITING);
 *   waitSeconds = leftAt − enteredAt in whole seconds (rounded half up, never negative).
 * - outcome: ANSWERED (an agent took the call), ABANDONED (the caller hung up while waiting),
 *   TIMED_OUT (timeout, or passed on to an overflow destination), CALLBACK (the caller chose a
 *   callback), WAITING (not left yet). Short vs long abandons are not decided here: that is
 *   classify() in queue-stats.ts, with the tenant's thresholds.
 * - answeredBy (agent extension) and talkSeconds are set for ANSWERED attempts only; talkSeconds
 *   is the answering agent's own figure when the vendor sends one, else its answer → end.
 * - callback: the caller chose a callback in this attempt, or the attempt is the queue serving a
 *   scheduled callback (PortSIP `type` callback, `queue_callback_call` targets).
 * - attemptKey: `${kind}:${queue}@${enteredAt in Unix seconds, floored}`, e.g.
 *   `queue:8000@1725845655`; a second attempt with the same key in the same call (re-entering the
 *   same queue in the same second) gets `#2`, `#3`... in (enteredAt, kind, queue, leftAt, outcome,
 *   content) order. The key is stable for a given set of events, but a later event may move the
 *   enter time or relabel the queue (mapping learnt), so the writer must replace all of a call's
 *   attempts at once.
 * - Attempts are returned in (enteredAt, kind, queue, leftAt) order.
 *
 * PortSIP (queue_caller_status, queue_agent_status, queue_status, call_cdr)
 * - Caller facts come from splitQueueCallerStatus(): `updated_callers[]` changes, `queue_status`
 *   `waiting_list[]` lines (the caller waits, and its timestamp is when it entered: this recovers
 *   an enqueue lost while the WSI was down), and agent entries (`updated_agents[]`, `agents[]`)
 *   whose state is QUEUE_CALL for this call (the agent took it at that timestamp). Only entries
 *   whose `session_id` is this call count, so a payload naming several calls can be given to each
 *   of them. Entries without a usable timestamp cannot be placed and are ignored, as are reasons
 *   that are not one of the five documented ones.
 * - Per queue_id, facts are sorted by time, and in one second: enter < agent_answered (an agent
 *   entry naming the agent first) < callback < overflow < hangup, so a zero-second answer is an
 *   answer and not a phantom new wait. enqueue (or a waiting line) opens an attempt; another enter
 *   while one is open is the same wait (so a leave lost by the WSI followed by re-entering the same
 *   queue later in the call reads as one long wait: the caller status cannot tell it from a
 *   re-sent enqueue). The first leave closes it: agent_answered / agent
 *   QUEUE_CALL → ANSWERED, hangup → ABANDONED, overflow → TIMED_OUT, callback → CALLBACK. A later
 *   leave without a new enter is ignored (the caller had already left), except that an agent entry
 *   within 5 s of an ANSWERED leave names its agent. A leave with no enter before it is kept only
 *   to be merged with a CDR queue target (it has no enter time of its own, so it cannot be placed
 *   in an interval on its own).
 * - Queue label: ctx.queueIdToNumber (built from the latest queue_status); an unmapped id is the
 *   label itself until a mapping arrives (refolding then relabels the attempt).
 * - call_cdr: the one with the latest ended_time (then start_time, then content) is used. Its
 *   `call_targets[]` (or the CDR itself when it has none) are queue targets when `call_type` is
 *   queue_call / queue_callback_call, or the callee / destination is a known queue
 *   (ctx.queueNumbers, or a number ctx.queueIdToNumber maps to: queue targets say normal_call);
 *   ring_group_call targets are ring groups. Label: the known queue number, else the callee.
 *   Targets of one label whose spans overlap are one attempt. enter = start_time (else ring or
 *   answer time). The answering agent: the earliest answered non-queue, non-callback target that
 *   started at or after the enter and strictly before the queue target ended (it rang while the
 *   caller waited; an overflow destination starts when the queue target ends) and answered no
 *   more than 5 s after that end → ANSWERED, leftAt = its answer, talk = its talk_duration. (A
 *   target that rang and answered in the very second the queue target ended is an instant
 *   overflow or an auto-answering agent; the CDR alone cannot tell, so it reads as an overflow,
 *   and it is the agent only when the caller status says the attempt was answered.) Else
 *   leftAt = the queue target's end (or the call's), and the outcome: end reason
 *   caller_disconnect / cancelled → ABANDONED; a failed/busy target → TIMED_OUT; referred,
 *   redirected, transfers, replaced, callee_disconnect → TIMED_OUT (passed on / ended by the
 *   queue); another target starting after it → TIMED_OUT; else the call ended there: the call's
 *   end reason callee_disconnect → TIMED_OUT, otherwise ABANDONED. The CDR alone cannot see a
 *   callback choice (the caller just hangs up): the caller status says CALLBACK when it has it.
 * - Merging: a caller-status attempt and a CDR queue target are ONE attempt when they are in the
 *   same call, the same queue (the id maps to the target's number; or the id is unmapped and no
 *   other id maps to that number), and their spans [enter, leave] overlap allowing 5 s at each
 *   end (a leave-only fragment spans its leave instant; a WAITING one is open-ended). Pairs are
 *   taken one-to-one, closest enter times first. The merged attempt takes the target's number as
 *   queue, the caller-status enter (the queue's own waiting-list entry; the CDR start when the
 *   enqueue is missing), the caller-status leave and outcome when it has one (the queue's explicit
 *   statement), else the CDR's; the agent and talk from the CDR, else the agent entry.
 * - An unmapped id whose queue target the CDR does not recognise (typed normal_call, number not
 *   known): the target starting closest to the enqueue, within 5 s, that is not itself a known
 *   queue, ring group or callback and whose number no other id maps to, is taken as the queue
 *   target (the call reached the queue at that moment).
 * - A caller-status attempt still open when the call has a call_cdr is closed at the call's end
 *   (the call is over): callee_disconnect → TIMED_OUT, otherwise ABANDONED. Without a call_cdr it
 *   stays WAITING: there is no clock here, so staleness is the projection's decision.
 * - cdr_target_* live events are not read: the caller status is the live view, and the CDR settles.
 *
 * VoIPcloud (queue_call, ring_group_call end-of-call summaries)
 * - One attempt per distinct summary: kind queue / ring_group, queue = `queue_name` /
 *   `ring_group_name` (the kind itself when no name is sent), enter = `call_start_at` (a summary
 *   without it is skipped), outcome from `status` (answered | abandoned | timedout; when unreadable:
 *   ANSWERED if `connected_at` is sent, else ABANDONED).
 * - Answered: leftAt = `connected_at` (else start + call_duration − conversation_duration),
 *   wait = leftAt − enter, answeredBy `user_number`, talk `conversation_duration`. Otherwise
 *   wait = `call_duration`, leftAt = enter + call_duration. Zone-less times are read in
 *   ctx.timezone (UTC when not given). VoIPcloud has no callbacks.
 *
 * Nexbro sends no queue facts: its events give no attempts.
 */
import { canonicalJson } from '@app/vendors';
import {
  portsipCallFacts,
  portsipQueueAgentFacts,
  portsipQueueCallers,
  portsipQueueIdentity,
  type PortsipCallFacts,
  type PortsipLegFacts,
} from '@app/vendors/portsip';
import { voipcloudCallFacts, voipcloudCallTimes } from '@app/vendors/voipcloud';

/** One stored event of a call, as the projection loads it. */
export interface QueueEvent {
  /** bigint as string (not read: the fold depends on the set of events only). */
  position: string;
  vendor: 'nexbro' | 'portsip' | 'voipcloud';
  /** Canonical type as stored ('queue_caller_status', 'call_cdr', 'queue_call'...). */
  type: string;
  occurredAt: Date | null;
  receivedAt: Date;
  /** The parsed JSON of the event. */
  payload: unknown;
}

/** What the fold needs to know about the source. */
export interface QueueFoldContext {
  /** Numbers known to be queues (PortSIP call_cdr targets say normal_call for queues). */
  queueNumbers: ReadonlySet<string>;
  /** PortSIP queue_id → queue_number from the latest queue_status (may be empty: then the id is the queue's name). */
  queueIdToNumber: ReadonlyMap<string, string>;
  /** Source zone for zone-less VoIPcloud times; UTC when absent. */
  timezone?: string;
}

/** How a queue attempt ended (WAITING while it has not). */
export type QueueOutcome = 'ANSWERED' | 'ABANDONED' | 'TIMED_OUT' | 'CALLBACK' | 'WAITING';

/** One caller entering one queue (or ring group) once. */
export interface QueueAttempt {
  /** `${kind}:${queue}@${enteredAt Unix seconds}`, `#n` appended for a repeat in the same call. */
  attemptKey: string;
  /** Queue number (or name for VoIPcloud / an unmapped PortSIP queue id). */
  queue: string;
  kind: 'queue' | 'ring_group';
  enteredAt: Date;
  /** null while WAITING (and for a VoIPcloud summary that sends neither connected_at nor durations). */
  leftAt: Date | null;
  /** WAITING while not left. */
  outcome: QueueOutcome;
  /** leftAt − enteredAt (VoIPcloud: answered → connected_at − call_start_at, else call_duration); null when unknown. */
  waitSeconds: number | null;
  /** Agent extension (ANSWERED only). */
  answeredBy: string | null;
  /** Talk of the answered attempt when known (PortSIP target talk_duration, VoIPcloud conversation_duration). */
  talkSeconds: number | null;
  callback: boolean;
}

/** What one PortSIP queue entry says happened to a caller. */
export type QueueCallerStep = 'enter' | 'agent_answered' | 'hangup' | 'overflow' | 'callback' | 'agent_on_call';

/** One per-call entry of a PortSIP queue payload. */
export interface QueueCallerFact {
  sessionId: string;
  queueId: string;
  /**
   * enter (reason enqueue, or a queue_status waiting line); agent_answered / hangup / overflow /
   * callback (the caller left); agent_on_call (an agent in state QUEUE_CALL on this call); null
   * when the entry concerns the call but moves no attempt (unknown reason, another agent state).
   */
  step: QueueCallerStep | null;
  /** When it happened (for a waiting line: when the caller entered); null when unreadable. */
  at: Date | null;
  /** The entry's `type` says callback. */
  callback: boolean;
  /** The agent of an agent entry. */
  agent: string | null;
  callerNumber: string | null;
}

/** A queue_id → number pair. */
export interface QueueMapping {
  queueId: string;
  queueNumber: string;
  queueName: string | null;
}

/** Two facts this close (ms) can describe the same moment: vendors stamp whole seconds, from different clocks. */
export const MATCH_SLACK_MS = 5_000;

const CALLER_STATUS_TYPES: ReadonlySet<string> = new Set(['queue_caller_status', 'queue_agent_status', 'queue_status']);
const SUMMARY_TYPES: ReadonlySet<string> = new Set(['queue_call', 'ring_group_call']);

/**
 * PortSIP queue_caller_status / queue_agent_status (and queue_status snapshots) carry entries for
 * several calls: split one such payload into per-call facts. Entries without a session id, and
 * payloads without a queue_id, give nothing.
 */
export function splitQueueCallerStatus(payload: unknown): QueueCallerFact[] {
  const { queueId } = portsipQueueIdentity(payload);
  if (queueId === null) return [];
  const facts: QueueCallerFact[] = [];
  for (const c of portsipQueueCallers(payload)) {
    if (c.sessionId === null) continue;
    facts.push({
      sessionId: c.sessionId,
      queueId,
      step: c.snapshot ? 'enter' : c.reason === 'enqueue' ? 'enter' : c.reason,
      at: c.at,
      callback: c.callback,
      agent: null,
      callerNumber: c.callerNumber,
    });
  }
  for (const a of portsipQueueAgentFacts(payload).agents) {
    if (a.sessionId === null) continue;
    facts.push({
      sessionId: a.sessionId,
      queueId,
      step: a.state === 'QUEUE_CALL' && a.agent !== null ? 'agent_on_call' : null,
      at: a.at,
      callback: false,
      agent: a.agent,
      callerNumber: null,
    });
  }
  return facts;
}

/** The queue_id → number pairs a queue_status (or queue_created/updated) payload reveals. */
export function queueMappings(payload: unknown): QueueMapping[] {
  const { queueId, queueNumber, queueName } = portsipQueueIdentity(payload);
  return queueId === null || queueNumber === null ? [] : [{ queueId, queueNumber, queueName }];
}

/** All queue attempts of ONE call, from all of its stored events (any order, duplicates). */
export function foldQueueAttempts(
  vendorCallId: string,
  events: readonly QueueEvent[],
  ctx: QueueFoldContext,
): QueueAttempt[] {
  const distinct = distinctEvents(events);
  const drafts = [
    ...foldPortsip(
      vendorCallId,
      distinct.filter((e) => e.event.vendor === 'portsip'),
      ctx,
    ),
    ...foldVoipcloud(
      distinct.filter((e) => e.event.vendor === 'voipcloud'),
      ctx,
    ),
  ];
  return finish(drafts);
}

// ---------------------------------------------------------------------------------------------
// Events as a set

interface Distinct {
  event: QueueEvent;
  /** vendor, type and canonical payload: identical events share it. */
  content: string;
}

/** One copy of each distinct event, in content order (so nothing below depends on arrival order). */
function distinctEvents(events: readonly QueueEvent[]): Distinct[] {
  const byContent = new Map<string, Distinct>();
  for (const event of events) {
    const content = `${event.vendor}\u0000${event.type}\u0000${canonicalJson(event.payload ?? null)}`;
    if (!byContent.has(content)) byContent.set(content, { event, content });
  }
  return [...byContent.values()].sort((a, b) => compareText(a.content, b.content));
}

/** An attempt before its wait and key are derived. */
interface Draft {
  queue: string;
  kind: 'queue' | 'ring_group';
  enteredAt: Date;
  leftAt: Date | null;
  outcome: QueueOutcome;
  /** Set when the vendor defines the wait otherwise than leftAt − enteredAt (VoIPcloud). */
  waitSeconds?: number | null;
  answeredBy: string | null;
  talkSeconds: number | null;
  callback: boolean;
}

// ---------------------------------------------------------------------------------------------
// PortSIP

/** What the caller status says about one stay (or only its leave) in one queue. */
interface Fragment {
  queueId: string;
  enteredAt: Date | null;
  leftAt: Date | null;
  /** null = still waiting. */
  outcome: Exclude<QueueOutcome, 'WAITING'> | null;
  agent: string | null;
  callback: boolean;
}

/** A queue (or ring group) stay as the call_cdr describes it, already resolved. */
interface CdrLeg {
  label: string;
  kind: 'queue' | 'ring_group';
  enteredAt: Date;
  leftAt: Date | null;
  outcome: QueueOutcome;
  answeredBy: string | null;
  talkSeconds: number | null;
  callback: boolean;
  /**
   * An answered target that rang only as the stay ended (an auto-answering agent, or an overflow
   * destination picking up at once: the CDR alone cannot tell). Used only when the caller status
   * says the attempt was answered.
   */
  answerAtEnd: { answeredBy: string | null; talkSeconds: number | null } | null;
}

const STEP_RANK: Readonly<Record<QueueCallerStep, number>> = {
  enter: 0,
  agent_on_call: 1,
  agent_answered: 1,
  callback: 2,
  overflow: 3,
  hangup: 4,
};

const STEP_OUTCOME: Readonly<Record<Exclude<QueueCallerStep, 'enter'>, Exclude<QueueOutcome, 'WAITING'>>> = {
  agent_answered: 'ANSWERED',
  agent_on_call: 'ANSWERED',
  hangup: 'ABANDONED',
  overflow: 'TIMED_OUT',
  callback: 'CALLBACK',
};

function foldPortsip(vendorCallId: string, events: readonly Distinct[], ctx: QueueFoldContext): Draft[] {
  const facts = events
    .filter((e) => CALLER_STATUS_TYPES.has(e.event.type))
    .flatMap((e) => splitQueueCallerStatus(e.event.payload))
    .filter((f) => f.sessionId === vendorCallId);
  const fragments = segment(facts);
  const cdr = latestCdr(events.filter((e) => e.event.type === 'call_cdr'));

  const mappedNumbers = new Set(ctx.queueIdToNumber.values());
  const known = new Set([...ctx.queueNumbers, ...mappedNumbers]);
  const legs = cdr === null ? [] : cdrLegs(cdr, fragments, known, mappedNumbers, ctx);

  // Pair caller-status fragments with CDR queue targets, one-to-one, closest enter first.
  const pairs: Array<{ f: number; l: number; distance: number }> = [];
  fragments.forEach((fragment, f) => {
    legs.forEach((leg, l) => {
      if (compatible(fragment, leg, ctx, mappedNumbers) && overlaps(fragment, leg)) {
        pairs.push({ f, l, distance: Math.abs(spanStart(fragment) - leg.enteredAt.getTime()) });
      }
    });
  });
  pairs.sort((a, b) => a.distance - b.distance || a.l - b.l || a.f - b.f);
  const fragmentLeg = new Map<number, number>();
  const usedLegs = new Set<number>();
  for (const p of pairs) {
    if (fragmentLeg.has(p.f) || usedLegs.has(p.l)) continue;
    fragmentLeg.set(p.f, p.l);
    usedLegs.add(p.l);
  }

  const callEnd = cdr === null ? null : cdrEnd(cdr);
  const drafts: Draft[] = [];
  fragments.forEach((fragment, f) => {
    const l = fragmentLeg.get(f);
    if (l !== undefined) {
      drafts.push(merge(fragment, legs[l]));
      return;
    }
    // A leave with no enter cannot be placed in an interval on its own.
    if (fragment.enteredAt === null) return;
    const draft: Draft = {
      queue: ctx.queueIdToNumber.get(fragment.queueId) ?? fragment.queueId,
      kind: 'queue',
      enteredAt: fragment.enteredAt,
      leftAt: fragment.leftAt,
      outcome: fragment.outcome ?? 'WAITING',
      answeredBy: fragment.outcome === 'ANSWERED' ? fragment.agent : null,
      talkSeconds: null,
      callback: fragment.callback || fragment.outcome === 'CALLBACK',
    };
    if (fragment.outcome === null && cdr !== null) {
      // The call is over, so the caller is no longer waiting; its own leave was never reported.
      draft.leftAt = maxDate(callEnd, fragment.enteredAt);
      draft.outcome = cdr.endReason === 'callee_disconnect' ? 'TIMED_OUT' : 'ABANDONED';
    }
    drafts.push(draft);
  });
  legs.forEach((leg, l) => {
    if (usedLegs.has(l)) return;
    drafts.push({
      queue: leg.label,
      kind: leg.kind,
      enteredAt: leg.enteredAt,
      leftAt: leg.leftAt,
      outcome: leg.outcome,
      answeredBy: leg.answeredBy,
      talkSeconds: leg.talkSeconds,
      callback: leg.callback,
    });
  });
  return drafts;
}

/** Cuts each queue's caller facts into stays: an enter opens one, the first leave closes it. */
function segment(facts: readonly QueueCallerFact[]): Fragment[] {
  const byQueue = new Map<string, QueueCallerFact[]>();
  const seen = new Set<string>();
  for (const f of facts) {
    if (f.step === null || f.at === null) continue;
    const key = canonicalJson(factKey(f));
    if (seen.has(key)) continue;
    seen.add(key);
    push(byQueue, f.queueId, f);
  }

  const fragments: Fragment[] = [];
  for (const queueId of [...byQueue.keys()].sort(compareText)) {
    const list = (byQueue.get(queueId) ?? []).sort(compareFacts);
    let open: Fragment | null = null;
    let last: Fragment | null = null;
    for (const f of list) {
      const step = f.step!;
      const at = f.at!;
      if (step === 'enter') {
        if (open !== null) {
          open.callback ||= f.callback;
          continue;
        }
        open = { queueId, enteredAt: at, leftAt: null, outcome: null, agent: null, callback: f.callback };
        fragments.push(open);
        continue;
      }
      const outcome = STEP_OUTCOME[step];
      if (open !== null) {
        open.leftAt = at;
        open.outcome = outcome;
        open.agent = f.agent;
        open.callback ||= f.callback || outcome === 'CALLBACK';
        last = open;
        open = null;
      } else if (last !== null) {
        // The caller already left; only an agent entry naming who answered adds anything.
        if (
          last.outcome === 'ANSWERED' &&
          outcome === 'ANSWERED' &&
          last.agent === null &&
          f.agent !== null &&
          last.leftAt !== null &&
          Math.abs(at.getTime() - last.leftAt.getTime()) <= MATCH_SLACK_MS
        ) {
          last.agent = f.agent;
        }
      } else {
        last = {
          queueId,
          enteredAt: null,
          leftAt: at,
          outcome,
          agent: f.agent,
          callback: f.callback || outcome === 'CALLBACK',
        };
        fragments.push(last);
      }
    }
  }
  return fragments;
}

function factKey(f: QueueCallerFact): unknown[] {
  return [f.queueId, f.step, f.at?.getTime() ?? null, f.agent, f.callback];
}

// Time, then step rank, then agent-naming entries first, then content: never arrival order.
function compareFacts(a: QueueCallerFact, b: QueueCallerFact): number {
  return (
    a.at!.getTime() - b.at!.getTime() ||
    STEP_RANK[a.step!] - STEP_RANK[b.step!] ||
    (a.agent === null ? 1 : 0) - (b.agent === null ? 1 : 0) ||
    compareText(canonicalJson(factKey(a)), canonicalJson(factKey(b)))
  );
}

/** The call_cdr to use: latest end, then latest start, then content. */
function latestCdr(events: readonly Distinct[]): PortsipCallFacts | null {
  let best: { facts: PortsipCallFacts; content: string } | null = null;
  for (const e of events) {
    const facts = portsipCallFacts(e.event.payload);
    if (best === null) {
      best = { facts, content: e.content };
      continue;
    }
    const order =
      compareNullableTime(facts.endedAt, best.facts.endedAt) ||
      compareNullableTime(facts.startedAt, best.facts.startedAt) ||
      compareText(e.content, best.content);
    if (order > 0) best = { facts, content: e.content };
  }
  return best?.facts ?? null;
}

/** When the call ended: the CDR's ended_time, else the latest end of its targets. */
function cdrEnd(cdr: PortsipCallFacts): Date | null {
  return cdr.endedAt ?? maxOf(cdr.targets.map((t) => t.endedAt));
}

interface Target {
  facts: PortsipLegFacts;
  start: Date | null;
  index: number;
}

interface Group {
  label: string;
  kind: 'queue' | 'ring_group';
}

const CALLER_LEFT: ReadonlySet<string> = new Set(['caller_disconnect', 'cancelled']);
const PASSED_ON: ReadonlySet<string> = new Set([
  'referred',
  'redirected',
  'blind_transfer_complete',
  'attended_transfer_complete',
  'replaced',
  'callee_disconnect',
]);

/** The queue / ring-group stays a call_cdr shows, each resolved to its outcome. */
function cdrLegs(
  cdr: PortsipCallFacts,
  fragments: readonly Fragment[],
  known: ReadonlySet<string>,
  mappedNumbers: ReadonlySet<string>,
  ctx: QueueFoldContext,
): CdrLeg[] {
  const legFacts = cdr.targets.length > 0 ? cdr.targets : [cdr];
  const targets: Target[] = legFacts.map((facts, index) => ({
    facts,
    start: facts.startedAt ?? facts.ringAt ?? facts.answeredAt,
    index,
  }));
  const groups = new Map<number, Group>();
  for (const t of targets) {
    const g = groupOf(t.facts, known);
    if (g !== null && t.start !== null) groups.set(t.index, g);
  }

  // An unmapped queue id whose target the CDR does not recognise: the target the call reached at
  // the moment it entered the queue is that queue.
  const callEnd = cdrEnd(cdr);
  const spanEnd = (t: Target): number => (t.facts.endedAt ?? callEnd)?.getTime() ?? Infinity;
  for (const fragment of fragments) {
    if (fragment.enteredAt === null || ctx.queueIdToNumber.has(fragment.queueId)) continue;
    const enter = fragment.enteredAt.getTime();
    const leave = fragment.leftAt?.getTime() ?? Infinity;
    // A recognised target already covers that moment: the caller can be in one place at a time.
    const recognised = [...groups.keys()].some(
      (i) => targets[i].start!.getTime() <= leave + MATCH_SLACK_MS && enter <= spanEnd(targets[i]) + MATCH_SLACK_MS,
    );
    if (recognised) continue;
    let best: { target: Target; distance: number } | null = null;
    for (const t of targets) {
      const label = t.facts.callee ?? t.facts.party;
      if (t.start === null || label === null || groups.has(t.index)) continue;
      if (t.facts.callbackByType || t.facts.ringGroupByType || mappedNumbers.has(label)) continue;
      const distance = Math.abs(t.start.getTime() - enter);
      if (distance > MATCH_SLACK_MS) continue;
      // Closest first; at equal distance the earlier start (the call reaches the queue before an agent rings).
      if (
        best === null ||
        distance < best.distance ||
        (distance === best.distance && t.start.getTime() < best.target.start!.getTime())
      ) {
        best = { target: t, distance };
      }
    }
    if (best !== null) {
      const f = best.target.facts;
      groups.set(best.target.index, { label: (f.callee ?? f.party)!, kind: 'queue' });
    }
  }

  // Targets of one label whose spans overlap are one stay (a target listed twice, a re-referral).
  const byLabel = new Map<string, Target[]>();
  for (const [i, g] of groups) push(byLabel, `${g.kind}\u0000${g.label}`, targets[i]);
  const legs: CdrLeg[] = [];
  for (const key of [...byLabel.keys()].sort(compareText)) {
    const members = (byLabel.get(key) ?? []).sort(
      (a, b) => a.start!.getTime() - b.start!.getTime() || a.index - b.index,
    );
    const group = groups.get(members[0].index)!;
    let cluster: Target[] = [];
    let clusterEnd = -Infinity;
    for (const t of members) {
      if (cluster.length > 0 && t.start!.getTime() >= clusterEnd) {
        legs.push(resolveLeg(group, cluster, targets, groups, cdr, callEnd));
        cluster = [];
        clusterEnd = -Infinity;
      }
      cluster.push(t);
      clusterEnd = Math.max(clusterEnd, spanEnd(t));
    }
    if (cluster.length > 0) legs.push(resolveLeg(group, cluster, targets, groups, cdr, callEnd));
  }
  return legs;
}

/** Queue when typed so or a known queue number; ring group when typed so; otherwise not a group. */
function groupOf(t: PortsipLegFacts, known: ReadonlySet<string>): Group | null {
  if (t.callbackByType) return null;
  const number = [t.callee, t.party].find((n): n is string => n !== null && known.has(n));
  if (number !== undefined) return { label: number, kind: 'queue' };
  const label = t.callee ?? t.party;
  if (label === null) return null;
  if (t.queueByType) return { label, kind: 'queue' };
  if (t.ringGroupByType) return { label, kind: 'ring_group' };
  return null;
}

function resolveLeg(
  group: Group,
  cluster: readonly Target[],
  targets: readonly Target[],
  groups: ReadonlyMap<number, Group>,
  cdr: PortsipCallFacts,
  callEnd: Date | null,
): CdrLeg {
  const enteredAt = cluster[0].start!;
  const qs = enteredAt.getTime();
  const ends = cluster.map((t) => t.facts.endedAt);
  const ownEnd = ends.some((e) => e === null) ? null : maxOf(ends);
  const queueEnd = ownEnd ?? callEnd;
  const qe = queueEnd?.getTime() ?? null;
  const inCluster = new Set(cluster.map((t) => t.index));
  const callback = cluster.some((t) => t.facts.callType === 'queue_callback_call');

  // The agent: answered while the caller waited (rang after it entered, before the stay ended).
  let agent: Target | null = null;
  let atEnd: Target | null = null;
  const earlier = (t: Target, than: Target | null): boolean => {
    if (than === null) return true;
    const a = t.facts.answeredAt!.getTime();
    const b = than.facts.answeredAt!.getTime();
    return a < b || (a === b && t.index < than.index);
  };
  for (const t of targets) {
    if (inCluster.has(t.index)) {
      // A target of this label that reached someone else (call_type queue_call on an agent's leg).
      if (t.facts.party === null || t.facts.party === group.label) continue;
    } else if (groups.has(t.index) || t.facts.callbackByType) {
      continue;
    }
    const answered = t.facts.answeredAt;
    if (answered === null || t.start === null) continue;
    const s = t.start.getTime();
    const a = answered.getTime();
    if (s < qs || a < qs) continue;
    if (qe !== null && a > qe + MATCH_SLACK_MS) continue;
    if (qe !== null && s >= qe && !inCluster.has(t.index)) {
      if (s === qe && earlier(t, atEnd)) atEnd = t;
      continue;
    }
    if (earlier(t, agent)) agent = t;
  }
  const answerOf = (t: Target) => ({
    answeredBy: t.facts.party ?? t.facts.callee,
    talkSeconds:
      t.facts.talkSeconds !== null ? Math.round(t.facts.talkSeconds) : seconds(t.facts.answeredAt, t.facts.endedAt),
  });
  if (agent !== null) {
    return {
      label: group.label,
      kind: group.kind,
      enteredAt,
      leftAt: agent.facts.answeredAt,
      outcome: 'ANSWERED',
      ...answerOf(agent),
      callback,
      answerAtEnd: null,
    };
  }

  // The member that ended last speaks for the stay.
  const last = cluster.reduce((a, b) => (compareNullableTime(b.facts.endedAt, a.facts.endedAt) > 0 ? b : a));
  const movedOn =
    qe !== null && targets.some((t) => !inCluster.has(t.index) && t.start !== null && t.start.getTime() >= qe);
  let outcome: QueueOutcome;
  const reason = last.facts.endReason;
  if (reason !== null && CALLER_LEFT.has(reason)) outcome = 'ABANDONED';
  else if (last.facts.outcome === 'FAILED' || last.facts.outcome === 'BUSY') outcome = 'TIMED_OUT';
  else if (reason !== null && PASSED_ON.has(reason)) outcome = 'TIMED_OUT';
  else if (movedOn) outcome = 'TIMED_OUT';
  else outcome = cdr.endReason === 'callee_disconnect' ? 'TIMED_OUT' : 'ABANDONED';
  return {
    label: group.label,
    kind: group.kind,
    enteredAt,
    leftAt: queueEnd === null ? null : maxDate(queueEnd, enteredAt),
    outcome: queueEnd === null ? 'WAITING' : outcome,
    answeredBy: null,
    talkSeconds: null,
    callback,
    answerAtEnd: atEnd === null ? null : answerOf(atEnd),
  };
}

function compatible(f: Fragment, leg: CdrLeg, ctx: QueueFoldContext, mappedNumbers: ReadonlySet<string>): boolean {
  if (leg.kind !== 'queue') return false;
  const mapped = ctx.queueIdToNumber.get(f.queueId);
  return mapped !== undefined ? mapped === leg.label : !mappedNumbers.has(leg.label);
}

function spanStart(f: Fragment): number {
  return (f.enteredAt ?? f.leftAt)!.getTime();
}

/** The two stays overlap, allowing MATCH_SLACK_MS at each end; open ends reach forever. */
function overlaps(f: Fragment, leg: CdrLeg): boolean {
  const fs = spanStart(f);
  const fe = f.leftAt?.getTime() ?? Infinity;
  const ls = leg.enteredAt.getTime();
  const le = leg.leftAt?.getTime() ?? Infinity;
  return fs <= le + MATCH_SLACK_MS && ls <= fe + MATCH_SLACK_MS;
}

function merge(f: Fragment, leg: CdrLeg): Draft {
  const left = f.outcome !== null;
  const outcome: QueueOutcome = left ? f.outcome! : leg.outcome;
  const leftAt = left ? f.leftAt : leg.leftAt;
  let enteredAt = f.enteredAt ?? leg.enteredAt;
  if (leftAt !== null && leftAt.getTime() < enteredAt.getTime()) enteredAt = leftAt;
  // The caller status says answered: an answer the CDR could not attribute on its own is the agent's.
  const answer = leg.outcome === 'ANSWERED' ? leg : outcome === 'ANSWERED' ? leg.answerAtEnd : null;
  return {
    queue: leg.label,
    kind: 'queue',
    enteredAt,
    leftAt,
    outcome,
    answeredBy: outcome === 'ANSWERED' ? (answer?.answeredBy ?? f.agent) : null,
    talkSeconds: outcome === 'ANSWERED' ? (answer?.talkSeconds ?? null) : null,
    callback: f.callback || leg.callback || outcome === 'CALLBACK',
  };
}

// ---------------------------------------------------------------------------------------------
// VoIPcloud

function foldVoipcloud(events: readonly Distinct[], ctx: QueueFoldContext): Draft[] {
  const zone = { timezone: ctx.timezone ?? 'UTC' };
  const drafts: Draft[] = [];
  for (const { event } of events) {
    if (!SUMMARY_TYPES.has(event.type)) continue;
    const f = voipcloudCallFacts(event.type, event.payload);
    const t = voipcloudCallTimes(event.payload, zone);
    if (t.startedAt === null) continue;
    const kind = event.type === 'queue_call' ? 'queue' : 'ring_group';
    const queue = (kind === 'queue' ? f.queueName : f.ringGroupName) ?? kind;
    const outcome = f.outcome ?? (t.answeredAt !== null ? 'ANSWERED' : 'ABANDONED');
    if (outcome === 'ANSWERED') {
      const leftAt =
        t.answeredAt ??
        (f.callSeconds !== null && f.talkSeconds !== null && f.callSeconds >= f.talkSeconds
          ? addMs(t.startedAt, (f.callSeconds - f.talkSeconds) * 1000)
          : null);
      drafts.push({
        queue,
        kind,
        enteredAt: t.startedAt,
        leftAt,
        outcome,
        waitSeconds: seconds(t.startedAt, leftAt),
        answeredBy: f.user,
        talkSeconds: f.talkSeconds === null ? null : Math.round(f.talkSeconds),
        callback: false,
      });
    } else {
      drafts.push({
        queue,
        kind,
        enteredAt: t.startedAt,
        leftAt: f.callSeconds === null ? null : addMs(t.startedAt, f.callSeconds * 1000),
        outcome,
        waitSeconds: f.callSeconds === null ? null : Math.round(f.callSeconds),
        answeredBy: null,
        talkSeconds: null,
        callback: false,
      });
    }
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------------
// Common rules

function finish(drafts: readonly Draft[]): QueueAttempt[] {
  const attempts = drafts.map((d) => {
    const waitSeconds =
      d.outcome === 'WAITING' ? null : d.waitSeconds !== undefined ? d.waitSeconds : seconds(d.enteredAt, d.leftAt);
    const attempt: Omit<QueueAttempt, 'attemptKey'> = {
      queue: d.queue,
      kind: d.kind,
      enteredAt: d.enteredAt,
      leftAt: d.outcome === 'WAITING' ? null : d.leftAt,
      outcome: d.outcome,
      waitSeconds,
      answeredBy: d.answeredBy,
      talkSeconds: d.talkSeconds,
      callback: d.callback,
    };
    return { attempt, content: canonicalJson(attempt) };
  });
  attempts.sort(
    (a, b) =>
      a.attempt.enteredAt.getTime() - b.attempt.enteredAt.getTime() ||
      compareText(a.attempt.kind, b.attempt.kind) ||
      compareText(a.attempt.queue, b.attempt.queue) ||
      compareNullableTime(a.attempt.leftAt, b.attempt.leftAt) ||
      compareText(a.attempt.outcome, b.attempt.outcome) ||
      compareText(a.content, b.content),
  );
  const used = new Map<string, number>();
  return attempts.map(({ attempt }) => {
    const base = `${attempt.kind}:${attempt.queue}@${Math.floor(attempt.enteredAt.getTime() / 1000)}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { attemptKey: n === 1 ? base : `${base}#${n}`, ...attempt };
  });
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Null sorts last. */
function compareNullableTime(a: Date | null, b: Date | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.getTime() - b.getTime();
}

/** Whole seconds from `a` to `b`, rounded half up, never negative; null when either is unknown. */
function seconds(a: Date | null, b: Date | null): number | null {
  if (a === null || b === null) return null;
  return Math.max(0, Math.round((b.getTime() - a.getTime()) / 1000));
}

function addMs(d: Date, ms: number): Date {
  return new Date(d.getTime() + ms);
}

function maxDate(a: Date | null, b: Date): Date {
  return a === null || b.getTime() > a.getTime() ? b : a;
}

function maxOf(dates: ReadonlyArray<Date | null>): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d !== null && (best === null || d.getTime() > best.getTime())) best = d;
  return best;
}

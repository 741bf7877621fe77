/**
 * Call-session reducer: folds every stored event of one call into one CDR row plus its legs.
 *
 * Pure: no clock (ctx.now is the only "now"), no randomness, no I/O. The result is a function of
 * the SET of events: foldCall sorts them itself by (occurredAt, position) with null occurredAt
 * last by (receivedAt, position), breaks remaining ties by content, and drops identical payloads
 * (the first copy in that order is kept). Vendor field names are read only through libs/vendors.
 *
 * Common rules (METRICS.md "Calls")
 * - startedAt: the earliest start the events give; null start for every event → foldCall returns null.
 * - answeredAt: first answer by a person or device: a leg of kind extension, external or callback.
 *   Only when none answered does the first "system" answer count (ivr, queue, ring_group,
 *   voicemail), and answeredBy then says `<kind>:<destination>` (`ivr:5000`, `queue:8000`,
 *   `queue:Sales`, `voicemail`); a person or device answer is the bare number (`102`).
 * - ringSeconds: first ringing → answeredAt (or endedAt when unanswered); null when no ringing
 *   is known or the call has neither answer nor end yet.
 * - talkSeconds: the vendor's figure when sent (PortSIP `talk_duration`, VoIPcloud
 *   `conversation_duration`), else answeredAt → endedAt (hold included); 0 for a completed call
 *   nobody answered; null while unknown.
 * - holdSeconds: sum of hold intervals (Nexbro only; an open hold ends at hang-up, or at the last
 *   event while the call is still open); null for vendors that report no hold.
 * - durationSeconds: endedAt − startedAt (VoIPcloud: `call_duration` unless a later voicemail
 *   shows the call lasted longer). All seconds are whole numbers, rounded half up, never negative.
 * - status: COMPLETED after a final event (Nexbro CALL_HANGUP, PortSIP call_cdr, VoIPcloud
 *   *_completed, queue_call, ring_group_call, voicemail), or when lastEventAt (latest
 *   occurredAt, receivedAt for events without one) is ≥ 6 h before ctx.now; a call closed by
 *   silence keeps what is known (endedAt stays null, it is not invented).
 * - disposition (null while IN_PROGRESS), first match wins: ANSWERED (a person/device answered);
 *   VOICEMAIL (a voicemail leg); BUSY (SIP 486/600, or a busy cause); FAILED (other failures:
 *   SIP 4xx–6xx except 408/480/487, a `fail` status, a failure cause); the vendor's own verdict
 *   (VoIPcloud summary abandoned → ABANDONED, timedout → NO_ANSWER); ABANDONED when the caller
 *   hung up (PortSIP end reason caller_disconnect/cancelled, Nexbro cancel cause) while the last
 *   leg was a queue, a ring group or a leg still ringing; ANSWERED when only an IVR answered and
 *   the call ended there; otherwise NO_ANSWER.
 * - direction: the vendor's when it sends one (PortSIP `direction`; VoIPcloud's type family),
 *   otherwise from the extension pattern (queue numbers count as internal numbers): extension →
 *   extension INTERNAL, extension → other OUTBOUND, other caller INBOUND, or TRANSIT when an
 *   inbound call has a leg to an external number; UNKNOWN without a caller.
 * - legs: ordinal in start order (null starts last), ties by destination, then by content.
 *   kind ∈ extension | queue | ring_group | ivr | voicemail | external | callback;
 *   status ∈ ringing | answered | no_answer | busy | failed | abandoned | timed_out.
 *   A leg with no end of its own ends when another leg answers after it began (ring-all,
 *   IVR → agent), else at the call's end. A destination containing "voicemail" is a voicemail leg.
 *
 * Nexbro (CALL_ROUTED, CALL_RINGING, CALL_ANSWER, CALL_HANGUP, CALL_INPUT, CALL_HOLD, CALL_UNHOLD)
 * - Times are the stored occurredAt (the adapter resolved the zone-less `timestamp` with DST rules).
 * - caller/callee from CALL_ROUTED (else the first event naming them); sessionId call_session_uuid.
 * - One leg per destination of CALL_RINGING/CALL_ANSWER: queue when in ctx.queueNumbers,
 *   extension when it matches the pattern; on an inbound call (caller not an extension) the
 *   dialled number answering itself is the PBX's entry point → ivr; anything else external.
 * - endedAt = latest CALL_HANGUP (the webhooks do not say which party hung up, so a per-leg
 *   hang-up may close the call early until the last one arrives). `hangup_cause`, if a payload
 *   carries one, gives endReason and BUSY/FAILED/ABANDONED; without it an unanswered call is NO_ANSWER.
 * - digits: CALL_INPUT `digit` values concatenated in event order (identical events in one second
 *   collapse, see libs/vendors README). Holds pair each CALL_HOLD with the next CALL_UNHOLD; an
 *   UNHOLD sorted just before its HOLD in the same instant closes it with zero length.
 *
 * PortSIP (call_start, call_update_info, cdr_target_*, call_cdr; other types are left to the
 * queue/agent projections)
 * - With a call_cdr (the last one in event order if several), the CDR alone makes the record:
 *   legs from `call_targets[]` (if it has none: the live target legs, else one leg for the callee).
 * - Without one the call is IN_PROGRESS: call_start (then call_update_info) give the parties and
 *   direction; cdr_target_* events merge into legs keyed by (destination, start_time), later
 *   stages (add < ringing < answer < noanswer/fail/end) overriding earlier ones; first ringing is
 *   the first target's start, and the call's talkSeconds is computed (talk_duration is trusted from the CDR only).
 * - Target kind: callback for callback_call; queue when `call_type` says so OR the number is in
 *   ctx.queueNumbers; ring_group for ring_group_call; IVR heuristic: answered, left with end
 *   reason referred/redirected, and either answered without ringing (answer ≤ ring start, or
 *   ring_duration 0: a machine picks up at once) or not matching the extension pattern; then
 *   extension by pattern, else external. (The example's 5000 answers at once and refers on; a
 *   queue not listed in ctx.queueNumbers and typed normal_call would look the same: an ivr.)
 * - Failure: the CDR's `status_code` (486/600 → BUSY, other ≥ 400 except 408/480/487 → FAILED),
 *   or `call_status` fail → FAILED. Live calls: the last target to end, if it failed.
 *
 * VoIPcloud (user_inbound*, user_outbound*, queue_call, ring_group_call, voicemail,
 * recording_inbound/outbound, webhook_component_event)
 * - Inbound: caller `caller_id`/`caller_name`, callee and DID `dest_number`; outbound: the caller
 *   is the User (`user_number`/`user_name`), callee `dest_number`, no DID.
 * - Legs: one per User (several user_inbound with the same id ring several Users), one for the
 *   called party of an outbound call, one per queue_call/ring_group_call summary (kind queue /
 *   ring_group, destination its name, status answered/abandoned/timed_out), one voicemail leg.
 *   A User leg starts at `call_start_at` (no ring time is sent), so first ringing = call start.
 * - An answered summary also answers its User leg (and counts as ANSWERED even if it names no User).
 *   queue/ringGroup: the first name any event gives.
 * - endedAt: latest end of the final events (call_start_at + call_duration, else their occurred
 *   time) or the voicemail's `recorded_at`, whichever is later. Recordings never move the end.
 * - recordingUrl: the last `call_recording_link` of a recording, else of the voicemail.
 * - webhook_component_event gives the start and caller only (its payload carries no digits).
 * - Direction by type family; both families in one call, or two extension-like parties → pattern.
 */
import { canonicalJson, hashKey, looksLikeExtension } from '@app/vendors';
import {
  NEXBRO_EVENT_TYPES,
  nexbroCallFacts,
  nexbroEventDirection,
  nexbroHangupCause,
  nexbroHangupOutcome,
  nexbroSessionId,
} from '@app/vendors/nexbro';
import { PORTSIP_CDR_EVENT_TYPES, portsipCallFacts, portsipLegFacts, type PortsipLegFacts } from '@app/vendors/portsip';
import {
  VOIPCLOUD_EVENT_TYPES,
  voipcloudCallFacts,
  voipcloudCallTimes,
  voipcloudRecordedAt,
} from '@app/vendors/voipcloud';

/** One stored event of a call, as the projection loads it. */
export interface CallEvent {
  /** bigint as string; tie-breaker. */
  position: string;
  vendor: 'nexbro' | 'portsip' | 'voipcloud';
  /** Canonical type as stored (e.g. 'CALL_ANSWER', 'call_cdr', 'user_inbound_completed'). */
  type: string;
  occurredAt: Date | null;
  receivedAt: Date;
  /** The parsed JSON of the event. */
  payload: unknown;
  /**
   * The stored dedup key when it is a content hash (`h:…`, which is `hashKey(payload)`): saves
   * hashing the payload again to recognise identical events. Absent: hashed here.
   */
  contentKey?: string;
}

/** What the fold needs to know about the source and the moment of folding. */
export interface FoldContext {
  /** Source zone (for zone-less vendor times). */
  timezone: string;
  /** Tenant/source numbering plan, e.g. /^\d{2,5}$/. */
  extensionPattern: RegExp;
  /** Numbers known to be queues (PortSIP targets say normal_call for queues). */
  queueNumbers: ReadonlySet<string>;
  /** For the 6-hour silence rule. */
  now: Date;
}

/** Call direction (METRICS.md). */
export type Direction = 'INBOUND' | 'OUTBOUND' | 'INTERNAL' | 'TRANSIT' | 'UNKNOWN';
/** Call outcome (METRICS.md). */
export type Disposition = 'ANSWERED' | 'NO_ANSWER' | 'BUSY' | 'FAILED' | 'ABANDONED' | 'VOICEMAIL';

/** One CDR row. */
export interface CallSession {
  vendorCallId: string;
  sessionId: string | null;
  direction: Direction;
  status: 'IN_PROGRESS' | 'COMPLETED';
  disposition: Disposition | null;
  callerNumber: string | null;
  callerName: string | null;
  calleeNumber: string | null;
  didNumber: string | null;
  answeredBy: string | null;
  queue: string | null;
  ringGroup: string | null;
  trunk: string | null;
  endReason: string | null;
  digits: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  holdSeconds: number | null;
  durationSeconds: number | null;
  recordingUrl: string | null;
  lastEventAt: Date;
}

/** One destination the call reached (rang, was queued at, answered...). */
export interface CallLeg {
  /** 0.. in leg start order (ties by destination). */
  ordinal: number;
  destination: string;
  /** extension | queue | ring_group | ivr | voicemail | external | callback. */
  kind: string;
  /** ringing | answered | no_answer | busy | failed | abandoned | timed_out. */
  status: string | null;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  endReason: string | null;
}

/** The leg kinds this reducer produces. */
export type LegKind = 'extension' | 'queue' | 'ring_group' | 'ivr' | 'voicemail' | 'external' | 'callback';
/** The leg statuses this reducer produces. */
export type LegStatus = 'ringing' | 'answered' | 'no_answer' | 'busy' | 'failed' | 'abandoned' | 'timed_out';

/** A call closes by itself after this long without any event. */
export const SILENCE_MS = 6 * 3_600_000;

// Answers by these kinds are a person or device; the other kinds are the PBX's own applications.
const PERSON_KINDS: ReadonlySet<LegKind> = new Set(['extension', 'external', 'callback']);
const WAITING_KINDS: ReadonlySet<LegKind> = new Set(['queue', 'ring_group']);

type Failure = 'BUSY' | 'FAILED';

interface LegDraft {
  destination: string;
  kind: LegKind;
  status: LegStatus | null;
  startedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** Vendor figures (win over computed ones). */
  ringSeconds: number | null;
  talkSeconds: number | null;
  endReason: string | null;
}

/** Vendor-neutral facts of one call, before the common rules derive the row. */
interface Draft {
  sessionId: string | null;
  /** The vendor's own direction; null → decided by the extension pattern. */
  direction: Direction | null;
  callerNumber: string | null;
  callerName: string | null;
  calleeNumber: string | null;
  didNumber: string | null;
  trunk: string | null;
  endReason: string | null;
  digits: string | null;
  startedAt: Date | null;
  firstRingAt: Date | null;
  endedAt: Date | null;
  final: boolean;
  legs: LegDraft[];
  /** An answer the vendor reports without naming a leg for it. */
  fallbackAnswer: { at: Date; destination: string; kind: LegKind } | null;
  talkSeconds: number | null;
  durationSeconds: number | null;
  /** Hold intervals (end null = still on hold); null when the vendor reports no hold at all. */
  holds: Array<[Date, Date | null]> | null;
  failure: Failure | null;
  /** The vendor's own verdict (VoIPcloud summaries). */
  outcome: 'ANSWERED' | 'ABANDONED' | 'NO_ANSWER' | null;
  callerHungUp: boolean;
  queue: string | null;
  ringGroup: string | null;
  recordingUrl: string | null;
}

function emptyDraft(): Draft {
  return {
    sessionId: null,
    direction: null,
    callerNumber: null,
    callerName: null,
    calleeNumber: null,
    didNumber: null,
    trunk: null,
    endReason: null,
    digits: null,
    startedAt: null,
    firstRingAt: null,
    endedAt: null,
    final: false,
    legs: [],
    fallbackAnswer: null,
    talkSeconds: null,
    durationSeconds: null,
    holds: null,
    failure: null,
    outcome: null,
    callerHungUp: false,
    queue: null,
    ringGroup: null,
    recordingUrl: null,
  };
}

// The call lifecycle types come from the vendor modules, which alone know vendor vocabulary.
const NEXBRO_TYPES: ReadonlySet<string> = new Set(NEXBRO_EVENT_TYPES.filter((t) => t.startsWith('CALL_')));
const PORTSIP_TYPES: ReadonlySet<string> = new Set(PORTSIP_CDR_EVENT_TYPES);
const PORTSIP_TARGET_TYPES: ReadonlySet<string> = new Set(
  PORTSIP_CDR_EVENT_TYPES.filter((t) => t.startsWith('cdr_target_')),
);
const VOIPCLOUD_TYPES: ReadonlySet<string> = new Set(VOIPCLOUD_EVENT_TYPES);
const CALL_TYPES: Readonly<Record<CallEvent['vendor'], ReadonlySet<string>>> = {
  nexbro: NEXBRO_TYPES,
  portsip: PORTSIP_TYPES,
  voipcloud: VOIPCLOUD_TYPES,
};

/** Folds every stored event of one call; null if none of them gives a start time. */
export function foldCall(
  vendorCallId: string,
  events: readonly CallEvent[],
  ctx: FoldContext,
): { call: CallSession; legs: CallLeg[] } | null {
  const ordered = canonicalOrder(events).filter((e) => CALL_TYPES[e.vendor]?.has(e.type) === true);
  const first = ordered[0];
  if (first === undefined) return null;
  // A call key belongs to one source, so to one vendor; should another vendor's event share
  // the key, the vendor of the first event in canonical order decides and the others are ignored.
  const mine = ordered.filter((e) => e.vendor === first.vendor);
  let draft: Draft;
  switch (first.vendor) {
    case 'nexbro':
      draft = foldNexbro(mine, ctx);
      break;
    case 'portsip':
      draft = foldPortsip(mine, ctx);
      break;
    case 'voipcloud':
      draft = foldVoipcloud(mine, ctx);
      break;
  }
  let lastEventAt = eventTime(mine[0]);
  for (const e of mine) if (eventTime(e) > lastEventAt) lastEventAt = eventTime(e);
  return finish(vendorCallId, draft, new Date(lastEventAt), ctx);
}

// ---------------------------------------------------------------------------------------------
// Canonical order and de-duplication

interface Keyed {
  event: CallEvent;
  at: number | null;
  received: number;
  content: string;
}

// Content hashes of parsed payloads, for as long as a payload object lives: call-sessions folds a
// call again from the same payloads whenever a batch touches it (see CallSessionsProjection's
// memory), and payloads are never changed once parsed.
const contentHashes = new WeakMap<object, string>();

function contentHash(payload: unknown): string {
  if (payload === null || typeof payload !== 'object') return hashKey(payload ?? null);
  let hash = contentHashes.get(payload);
  if (hash === undefined) contentHashes.set(payload, (hash = hashKey(payload)));
  return hash;
}

/** Sorted by (occurredAt, position), null occurredAt last by (receivedAt, position); identical payloads once. */
function canonicalOrder(events: readonly CallEvent[]): CallEvent[] {
  const keyed: Keyed[] = events.map((event) => ({
    event,
    at: validTime(event.occurredAt),
    received: validTime(event.receivedAt) ?? 0,
    content: `${event.vendor}\u0000${event.type}\u0000${event.contentKey ?? contentHash(event.payload)}`,
  }));
  keyed.sort(compareKeyed);
  const seen = new Set<string>();
  const out: CallEvent[] = [];
  for (const k of keyed) {
    if (seen.has(k.content)) continue;
    seen.add(k.content);
    out.push(k.event);
  }
  return out;
}

function compareKeyed(a: Keyed, b: Keyed): number {
  if (a.at !== null && b.at !== null) {
    if (a.at !== b.at) return a.at - b.at;
  } else if (a.at !== null) {
    return -1;
  } else if (b.at !== null) {
    return 1;
  } else if (a.received !== b.received) {
    return a.received - b.received;
  }
  return comparePosition(a.event.position, b.event.position) || compareText(a.content, b.content);
}

// Positions are bigints as strings: compare by length first so "10" sorts after "9".
function comparePosition(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  return compareText(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validTime(d: Date | null | undefined): number | null {
  if (!(d instanceof Date)) return null;
  const t = d.getTime();
  return Number.isFinite(t) ? t : null;
}

function eventTime(e: CallEvent): number {
  return validTime(e.occurredAt) ?? validTime(e.receivedAt) ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Nexbro

function foldNexbro(events: readonly CallEvent[], ctx: FoldContext): Draft {
  const d = emptyDraft();
  d.holds = [];
  let routedCaller: string | null = null;
  let routedCallee: string | null = null;
  let anyCaller: string | null = null;
  let anyCallee: string | null = null;
  const parties = new Map<string, { ringAt: Date | null; answeredAt: Date | null }>();
  const digits: string[] = [];
  let holdStart: Date | null = null;
  let orphanUnhold: number | null = null;
  let hangupCause: string | null = null;

  for (const e of events) {
    const facts = nexbroCallFacts(e.payload);
    const at = validTime(e.occurredAt) === null ? null : e.occurredAt;
    d.sessionId ??= nexbroSessionId(e.payload);
    anyCaller ??= facts.caller;
    anyCallee ??= facts.callee;
    const stated = nexbroEventDirection(e.payload);
    if (stated !== 'UNKNOWN') d.direction ??= stated;
    d.startedAt = minDate(d.startedAt, at);
    switch (e.type) {
      case 'CALL_ROUTED':
        routedCaller ??= facts.caller;
        routedCallee ??= facts.callee;
        break;
      case 'CALL_RINGING':
      case 'CALL_ANSWER': {
        if (facts.callee === null) break;
        const p = parties.get(facts.callee) ?? { ringAt: null, answeredAt: null };
        if (e.type === 'CALL_RINGING') p.ringAt = minDate(p.ringAt, at);
        else p.answeredAt = minDate(p.answeredAt, at);
        parties.set(facts.callee, p);
        if (e.type === 'CALL_RINGING') d.firstRingAt = minDate(d.firstRingAt, at);
        break;
      }
      case 'CALL_HANGUP':
        d.final = true;
        d.endedAt = maxDate(d.endedAt, at);
        hangupCause = nexbroHangupCause(e.payload) ?? hangupCause;
        break;
      case 'CALL_INPUT':
        if (facts.digits !== null) digits.push(facts.digits);
        break;
      case 'CALL_HOLD':
        if (at === null || holdStart !== null) break;
        if (orphanUnhold === at.getTime()) d.holds.push([at, at]);
        else holdStart = at;
        break;
      case 'CALL_UNHOLD':
        if (at === null) break;
        if (holdStart === null) {
          orphanUnhold = at.getTime();
        } else {
          d.holds.push([holdStart, at]);
          holdStart = null;
        }
        break;
    }
  }
  if (holdStart !== null) d.holds.push([holdStart, null]);

  d.callerNumber = routedCaller ?? anyCaller;
  d.calleeNumber = routedCallee ?? anyCallee;
  d.digits = digits.length > 0 ? digits.join('') : null;
  const callerIsInternal = isInternalNumber(d.callerNumber, ctx);
  if (!callerIsInternal && d.calleeNumber !== null && !isInternalNumber(d.calleeNumber, ctx)) {
    d.didNumber = d.calleeNumber;
  }
  for (const [destination, p] of parties) {
    let kind = partyKind(destination, ctx);
    // An inbound call answered on the very number dialled was picked up by the PBX itself.
    if (kind === 'external' && !callerIsInternal && destination === d.calleeNumber) kind = 'ivr';
    d.legs.push({
      ...blankLeg(destination, kind),
      startedAt: minDate(p.ringAt, p.answeredAt),
      answeredAt: p.answeredAt,
    });
  }
  d.queue = firstLegOf(d.legs, 'queue');
  if (hangupCause !== null) {
    d.endReason = hangupCause.toLowerCase();
    switch (nexbroHangupOutcome(hangupCause)) {
      case 'BUSY':
        d.failure = 'BUSY';
        break;
      case 'FAILED':
        d.failure = 'FAILED';
        break;
      case 'CANCELLED':
        d.callerHungUp = true;
        break;
      case 'NO_ANSWER':
        d.outcome = 'NO_ANSWER';
        break;
      default:
        break;
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// PortSIP

const TARGET_STAGE: Readonly<Record<string, number>> = {
  cdr_target_add: 0,
  cdr_target_ringing: 1,
  cdr_target_answer: 2,
  cdr_target_noanswer: 3,
  cdr_target_fail: 3,
  cdr_target_end: 3,
};

function foldPortsip(events: readonly CallEvent[], ctx: FoldContext): Draft {
  const live = foldPortsipLive(events, ctx);
  const cdrEvent = events.filter((e) => e.type === 'call_cdr').at(-1);
  if (cdrEvent === undefined) return live;

  const cdr = portsipCallFacts(cdrEvent.payload);
  const d = emptyDraft();
  d.final = true;
  d.sessionId = cdr.sessionId;
  d.direction = cdr.direction === 'UNKNOWN' ? null : cdr.direction;
  d.callerNumber = cdr.caller;
  d.callerName = cdr.callerName;
  d.calleeNumber = cdr.callee;
  d.didNumber = cdr.did;
  d.trunk = cdr.trunk;
  d.endReason = cdr.endReason;
  d.talkSeconds = cdr.talkSeconds;
  d.legs = cdr.targets.map((t) => portsipLeg(t, ctx));
  if (d.legs.length === 0) d.legs = live.legs;
  if (d.legs.length === 0 && (cdr.party ?? cdr.callee) !== null) d.legs = [portsipLeg(cdr, ctx)];
  d.startedAt = cdr.startedAt ?? minOf(cdr.targets.map((t) => t.startedAt)) ?? live.startedAt;
  d.firstRingAt = minOf([cdr.ringAt, ...cdr.targets.map((t) => t.ringAt)]);
  d.endedAt = cdr.endedAt ?? maxOf(cdr.targets.map((t) => t.endedAt)) ?? cdrEvent.occurredAt;
  const answerer = cdr.party ?? cdr.callee;
  if (cdr.answeredAt !== null && answerer !== null) {
    d.fallbackAnswer = { at: cdr.answeredAt, destination: answerer, kind: portsipKind(cdr, answerer, ctx) };
  }
  d.failure =
    sipFailure(cdr.statusCode) ??
    (cdr.outcome === 'BUSY' ? 'BUSY' : cdr.outcome === 'FAILED' ? (lastFailure(d.legs) ?? 'FAILED') : null);
  d.callerHungUp = cdr.endReason === 'caller_disconnect' || cdr.endReason === 'cancelled';
  d.queue = firstLegOf(d.legs, 'queue');
  d.ringGroup = firstLegOf(d.legs, 'ring_group');
  return d;
}

/** The record while no call_cdr has arrived: call_start/call_update_info plus cdr_target_* legs. */
function foldPortsipLive(events: readonly CallEvent[], ctx: FoldContext): Draft {
  const d = emptyDraft();
  // call_start describes the call as it began; updates only fill what it left out.
  const calls = [
    ...events.filter((e) => e.type === 'call_start'),
    ...events.filter((e) => e.type === 'call_update_info'),
  ];
  for (const e of calls) {
    const f = portsipCallFacts(e.payload);
    d.sessionId ??= f.sessionId;
    if (f.direction !== 'UNKNOWN') d.direction ??= f.direction;
    d.callerNumber ??= f.caller;
    d.callerName ??= f.callerName;
    d.calleeNumber ??= f.callee;
    d.didNumber ??= f.did;
    d.trunk ??= f.trunk;
    const start = e.type === 'call_start' ? (f.startedAt ?? f.time ?? e.occurredAt) : f.startedAt;
    d.startedAt = minDate(d.startedAt, start);
  }

  d.legs = portsipLiveLegs(
    events.filter((e) => PORTSIP_TARGET_TYPES.has(e.type)),
    ctx,
  );
  for (const leg of d.legs) d.startedAt = minDate(d.startedAt, leg.startedAt);
  d.firstRingAt = minOf(d.legs.map((l) => l.startedAt));
  if (d.startedAt === null) d.startedAt = minOf(events.map((e) => e.occurredAt));
  d.failure = lastFailure(d.legs);
  d.queue = firstLegOf(d.legs, 'queue');
  d.ringGroup = firstLegOf(d.legs, 'ring_group');
  return d;
}

interface LiveTarget {
  facts: PortsipLegFacts;
  type: string;
  at: Date | null;
  index: number;
}

function portsipLiveLegs(events: readonly CallEvent[], ctx: FoldContext): LegDraft[] {
  const targets: LiveTarget[] = events.map((e, index) => ({
    facts: portsipLegFacts(e.payload),
    type: e.type,
    at: validTime(e.occurredAt) === null ? null : e.occurredAt,
    index,
  }));
  // A target is one (destination, start_time); events that lack start_time join the latest leg of
  // their destination that started no later than they happened.
  const groups = new Map<string, LiveTarget[]>();
  const keyOf = (party: string, start: Date | null): string => `${party}\u0000${start?.getTime() ?? ''}`;
  const startOf = (t: LiveTarget): Date | null => t.facts.startedAt ?? (t.type === 'cdr_target_add' ? t.at : null);
  for (const t of targets) {
    const start = startOf(t);
    if (start !== null) push(groups, keyOf(t.facts.party ?? 'unknown', start), t);
  }
  for (const t of targets) {
    if (startOf(t) !== null) continue;
    const party = t.facts.party ?? 'unknown';
    const starts = targets
      .map(startOf)
      .filter((s, i): s is Date => s !== null && (targets[i].facts.party ?? 'unknown') === party)
      .filter((s) => t.at === null || s.getTime() <= t.at.getTime());
    push(groups, keyOf(party, maxOf(starts)), t);
  }

  const legs: LegDraft[] = [];
  for (const group of groups.values()) {
    // Later stages know more: read the group from the earliest stage to the latest.
    group.sort((a, b) => (TARGET_STAGE[a.type] ?? 0) - (TARGET_STAGE[b.type] ?? 0) || a.index - b.index);
    const merged: PortsipLegFacts = { ...group[0].facts };
    let ringAt: Date | null = null;
    let answeredAt: Date | null = null;
    let endedAt: Date | null = null;
    let startedAt: Date | null = null;
    let typeStatus: LegStatus | null = null;
    for (const t of group) {
      overlay(merged, t.facts);
      startedAt = minDate(startedAt, startOf(t));
      ringAt = minDate(ringAt, t.facts.ringAt ?? (t.type === 'cdr_target_ringing' ? t.at : null));
      answeredAt = minDate(answeredAt, t.facts.answeredAt ?? (t.type === 'cdr_target_answer' ? t.at : null));
      if (TARGET_STAGE[t.type] === 3) endedAt = maxDate(endedAt, t.facts.endedAt ?? t.at);
      else endedAt = maxDate(endedAt, t.facts.endedAt);
      typeStatus = stageStatus(t.type, t.facts) ?? typeStatus;
    }
    merged.startedAt = startedAt ?? ringAt ?? answeredAt;
    merged.ringAt = ringAt;
    merged.answeredAt = answeredAt;
    merged.endedAt = endedAt;
    const leg = portsipLeg(merged, ctx);
    leg.status ??= typeStatus;
    if (leg.status === 'answered' && leg.answeredAt === null) leg.status = null;
    legs.push(leg);
  }
  return legs;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Copies every non-null fact of `next` over `into` (booleans: any true wins). */
function overlay(into: PortsipLegFacts, next: PortsipLegFacts): void {
  into.id = next.id ?? into.id;
  into.callType = next.callType ?? into.callType;
  into.queueByType ||= next.queueByType;
  into.ringGroupByType ||= next.ringGroupByType;
  into.callbackByType ||= next.callbackByType;
  into.party = next.party ?? into.party;
  into.callee = next.callee ?? into.callee;
  into.outcome = next.outcome ?? into.outcome;
  into.statusCode = next.statusCode ?? into.statusCode;
  into.endReason = next.endReason ?? into.endReason;
  into.ringSeconds = next.ringSeconds ?? into.ringSeconds;
  into.talkSeconds = next.talkSeconds ?? into.talkSeconds;
}

function stageStatus(type: string, f: PortsipLegFacts): LegStatus | null {
  switch (type) {
    case 'cdr_target_ringing':
      return 'ringing';
    case 'cdr_target_answer':
      return 'answered';
    case 'cdr_target_noanswer':
      return 'no_answer';
    case 'cdr_target_fail':
      return sipFailure(f.statusCode) === 'BUSY' ? 'busy' : 'failed';
    default:
      return null;
  }
}

function portsipLeg(t: PortsipLegFacts, ctx: FoldContext): LegDraft {
  const destination = t.party ?? t.callee ?? 'unknown';
  let status: LegStatus | null = null;
  switch (t.outcome) {
    case 'ANSWERED':
      status = 'answered';
      break;
    case 'NO_ANSWER':
      status = 'no_answer';
      break;
    case 'BUSY':
      status = 'busy';
      break;
    case 'FAILED':
      status = sipFailure(t.statusCode) === 'BUSY' ? 'busy' : 'failed';
      break;
    default:
      break;
  }
  return {
    destination,
    kind: portsipKind(t, destination, ctx),
    status,
    startedAt: t.startedAt ?? t.ringAt ?? t.answeredAt,
    answeredAt: t.answeredAt,
    endedAt: t.endedAt,
    ringSeconds: t.ringSeconds,
    talkSeconds: t.talkSeconds,
    endReason: t.endReason,
  };
}

function portsipKind(t: PortsipLegFacts, destination: string, ctx: FoldContext): LegKind {
  if (t.callbackByType) return 'callback';
  if (t.queueByType || ctx.queueNumbers.has(destination) || (t.callee !== null && ctx.queueNumbers.has(t.callee))) {
    return 'queue';
  }
  if (t.ringGroupByType) return 'ring_group';
  if (isVoicemail(destination)) return 'voicemail';
  const answered = t.answeredAt !== null || t.outcome === 'ANSWERED';
  const passedOn = t.endReason === 'referred' || t.endReason === 'redirected';
  if (answered && passedOn) {
    const ringFrom = t.ringAt ?? t.startedAt;
    const instant =
      t.answeredAt !== null && ringFrom !== null ? t.answeredAt.getTime() <= ringFrom.getTime() : t.ringSeconds === 0;
    if (instant || !looksLikeExtension(destination, ctx.extensionPattern)) return 'ivr';
  }
  return looksLikeExtension(destination, ctx.extensionPattern) ? 'extension' : 'external';
}

/** BUSY for SIP 486/600, FAILED for other 4xx–6xx except the no-answer/cancel codes 408, 480, 487. */
function sipFailure(code: number | null): Failure | null {
  if (code === null) return null;
  if (code === 486 || code === 600) return 'BUSY';
  if (code === 408 || code === 480 || code === 487) return null;
  return code >= 400 && code < 700 ? 'FAILED' : null;
}

/** The failure of the last leg to end, when that leg failed. */
function lastFailure(legs: readonly LegDraft[]): Failure | null {
  const ended = legs.filter((l) => l.endedAt !== null);
  if (ended.length === 0) return null;
  const last = sortLegs(ended).reduce((a, b) => (b.endedAt!.getTime() >= a.endedAt!.getTime() ? b : a));
  if (last.status === 'busy') return 'BUSY';
  if (last.status === 'failed') return 'FAILED';
  return null;
}

// ---------------------------------------------------------------------------------------------
// VoIPcloud

const SUMMARY_STATUS: Readonly<Record<string, LegStatus>> = {
  ANSWERED: 'answered',
  ABANDONED: 'abandoned',
  TIMED_OUT: 'timed_out',
};

function foldVoipcloud(events: readonly CallEvent[], ctx: FoldContext): Draft {
  const d = emptyDraft();
  const zone = { timezone: ctx.timezone };
  const legs = new Map<string, LegDraft>();
  const legOf = (kind: LegKind, destination: string): LegDraft => {
    const key = `${kind}\u0000${destination}`;
    let leg = legs.get(key);
    if (!leg) {
      leg = blankLeg(destination, kind);
      legs.set(key, leg);
    }
    return leg;
  };
  const families = new Set<'INBOUND' | 'OUTBOUND'>();
  let recording: string | null = null;
  let voicemailLink: string | null = null;

  for (const e of events) {
    const f = voipcloudCallFacts(e.type, e.payload);
    const t = voipcloudCallTimes(e.payload, zone);
    const at = validTime(e.occurredAt) === null ? null : e.occurredAt;
    const inbound = e.type.startsWith('user_inbound') || e.type === 'queue_call' || e.type === 'ring_group_call';
    const outbound = e.type.startsWith('user_outbound');
    const isFinal =
      e.type.endsWith('_completed') ||
      e.type === 'queue_call' ||
      e.type === 'ring_group_call' ||
      e.type === 'voicemail';
    if (inbound) families.add('INBOUND');
    if (outbound) families.add('OUTBOUND');
    d.startedAt = minDate(d.startedAt, t.startedAt);
    if (inbound || outbound) d.firstRingAt = minDate(d.firstRingAt, t.startedAt);
    if (outbound) {
      d.callerNumber ??= f.user ?? f.caller;
      d.callerName ??= f.userName;
      d.calleeNumber ??= f.dialled;
    } else if (!e.type.startsWith('recording_')) {
      d.callerNumber ??= f.caller;
      d.callerName ??= f.callerName;
      d.calleeNumber ??= f.dialled;
      d.didNumber ??= f.dialled;
    }
    if (e.type.startsWith('user_inbound')) {
      d.queue ??= f.queueName;
      d.ringGroup ??= f.ringGroupName;
    }
    if (isFinal) {
      d.final = true;
      if (e.type !== 'voicemail') {
        d.endedAt = maxDate(d.endedAt, t.endedAt ?? at);
        d.talkSeconds = maxNum(d.talkSeconds, f.talkSeconds);
        d.durationSeconds = maxNum(d.durationSeconds, f.callSeconds);
      }
    }

    // The leg this event is about: the User ringing, or the party an outbound call dialled.
    let party: LegDraft | null = null;
    if (e.type.startsWith('user_inbound') && f.user !== null) party = legOf('extension', f.user);
    if (outbound && f.dialled !== null) party = legOf(partyKind(f.dialled, ctx), f.dialled);
    if (party !== null) {
      party.startedAt = minDate(party.startedAt, t.startedAt);
      if (e.type.endsWith('_answered') || e.type.endsWith('_completed')) {
        party.answeredAt = minDate(party.answeredAt, t.answeredAt ?? (e.type.endsWith('_answered') ? at : null));
      }
      if (e.type.endsWith('_completed')) {
        party.endedAt = maxDate(party.endedAt, t.endedAt ?? at);
        party.talkSeconds = maxNum(party.talkSeconds, f.talkSeconds);
      }
    }

    switch (e.type) {
      case 'queue_call':
      case 'ring_group_call': {
        const kind: LegKind = e.type === 'queue_call' ? 'queue' : 'ring_group';
        const name = (kind === 'queue' ? f.queueName : f.ringGroupName) ?? kind;
        if (kind === 'queue') d.queue ??= f.queueName;
        else d.ringGroup ??= f.ringGroupName;
        const leg = legOf(kind, name);
        const answered = f.outcome === 'ANSWERED';
        leg.startedAt = minDate(leg.startedAt, t.startedAt);
        if (answered) leg.answeredAt = minDate(leg.answeredAt, t.answeredAt);
        leg.endedAt = maxDate(leg.endedAt, t.endedAt ?? at);
        leg.status = SUMMARY_STATUS[f.outcome ?? ''] ?? leg.status;
        if (answered) leg.talkSeconds = maxNum(leg.talkSeconds, f.talkSeconds);
        // The summary names the User who answered, even when no user_inbound_answered arrived.
        if (answered && f.user !== null) {
          const user = legOf('extension', f.user);
          user.startedAt = minDate(user.startedAt, t.startedAt);
          user.answeredAt = minDate(user.answeredAt, t.answeredAt);
          user.endedAt = maxDate(user.endedAt, t.endedAt ?? at);
          user.talkSeconds = maxNum(user.talkSeconds, f.talkSeconds);
        }
        d.outcome = f.outcome === 'ABANDONED' ? 'ABANDONED' : f.outcome === 'TIMED_OUT' ? 'NO_ANSWER' : f.outcome;
        d.endReason = f.outcome === 'ABANDONED' ? 'abandoned' : f.outcome === 'TIMED_OUT' ? 'timed_out' : null;
        break;
      }
      case 'voicemail': {
        const recordedAt = voipcloudRecordedAt(e.payload, zone) ?? at;
        const leg = legOf('voicemail', 'voicemail');
        leg.startedAt = minDate(leg.startedAt, recordedAt);
        leg.answeredAt = minDate(leg.answeredAt, recordedAt);
        leg.endedAt = maxDate(leg.endedAt, recordedAt);
        leg.status = 'answered';
        d.endedAt = maxDate(d.endedAt, recordedAt);
        voicemailLink = f.recordingLink ?? voicemailLink;
        break;
      }
      case 'recording_inbound':
      case 'recording_outbound':
        recording = f.recordingLink ?? recording;
        break;
      default:
        break;
    }
  }

  d.sessionId = null;
  d.legs = [...legs.values()];
  d.recordingUrl = recording ?? voicemailLink;
  if (families.size === 1) {
    const [family] = families;
    const bothInternal = isInternalNumber(d.callerNumber, ctx) && isInternalNumber(d.calleeNumber, ctx);
    d.direction = bothInternal ? 'INTERNAL' : (family ?? null);
  }
  // call_duration is the vendor's figure, unless a later voicemail shows the call went on longer.
  if (d.durationSeconds !== null && d.startedAt !== null && d.endedAt !== null) {
    if (d.endedAt.getTime() > d.startedAt.getTime() + d.durationSeconds * 1000 + 999) d.durationSeconds = null;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Common rules

function finish(
  vendorCallId: string,
  d: Draft,
  lastEventAt: Date,
  ctx: FoldContext,
): { call: CallSession; legs: CallLeg[] } | null {
  if (d.startedAt === null) return null;
  const completed = d.final || ctx.now.getTime() - lastEventAt.getTime() >= SILENCE_MS;

  // A leg without an end of its own ends when another leg answers after it began, else with the call.
  const answers = d.legs.filter((l) => l.answeredAt !== null);
  const legs = sortLegs(
    d.legs.map((l) => {
      const leg = { ...l };
      if (leg.endedAt === null) {
        const from = leg.answeredAt ?? leg.startedAt;
        const later =
          from === null
            ? null
            : minOf(
                answers
                  .filter((o) => o !== l)
                  .map((o) => o.answeredAt!)
                  .filter((a) =>
                    leg.answeredAt === null ? a.getTime() >= from.getTime() : a.getTime() > from.getTime(),
                  ),
              );
        leg.endedAt = minDate(later, d.endedAt) ?? later ?? d.endedAt;
      }
      if (leg.status === null) {
        if (leg.answeredAt !== null) leg.status = 'answered';
        else leg.status = leg.endedAt !== null || completed ? 'no_answer' : 'ringing';
      }
      return leg;
    }),
  );

  const person = firstAnswer(legs.filter((l) => PERSON_KINDS.has(l.kind)));
  const system = firstAnswer(legs.filter((l) => !PERSON_KINDS.has(l.kind)));
  let answeredAt: Date | null = null;
  let answeredBy: string | null = null;
  let personAnswered = false;
  let answeredKind: LegKind | null = null;
  if (person) {
    answeredAt = person.answeredAt;
    answeredBy = person.destination;
    personAnswered = true;
    answeredKind = person.kind;
  } else if (system) {
    answeredAt = system.answeredAt;
    answeredBy = systemLabel(system.kind, system.destination);
    answeredKind = system.kind;
  } else if (d.fallbackAnswer !== null) {
    const f = d.fallbackAnswer;
    answeredAt = f.at;
    personAnswered = PERSON_KINDS.has(f.kind);
    answeredBy = personAnswered ? f.destination : systemLabel(f.kind, f.destination);
    answeredKind = f.kind;
  }

  const endedAt = d.endedAt;
  const ringSeconds = d.firstRingAt === null ? null : seconds(d.firstRingAt, answeredAt ?? endedAt);
  let talkSeconds: number | null = d.talkSeconds === null ? null : Math.round(d.talkSeconds);
  if (talkSeconds === null) {
    if (answeredAt !== null) talkSeconds = seconds(answeredAt, endedAt);
    else if (completed) talkSeconds = 0;
  }
  const durationSeconds = d.durationSeconds === null ? seconds(d.startedAt, endedAt) : Math.round(d.durationSeconds);
  const holdSeconds = d.holds === null ? null : holdTotal(d.holds, endedAt ?? lastEventAt);

  let disposition: Disposition | null = null;
  if (completed) {
    const last = legs.at(-1) ?? null;
    const reachedVoicemail = legs.some(
      (l) => l.kind === 'voicemail' && (l.answeredAt !== null || l.status === 'answered'),
    );
    if (personAnswered || d.outcome === 'ANSWERED') disposition = 'ANSWERED';
    else if (reachedVoicemail || answeredKind === 'voicemail') disposition = 'VOICEMAIL';
    else if (d.failure !== null) disposition = d.failure;
    else if (d.outcome === 'ABANDONED' || d.outcome === 'NO_ANSWER') disposition = d.outcome;
    else if (d.callerHungUp && (last === null || WAITING_KINDS.has(last.kind) || last.answeredAt === null)) {
      disposition = 'ABANDONED';
    } else if (answeredKind === 'ivr' && (last === null || (last.kind === 'ivr' && last.answeredAt !== null))) {
      disposition = 'ANSWERED';
    } else disposition = 'NO_ANSWER';
  }

  const direction = d.direction ?? patternDirection(d.callerNumber, d.calleeNumber, legs, ctx);
  const call: CallSession = {
    vendorCallId,
    sessionId: d.sessionId ?? vendorCallId,
    direction,
    status: completed ? 'COMPLETED' : 'IN_PROGRESS',
    disposition,
    callerNumber: d.callerNumber,
    callerName: d.callerName,
    calleeNumber: d.calleeNumber,
    didNumber: d.didNumber,
    answeredBy,
    queue: d.queue ?? firstLegOf(legs, 'queue'),
    ringGroup: d.ringGroup ?? firstLegOf(legs, 'ring_group'),
    trunk: d.trunk,
    endReason: d.endReason,
    digits: d.digits,
    startedAt: d.startedAt,
    answeredAt,
    endedAt,
    ringSeconds,
    talkSeconds,
    holdSeconds,
    durationSeconds,
    recordingUrl: d.recordingUrl,
    lastEventAt,
  };
  return {
    call,
    legs: legs.map((l, ordinal) => ({
      ordinal,
      destination: l.destination,
      kind: l.kind,
      status: l.status,
      startedAt: l.startedAt,
      answeredAt: l.answeredAt,
      endedAt: l.endedAt,
      ringSeconds: l.ringSeconds !== null ? Math.round(l.ringSeconds) : seconds(l.startedAt, l.answeredAt ?? l.endedAt),
      talkSeconds:
        l.talkSeconds !== null
          ? Math.round(l.talkSeconds)
          : l.answeredAt !== null
            ? seconds(l.answeredAt, l.endedAt)
            : l.endedAt !== null || completed
              ? 0
              : null,
      endReason: l.endReason,
    })),
  };
}

function firstAnswer(legs: readonly LegDraft[]): LegDraft | null {
  let best: LegDraft | null = null;
  // legs are in ordinal order, so an equal answer time keeps the earlier leg.
  for (const l of legs) {
    if (l.answeredAt !== null && (best === null || l.answeredAt.getTime() < best.answeredAt!.getTime())) best = l;
  }
  return best;
}

function systemLabel(kind: LegKind, destination: string): string {
  return destination === kind ? kind : `${kind}:${destination}`;
}

function holdTotal(holds: ReadonlyArray<[Date, Date | null]>, until: Date): number {
  let ms = 0;
  for (const [from, to] of holds) {
    const end = Math.min((to ?? until).getTime(), until.getTime());
    ms += Math.max(0, end - from.getTime());
  }
  return Math.round(ms / 1000);
}

function patternDirection(
  caller: string | null,
  callee: string | null,
  legs: readonly LegDraft[],
  ctx: FoldContext,
): Direction {
  if (caller === null) return 'UNKNOWN';
  if (isInternalNumber(caller, ctx)) {
    if (callee === null) return 'UNKNOWN';
    return isInternalNumber(callee, ctx) ? 'INTERNAL' : 'OUTBOUND';
  }
  return legs.some((l) => l.kind === 'external') ? 'TRANSIT' : 'INBOUND';
}

function isInternalNumber(n: string | null, ctx: FoldContext): boolean {
  return n !== null && (ctx.queueNumbers.has(n) || looksLikeExtension(n, ctx.extensionPattern));
}

/** Kind of a party known only by its number. */
function partyKind(n: string, ctx: FoldContext): LegKind {
  if (isVoicemail(n)) return 'voicemail';
  if (ctx.queueNumbers.has(n)) return 'queue';
  return looksLikeExtension(n, ctx.extensionPattern) ? 'extension' : 'external';
}

function isVoicemail(n: string): boolean {
  return /voice[\s_-]?mail/i.test(n);
}

function blankLeg(destination: string, kind: LegKind): LegDraft {
  return {
    destination,
    kind,
    status: null,
    startedAt: null,
    answeredAt: null,
    endedAt: null,
    ringSeconds: null,
    talkSeconds: null,
    endReason: null,
  };
}

function firstLegOf(legs: readonly LegDraft[], kind: LegKind): string | null {
  return sortLegs(legs.filter((l) => l.kind === kind))[0]?.destination ?? null;
}

/** Start order (null starts last), then destination, then every other field, so ties never depend on input order. */
function sortLegs<T extends LegDraft>(legs: readonly T[]): T[] {
  // The whole-leg key is only needed for ties on start and destination (rare): made on demand.
  const keys = new Map<T, string>();
  const key = (leg: T): string => keys.get(leg) ?? keys.set(leg, canonicalJson(leg)).get(leg)!;
  return [...legs].sort(
    (a, b) =>
      compareNullableTime(a.startedAt, b.startedAt) ||
      compareText(a.destination, b.destination) ||
      compareText(key(a), key(b)),
  );
}

function compareNullableTime(a: Date | null, b: Date | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.getTime() - b.getTime();
}

/** Whole seconds from `a` to `b`, rounded half up, never negative; null when either is unknown. */
function seconds(a: Date | null, b: Date | null): number | null {
  if (a === null || b === null) return null;
  return Math.max(0, Math.round((b.getTime() - a.getTime()) / 1000));
}

function minDate(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.getTime() < a.getTime() ? b : a;
}

function maxDate(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.getTime() > a.getTime() ? b : a;
}

function minOf(dates: ReadonlyArray<Date | null>): Date | null {
  return dates.reduce<Date | null>((acc, d) => minDate(acc, validTime(d) === null ? null : d), null);
}

function maxOf(dates: ReadonlyArray<Date | null>): Date | null {
  return dates.reduce<Date | null>((acc, d) => maxDate(acc, validTime(d) === null ? null : d), null);
}

function maxNum(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

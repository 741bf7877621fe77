import { firstAnswer, personAnswer } from './emit/common';
import { CallKind, Direction, Disposition, EmittedEvent, SimCall, Vendor } from './model';
import { intervalStart } from './time';

/**
 * The ground truth: what the analytics must report for the simulated traffic, computed from the
 * model (never from the payloads), with METRICS.md's definitions and each vendor's own figures
 * where METRICS.md says they win.
 */

/** Thresholds of the tenant settings (METRICS.md defaults). */
export interface TruthSettings {
  slaThresholdSeconds: number;
  shortAbandonSeconds: number;
}

/** Tenant defaults of METRICS.md. */
export const DEFAULT_TRUTH_SETTINGS: TruthSettings = { slaThresholdSeconds: 20, shortAbandonSeconds: 5 };

/** One call as the backend must report it (keyed by the vendor's call id). */
export interface CallTruth {
  vendorCallId: string;
  vendor: Vendor;
  tenant: number;
  sessionId: string;
  kind: CallKind | 'transferred';
  direction: Direction;
  disposition: Disposition;
  talkSeconds: number;
  /** Only Nexbro reports holds; null for the others. */
  holdSeconds: number | null;
  startedAt: string;
  endedAt: string;
  /** The person or device that answered first (extension or external number), else null. */
  answeredBy: string | null;
  queue: string | null;
  ringGroup: string | null;
  /** DTMF digits in order (Nexbro reports them); null when none or not reported. */
  digits: string | null;
}

/** Counts of one queue (or ring group) in one 15-minute UTC interval, by the enter time. */
export interface QueueIntervalTruth {
  tenant: number;
  vendor: Vendor;
  /** The label the backend reports: PortSIP's queue number, VoIPcloud's queue / ring group name. */
  queue: string;
  kind: 'queue' | 'ring_group';
  number: string;
  name: string;
  intervalStart: string;
  offered: number;
  answered: number;
  answeredWithinSla: number;
  abandoned: number;
  shortAbandoned: number;
  timedOut: number;
  callbacks: number;
}

const iso = (sec: number) => new Date(sec * 1000).toISOString();

/** The disposition of a call by METRICS.md's precedence, from what happened on its legs. */
function dispositionOf(call: SimCall): Disposition {
  const legs = call.legs;
  if (personAnswer(legs)) return 'ANSWERED';
  const voicemail = call.vendor === 'voipcloud' ? call.voicemail !== null : legs.some((l) => l.kind === 'voicemail');
  if (voicemail) return 'VOICEMAIL';
  if (legs.some((l) => l.status === 'busy')) return 'BUSY';
  if (legs.some((l) => l.status === 'failed')) return 'FAILED';
  if (call.queue?.outcome === 'abandoned') return 'ABANDONED';
  // Only the IVR answered and the caller hung up there: the PBX answered the call.
  if (legs.length > 0 && legs.every((l) => l.kind === 'ivr')) return 'ANSWERED';
  return 'NO_ANSWER';
}

/**
 * talkSeconds: PortSIP's talk_duration (the CDR counts from the call's first answer, IVR and
 * queue included), VoIPcloud's conversation_duration (from the User's answer), and for Nexbro,
 * which sends no figure, from the first answer by a person (else by the IVR) to hang-up.
 */
function talkOf(call: SimCall): number {
  if (call.vendor === 'portsip') {
    const a = firstAnswer(call.legs);
    return a === null ? 0 : call.end - a;
  }
  const person = personAnswer(call.legs);
  if (person) return call.end - person.answer!;
  if (call.vendor === 'nexbro') {
    const a = firstAnswer(call.legs);
    return a === null ? 0 : call.end - a;
  }
  return 0;
}

/** The truth records of one simulated call: one, or two for a Nexbro transfer (two call_uuids). */
export function callTruths(call: SimCall): CallTruth[] {
  const person = personAnswer(call.legs);
  const label = call.queue ? (call.vendor === 'portsip' ? call.queue.number : call.queue.name) : null;
  const own: CallTruth = {
    vendorCallId: call.vendorCallId,
    vendor: call.vendor,
    tenant: call.tenant,
    sessionId: call.sessionId,
    kind: call.kind,
    direction: call.direction,
    disposition: dispositionOf(call),
    talkSeconds: talkOf(call),
    holdSeconds: call.vendor === 'nexbro' ? call.holds.reduce((n, [a, b]) => n + (b - a), 0) : null,
    startedAt: iso(call.start),
    endedAt: iso(call.end),
    answeredBy: person?.number ?? null,
    queue: call.queue?.kind === 'queue' ? label : null,
    ringGroup: call.queue?.kind === 'ring_group' ? label : null,
    digits: call.vendor === 'nexbro' && call.digits.length ? call.digits.map((d) => d.digit).join('') : null,
  };
  if (!call.child) return [own];
  const c = call.child;
  const answered = personAnswer(c.legs);
  return [
    own,
    {
      vendorCallId: c.vendorCallId,
      vendor: call.vendor,
      tenant: call.tenant,
      sessionId: call.sessionId,
      kind: 'transferred',
      direction: call.direction,
      disposition: answered ? 'ANSWERED' : 'NO_ANSWER',
      talkSeconds: answered ? c.end - answered.answer! : 0,
      holdSeconds: 0,
      startedAt: iso(c.start),
      endedAt: iso(c.end),
      answeredBy: answered?.number ?? null,
      queue: null,
      ringGroup: null,
      digits: null,
    },
  ];
}

/** Collects queue intervals and event counts as the simulation runs (constant size per interval). */
export class TruthAccumulator {
  private readonly intervals = new Map<string, QueueIntervalTruth>();
  /** Events per tenant, vendor and type, as emitted before delivery faults. */
  readonly events: Array<Record<Vendor, Record<string, number>>>;
  calls = 0;
  callsByVendor: Record<Vendor, number> = { nexbro: 0, portsip: 0, voipcloud: 0 };

  constructor(
    tenants: number,
    private readonly settings: TruthSettings = DEFAULT_TRUTH_SETTINGS,
  ) {
    this.events = Array.from({ length: tenants }, () => ({ nexbro: {}, portsip: {}, voipcloud: {} }));
  }

  /** Records one emitted (pre-fault) event. */
  countEvent(e: EmittedEvent): void {
    const byType = this.events[e.tenant][e.vendor];
    byType[e.type] = (byType[e.type] ?? 0) + 1;
  }

  /** Records a call's queue attempt and returns its truth records. */
  addCall(call: SimCall): CallTruth[] {
    const truths = callTruths(call);
    this.calls += truths.length;
    this.callsByVendor[call.vendor] += truths.length;
    const q = call.queue;
    if (q) {
      const label = call.vendor === 'portsip' ? q.number : q.name;
      const start = intervalStart(q.enter);
      const key = `${call.tenant}\u0000${call.vendor}\u0000${label}\u0000${start}`;
      let row = this.intervals.get(key);
      if (!row) {
        row = {
          tenant: call.tenant,
          vendor: call.vendor,
          queue: label,
          kind: q.kind,
          number: q.number,
          name: q.name,
          intervalStart: iso(start),
          offered: 0,
          answered: 0,
          answeredWithinSla: 0,
          abandoned: 0,
          shortAbandoned: 0,
          timedOut: 0,
          callbacks: 0,
        };
        this.intervals.set(key, row);
      }
      const wait = q.leave - q.enter;
      row.offered++;
      if (q.outcome === 'answered') {
        row.answered++;
        if (wait <= this.settings.slaThresholdSeconds) row.answeredWithinSla++;
      } else if (q.outcome === 'callback') row.callbacks++;
      else if (q.outcome === 'timedOut') row.timedOut++;
      else if (wait < this.settings.shortAbandonSeconds) row.shortAbandoned++;
      else row.abandoned++;
    }
    return truths;
  }

  /** Queue intervals sorted by tenant, vendor, queue and interval. */
  queues(): QueueIntervalTruth[] {
    return [...this.intervals.values()].sort(
      (a, b) =>
        a.tenant - b.tenant ||
        a.vendor.localeCompare(b.vendor) ||
        a.queue.localeCompare(b.queue) ||
        a.intervalStart.localeCompare(b.intervalStart),
    );
  }

  /** Events per vendor and type over all tenants. */
  totalEvents(): Record<Vendor, Record<string, number>> {
    const out: Record<Vendor, Record<string, number>> = { nexbro: {}, portsip: {}, voipcloud: {} };
    for (const t of this.events)
      for (const v of Object.keys(t) as Vendor[])
        for (const [type, n] of Object.entries(t[v])) out[v][type] = (out[v][type] ?? 0) + n;
    return out;
  }
}

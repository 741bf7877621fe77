import { poissonArrivals } from './arrivals';
import { MinHeap } from './heap';
import { AgentChange, AgentStatus, CallKind, Leg, QueueAttempt, QueueOutcome, SimCall, Vendor, VENDORS } from './model';
import { Rng } from './prng';
import { localParts, wallToEpoch } from './time';
import { Extension, Queue, TenantWorld, World } from './world';

/** What shapes the traffic over the world. */
export interface TrafficOptions {
  /** Seed of the calls (the world has its own). */
  seed: number;
  /** First second of the simulated window (Unix seconds). */
  start: number;
  /** Length of the window in hours (fractions allowed). */
  hours: number;
  /** Calls per tenant on a normal weekday (Mondays a bit more, weekends far fewer). */
  callsPerDay: number;
  /** Relative share of calls each vendor carries (0 switches a vendor off). */
  vendors: Record<Vendor, number>;
}

/** What the engine produces, in time order of `t`. */
export type EngineItem =
  | { kind: 'call'; call: SimCall }
  | { kind: 'change'; change: AgentChange }
  /** Nothing produced later can happen before `t`. */
  | { kind: 'clock'; t: number };

interface BreakPlan {
  start: number;
  length: number;
  kind: 'break' | 'lunch' | 'meeting';
}

interface ShiftPlan {
  start: number;
  end: number;
  breaks: BreakPlan[];
}

/** What the engine knows about an extension right now. */
interface ExtState {
  ext: Extension;
  tenant: number;
  /** Logged in for the day (agents: shift; staff: office hours). */
  registered: boolean;
  onBreak: boolean;
  breakEndsAt: number;
  /** Busy (on a call, ringing or wrapping up) until this second. */
  busyUntil: number;
  /** Next planned break start or shift end while registered; Infinity otherwise. */
  nextOff: number;
  /** Next planned shift start while not registered. */
  nextOn: number;
  status: AgentStatus;
  statusSince: number;
  pendingBreaks: BreakPlan[];
  shiftEnd: number;
  futureShifts: ShiftPlan[];
}

type Happening =
  | { t: number; seq: number; kind: 'shiftStart'; tenant: number; ext: string; plan: ShiftPlan }
  | { t: number; seq: number; kind: 'breakStart'; tenant: number; ext: string; plan: BreakPlan }
  | { t: number; seq: number; kind: 'breakEnd'; tenant: number; ext: string }
  | { t: number; seq: number; kind: 'shiftEnd'; tenant: number; ext: string }
  | { t: number; seq: number; kind: 'snapshot'; tenant: number }
  | { t: number; seq: number; kind: 'callback'; tenant: number; queue: string; customer: string; tries: number };

// Omit over each member of a union (plain Omit would merge the members first).
type Unsequenced<T> = T extends unknown ? Omit<T, 'seq'> : never;

interface TenantState {
  world: TenantWorld;
  exts: Map<string, ExtState>;
  arrivals: Iterator<number>;
  nextArrival: number | null;
  callSeq: number;
  voipcloudSeq: number;
  /** Leave times of callers still waiting, per queue (for positions). */
  waiting: Map<string, number[]>;
}

const SNAPSHOT_EVERY = 6 * 3600;
const AGENT_RING_TIMEOUT = 15;
const EXTENSION_RING_TIMEOUT = 20;

/**
 * The call model: walks the window in time order, interleaving call arrivals (a Poisson process
 * per tenant) with agent shifts and breaks, and decides each call's whole course when it
 * arrives: IVR, queueing for the first free member, ring-no-answer, abandon, timeout with
 * overflow to voicemail, callback, transfer, hold. Agents are people: whichever PBX a call comes
 * through, an agent takes one call at a time, and a break or shift end that falls during a call
 * starts after it. Pure: all randomness comes from streams of `traffic.seed`.
 */
export class CallEngine {
  private readonly end: number;
  private readonly tenants: TenantState[];
  private readonly happenings = new MinHeap<Happening>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  private happeningSeq = 0;
  private readonly planRng: Rng;
  private readonly vendorWeights: Array<readonly [Vendor, number]>;

  constructor(
    world: World,
    private readonly traffic: TrafficOptions,
  ) {
    if (!(traffic.hours > 0)) throw new RangeError('hours must be positive');
    if (!(traffic.callsPerDay >= 0)) throw new RangeError('callsPerDay must not be negative');
    this.end = traffic.start + Math.round(traffic.hours * 3600);
    this.vendorWeights = VENDORS.map((v) => [v, traffic.vendors[v] ?? 0] as const);
    if (!this.vendorWeights.some(([, w]) => w > 0)) throw new RangeError('at least one vendor needs a positive weight');
    this.planRng = Rng.from(traffic.seed, 'shifts');
    this.tenants = world.tenants.map((w) => this.initTenant(w));
  }

  /** First and last second of the window. */
  get window(): { start: number; end: number } {
    return { start: this.traffic.start, end: this.end };
  }

  private initTenant(world: TenantWorld): TenantState {
    const exts = new Map<string, ExtState>();
    for (const ext of world.extensions) {
      const shifts = this.planShifts(world, ext);
      exts.set(ext.number, {
        ext,
        tenant: world.index,
        registered: false,
        onBreak: false,
        breakEndsAt: 0,
        busyUntil: 0,
        nextOff: Infinity,
        nextOn: shifts[0]?.start ?? Infinity,
        status: 'ONLINE',
        statusSince: this.traffic.start,
        pendingBreaks: [],
        shiftEnd: Infinity,
        futureShifts: shifts,
      });
      const first = shifts.shift();
      if (first)
        this.schedule({ t: first.start, kind: 'shiftStart', tenant: world.index, ext: ext.number, plan: first });
    }
    // PortSIP announces each queue (queue_status maps queue_id to the number) at the start.
    this.schedule({ t: this.traffic.start, kind: 'snapshot', tenant: world.index });
    const arrivals = poissonArrivals(
      Rng.from(this.traffic.seed, 'arrivals', world.index),
      this.traffic.callsPerDay,
      world.timezone,
      this.traffic.start,
      this.end,
    );
    const first = arrivals.next();
    return {
      world,
      exts,
      arrivals,
      nextArrival: first.done ? null : first.value,
      callSeq: 0,
      voipcloudSeq: 0,
      waiting: new Map(
        world.queues.map((q) => [q.number, []] as [string, number[]]).concat([[world.ringGroup.number, []]]),
      ),
    };
  }

  private schedule(h: Unsequenced<Happening>): void {
    this.happenings.push({ ...h, seq: this.happeningSeq++ });
  }

  /**
   * The working days of one extension that overlap the window, with breaks. Shifts already
   * running when the window opens start at the window start (the PBX announces who is logged in),
   * so every extension's state is known from the first second.
   */
  private planShifts(world: TenantWorld, ext: Extension): ShiftPlan[] {
    const rng = this.planRng.fork(`${world.index}/${ext.number}`);
    const zone = world.timezone;
    const out: ShiftPlan[] = [];
    const first = localParts(zone, this.traffic.start - 86400);
    const day = new Date(Date.UTC(first.year, first.month - 1, first.day));
    for (;;) {
      const y = day.getUTCFullYear();
      const m = day.getUTCMonth() + 1;
      const d = day.getUTCDate();
      day.setUTCDate(d + 1);
      const midnight = wallToEpoch(zone, y, m, d);
      if (midnight >= this.end) break;
      const weekday = ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
      const works = weekday <= 5 || ext.weekend;
      // Draw the same numbers whether or not the day is used, so one day never shifts the next.
      const jitterIn = rng.int(-10, 10) * 60 + rng.int(0, 59);
      const jitterOut = rng.int(-5, 20) * 60 + rng.int(0, 59);
      const b1 = rng.int(-20, 20) * 60;
      const lunchAt = rng.int(-30, 30) * 60;
      const lunchLen = rng.int(30, 45) * 60;
      const b2 = rng.int(-20, 20) * 60;
      const meeting = rng.chance(0.12);
      if (!works) continue;
      const weekendShift = weekday > 5;
      const startMin = weekendShift ? 9 * 60 : ext.shift.start;
      const endMin = weekendShift ? 17 * 60 : ext.shift.end;
      let start = wallToEpoch(zone, y, m, d, Math.floor(startMin / 60), startMin % 60) + jitterIn;
      const end = wallToEpoch(zone, y, m, d, Math.floor(endMin / 60), endMin % 60) + jitterOut;
      let breaks: BreakPlan[] = ext.agent
        ? [
            ...(meeting ? [{ start: start + 3600, length: 1800, kind: 'meeting' as const }] : []),
            { start: start + 2 * 3600 + b1, length: 900, kind: 'break' },
            { start: start + 4 * 3600 + lunchAt, length: lunchLen, kind: 'lunch' },
            { start: start + 6.5 * 3600 + b2, length: 900, kind: 'break' },
          ]
        : [{ start: wallToEpoch(zone, y, m, d, 12, 30) + lunchAt, length: lunchLen, kind: 'lunch' }];
      breaks = breaks.filter((b) => b.start + b.length < end - 600);
      if (end <= this.traffic.start || start >= this.end) continue;
      if (start < this.traffic.start) {
        // Already at work when the window opens: announce the state now (staggered per extension).
        start = this.traffic.start + rng.int(0, 59);
        breaks = breaks
          .filter((b) => b.start + b.length > start + 5)
          .map((b) => (b.start > start ? b : { ...b, start: start + 3, length: b.start + b.length - start - 3 }));
      }
      out.push({ start, end, breaks });
    }
    return out;
  }

  /** Runs the model over the window; items come in non-decreasing time. */
  *run(): Generator<EngineItem> {
    for (;;) {
      let tenant: TenantState | null = null;
      for (const t of this.tenants) {
        if (t.nextArrival !== null && (tenant === null || t.nextArrival < tenant.nextArrival!)) tenant = t;
      }
      const h = this.happenings.peek();
      if (h && h.t < this.end && (tenant === null || h.t <= tenant.nextArrival!)) {
        this.happenings.pop();
        yield { kind: 'clock', t: h.t };
        yield* this.happen(h);
        continue;
      }
      if (tenant === null) break;
      const at = tenant.nextArrival!;
      const next = tenant.arrivals.next();
      tenant.nextArrival = next.done ? null : next.value;
      yield { kind: 'clock', t: at };
      const call = this.arrive(tenant, at);
      if (call) yield { kind: 'call', call };
    }
    // Callbacks and postponed shift ends after the window are not simulated: the window is the
    // unit of the ground truth, and every call that arrived in it has already been decided.
  }

  // ---------------------------------------------------------------- agents and schedules

  private *happen(h: Happening): Generator<EngineItem> {
    const tenant = this.tenants[h.tenant];
    if (h.kind === 'snapshot') {
      for (const q of tenant.world.queues) {
        const agents = q.members
          .map((m) => tenant.exts.get(m)!)
          .filter((s) => s.registered)
          .map((s) => ({ extension: s.ext.number, state: s.status, since: s.statusSince }));
        yield {
          kind: 'change',
          change: { kind: 'queue_snapshot', tenant: h.tenant, at: h.t, queue: q.number, agents },
        };
      }
      if (h.t + SNAPSHOT_EVERY < this.end)
        this.schedule({ t: h.t + SNAPSHOT_EVERY, kind: 'snapshot', tenant: h.tenant });
      return;
    }
    if (h.kind === 'callback') {
      const call = this.callback(tenant, h.t, h.queue, h.customer);
      if (call) yield { kind: 'call', call };
      else if (h.tries < 10) this.schedule({ ...h, t: h.t + 180, tries: h.tries + 1 });
      return;
    }
    const s = tenant.exts.get(h.ext)!;
    const rng = this.planRng.fork(`${h.tenant}/${h.ext}/${h.t}/${h.kind}`);
    const change = (c: AgentChange): EngineItem => ({ kind: 'change', change: c });
    const queues = s.ext.queues;
    switch (h.kind) {
      case 'shiftStart': {
        let t = h.t;
        if (rng.chance(0.05)) {
          // A mistyped password or a stale device: the PBX reports a failed attempt first.
          yield change({ kind: 'register', tenant: h.tenant, at: t, extension: s.ext.number, ok: false });
          t += rng.int(5, 40);
        }
        yield change({ kind: 'register', tenant: h.tenant, at: t, extension: s.ext.number, ok: true });
        yield change({
          kind: 'presence',
          tenant: h.tenant,
          at: t + 1,
          extension: s.ext.number,
          presence: 'AVAILABLE',
          note: '',
        });
        for (const q of queues)
          yield change({
            kind: 'agent_status',
            tenant: h.tenant,
            at: t + 2,
            extension: s.ext.number,
            queue: q,
            status: 'READY',
          });
        s.registered = true;
        s.onBreak = false;
        s.status = 'READY';
        s.statusSince = t + 2;
        s.busyUntil = Math.max(s.busyUntil, t + 2);
        s.pendingBreaks = [...h.plan.breaks];
        s.shiftEnd = h.plan.end;
        s.nextOff = s.pendingBreaks[0]?.start ?? h.plan.end;
        s.nextOn = Infinity;
        for (const b of h.plan.breaks)
          this.schedule({ t: b.start, kind: 'breakStart', tenant: h.tenant, ext: s.ext.number, plan: b });
        this.schedule({ t: h.plan.end, kind: 'shiftEnd', tenant: h.tenant, ext: s.ext.number });
        return;
      }
      case 'breakStart': {
        if (!s.registered) return;
        if (s.busyUntil >= h.t) {
          // Still on a call or wrapping up: the break starts once the agent is free.
          this.schedule({ ...h, t: s.busyUntil + rng.int(5, 40) });
          return;
        }
        s.pendingBreaks = s.pendingBreaks.filter((b) => b !== h.plan);
        const presence = h.plan.kind === 'lunch' ? 'LUNCH' : h.plan.kind === 'meeting' ? 'DO_NOT_DISTURB' : 'AWAY';
        const note = h.plan.kind === 'lunch' ? 'Lunch' : h.plan.kind === 'meeting' ? 'Team meeting' : 'Short break';
        for (const q of queues)
          yield change({
            kind: 'agent_status',
            tenant: h.tenant,
            at: h.t,
            extension: s.ext.number,
            queue: q,
            status: 'NOT_READY',
          });
        yield change({ kind: 'presence', tenant: h.tenant, at: h.t + 1, extension: s.ext.number, presence, note });
        s.onBreak = true;
        s.status = 'NOT_READY';
        s.statusSince = h.t;
        s.breakEndsAt = h.t + h.plan.length;
        s.nextOff = s.pendingBreaks[0]?.start ?? s.shiftEnd;
        this.schedule({ t: s.breakEndsAt, kind: 'breakEnd', tenant: h.tenant, ext: s.ext.number });
        return;
      }
      case 'breakEnd': {
        if (!s.onBreak) return;
        yield change({
          kind: 'presence',
          tenant: h.tenant,
          at: h.t,
          extension: s.ext.number,
          presence: 'AVAILABLE',
          note: '',
        });
        for (const q of queues)
          yield change({
            kind: 'agent_status',
            tenant: h.tenant,
            at: h.t + 1,
            extension: s.ext.number,
            queue: q,
            status: 'READY',
          });
        s.onBreak = false;
        s.status = 'READY';
        s.statusSince = h.t + 1;
        s.busyUntil = Math.max(s.busyUntil, h.t + 1);
        return;
      }
      case 'shiftEnd': {
        if (!s.registered) return;
        if (s.busyUntil >= h.t || s.onBreak) {
          this.schedule({ ...h, t: Math.max(s.busyUntil, s.onBreak ? s.breakEndsAt : 0) + rng.int(5, 40) });
          return;
        }
        for (const q of queues)
          yield change({
            kind: 'agent_status',
            tenant: h.tenant,
            at: h.t,
            extension: s.ext.number,
            queue: q,
            status: 'ONLINE',
          });
        yield change({
          kind: 'presence',
          tenant: h.tenant,
          at: h.t + 1,
          extension: s.ext.number,
          presence: 'AWAY',
          note: '',
        });
        yield change({ kind: 'unregister', tenant: h.tenant, at: h.t + rng.int(2, 30), extension: s.ext.number });
        s.registered = false;
        s.status = 'ONLINE';
        s.statusSince = h.t;
        s.nextOff = Infinity;
        s.pendingBreaks = [];
        const next = s.futureShifts.shift();
        s.nextOn = next?.start ?? Infinity;
        if (next) this.schedule({ t: next.start, kind: 'shiftStart', tenant: h.tenant, ext: s.ext.number, plan: next });
        return;
      }
    }
  }

  /** Earliest second ≥ t at which the extension could start ringing for a new call, or Infinity. */
  private availableAt(s: ExtState, t: number): number {
    if (!s.registered) {
      // Logged out now, but a shift about to start counts (a caller may wait for it).
      // (+45 s: registration, which may first fail once, and READY come before the first ring.)
      // (Calls already promised to them for that moment keep them busy, as on shift.)
      return s.nextOn < Infinity ? Math.max(s.nextOn + 45, t, s.busyUntil + 1) : Infinity;
    }
    let at = Math.max(t, s.busyUntil + 1);
    if (s.onBreak) at = Math.max(at, s.breakEndsAt + 2);
    return at < s.nextOff ? at : Infinity;
  }

  /** The member who can take a call first (longest idle on ties), if any before `deadline`. */
  private firstFree(tenant: TenantState, members: readonly string[], t: number, deadline: number, skip: Set<string>) {
    let best: { s: ExtState; at: number } | null = null;
    for (const m of members) {
      if (skip.has(m)) continue;
      const s = tenant.exts.get(m)!;
      const at = this.availableAt(s, t);
      if (at >= deadline) continue;
      if (!best || at < best.at || (at === best.at && s.busyUntil < best.s.busyUntil)) best = { s, at };
    }
    return best;
  }

  // ---------------------------------------------------------------- calls

  private arrive(tenant: TenantState, t: number): SimCall | null {
    const seq = tenant.callSeq++;
    const rng = Rng.from(this.traffic.seed, 'call', tenant.world.index, seq);
    const vendor = rng.weighted(this.vendorWeights);
    let kind: CallKind = rng.weighted([
      ['queue', 42],
      ['ring_group', 7],
      ['direct', 12],
      ['forwarded', 2],
      ['outbound', 27],
      ['internal', 10],
    ] as const);
    // What each PBX can express: Nexbro's webhooks name no queue, VoIPcloud reports no internal
    // calls, and only PortSIP says a call was routed back out (TRANSIT).
    if (vendor === 'nexbro' && (kind === 'queue' || kind === 'ring_group')) kind = 'ivr_extension';
    if (vendor !== 'portsip' && kind === 'forwarded') kind = 'direct';
    if (vendor === 'voipcloud' && kind === 'internal') kind = 'outbound';
    const call = this.newCall(tenant, seq, vendor, kind, t, rng);
    switch (kind) {
      case 'queue':
        return this.queueCall(tenant, call, rng);
      case 'ring_group':
        return this.ringGroupCall(tenant, call, rng);
      case 'ivr_extension':
        return this.ivrExtensionCall(tenant, call, rng);
      case 'direct':
        return this.directCall(tenant, call, rng);
      case 'forwarded':
        return this.forwardedCall(tenant, call, rng);
      case 'outbound':
        return this.outboundCall(tenant, call, rng);
      case 'internal':
        return this.internalCall(tenant, call, rng);
      default:
        return null;
    }
  }

  private newCall(tenant: TenantState, seq: number, vendor: Vendor, kind: CallKind, t: number, rng: Rng): SimCall {
    let vendorCallId: string;
    let sessionId: string;
    if (vendor === 'nexbro') {
      vendorCallId = sessionId = rng.uuid();
    } else if (vendor === 'portsip') {
      vendorCallId = sessionId = rng.digits(18);
    } else {
      // VoIPcloud ids look like "<unix start>.<counter>".
      vendorCallId = sessionId = `${t}.${++tenant.voipcloudSeq}`;
    }
    const caller = rng.pick(tenant.world.externals);
    return {
      seq,
      tenant: tenant.world.index,
      vendor,
      kind,
      vendorCallId,
      sessionId,
      sipCallId: `${Buffer.from(rng.hex(32), 'hex').toString('base64url').slice(0, 22)}..`,
      cdrId: rng.digits(18),
      direction: 'INBOUND',
      caller: caller.number,
      callerName: caller.name,
      callee: '',
      did: null,
      start: t,
      end: t,
      legs: [],
      digits: [],
      holds: [],
      queue: null,
      agentStatuses: [],
      voicemail: null,
      recorded: false,
      component: null,
      child: null,
      callbackFor: null,
    };
  }

  private patience(rng: Rng): number {
    // A few callers hang up almost at once (wrong number, menu noise); the rest wait a while.
    return rng.chance(0.06) ? rng.int(1, 4) : 5 + Math.round(rng.exp(150));
  }

  private talk(rng: Rng, median: number): number {
    return Math.min(3600, Math.max(15, Math.round(rng.logNormal(median, 0.65))));
  }

  /** Holds within [from, to): about a quarter of conversations put the caller on hold once. */
  private addHolds(call: SimCall, rng: Rng, from: number, to: number): void {
    if (to - from < 60 || !rng.chance(0.25)) return;
    const start = from + Math.round((to - from) * rng.uniform(0.2, 0.6));
    const end = Math.min(start + rng.int(10, 90), to - 5);
    if (end > start) call.holds.push([start, end]);
  }

  private extLeg(
    number: string,
    start: number,
    ring: number | null,
    answer: number | null,
    end: number,
    status: Leg['status'],
    endReason: string,
    viaQueue?: string,
  ): Leg {
    return {
      kind: 'extension',
      number,
      start,
      ring,
      answer,
      end,
      status,
      endReason,
      statusCode: 0,
      ...(viaQueue ? { viaQueue } : {}),
    };
  }

  private systemLeg(kind: Leg['kind'], number: string, start: number, end: number, endReason: string): Leg {
    return { kind, number, start, ring: null, answer: start, end, status: 'answered', endReason, statusCode: 0 };
  }

  private position(tenant: TenantState, queue: string, enter: number, leave: number): number {
    const waiting = (tenant.waiting.get(queue) ?? []).filter((l) => l > enter);
    waiting.push(leave);
    tenant.waiting.set(queue, waiting);
    return waiting.length;
  }

  /** Overflow to voicemail: PortSIP answers with its voicemail service; the caller may leave a message. */
  private toVoicemail(call: SimCall, rng: Rng, at: number, mailbox: string): number {
    const message = rng.chance(0.65);
    const end = at + (message ? rng.int(8, 60) : rng.int(2, 6));
    if (call.vendor !== 'nexbro') call.legs.push(this.systemLeg('voicemail', mailbox, at, end, 'caller_disconnect'));
    if (message) call.voicemail = { start: at, end, mailbox };
    return end;
  }

  private queueCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall {
    const w = tenant.world;
    const q = rng.weighted(w.queues.map((x, i) => [x, i === 0 ? 55 : 45] as const));
    let enter = call.start;
    if (call.vendor === 'portsip' && rng.chance(0.7)) {
      // Through the main number's IVR: a prompt, a digit, then the queue.
      call.did = w.ivr.did;
      call.callee = w.ivr.number;
      const listen = rng.int(4, 12);
      if (rng.chance(0.04)) {
        call.end = call.start + listen;
        call.legs.push(this.systemLeg('ivr', w.ivr.number, call.start, call.end, 'caller_disconnect'));
        return call;
      }
      call.digits.push({ at: call.start + listen, digit: q.digit, durationMs: rng.int(80, 250) });
      enter = call.start + listen + 1;
      call.legs.push(this.systemLeg('ivr', w.ivr.number, call.start, enter, 'referred'));
    } else {
      call.did = q.did;
      call.callee = call.vendor === 'portsip' ? q.number : q.did;
    }
    if (call.vendor === 'voipcloud' && rng.chance(0.3)) call.component = 'CRM lookup';
    const patience = this.patience(rng);
    const callbackAt =
      call.vendor === 'portsip' && rng.chance(0.35) ? enter + q.callbackAfterSeconds + rng.int(0, 30) : Infinity;
    const deadline = Math.min(enter + patience, enter + q.timeoutSeconds, callbackAt);
    const queueLeg = this.systemLeg('queue', q.number, enter, enter, 'referred');
    call.legs.push(queueLeg);
    const skip = new Set<string>();
    let from = enter + 1;
    let outcome: QueueOutcome | null = null;
    let leave = enter;
    let agent: string | null = null;
    for (let attempt = 0; attempt < 4 && outcome === null; attempt++) {
      const free = this.firstFree(tenant, q.members, from, deadline, skip);
      if (!free) break;
      const s = free.s;
      const ring = free.at;
      if (rng.chance(0.05)) {
        // Ring-no-answer: the agent's phone rings out and the caller goes back to waiting.
        const until = ring + AGENT_RING_TIMEOUT;
        const gaveUp = enter + patience <= until;
        const end = gaveUp ? enter + patience : until;
        call.legs.push(
          this.extLeg(
            s.ext.number,
            ring,
            ring,
            null,
            end,
            gaveUp ? 'cancelled' : 'no_answer',
            gaveUp ? 'cancelled' : 'None',
            q.number,
          ),
        );
        s.busyUntil = Math.max(s.busyUntil, end);
        skip.add(s.ext.number);
        if (gaveUp) {
          outcome = 'abandoned';
          leave = end;
        }
        from = until + 1;
        continue;
      }
      const answer = ring + rng.int(2, 10);
      if (answer >= enter + patience) {
        // The caller hangs up while the agent's phone is ringing.
        leave = enter + patience;
        call.legs.push(this.extLeg(s.ext.number, ring, ring, null, leave, 'cancelled', 'cancelled', q.number));
        s.busyUntil = Math.max(s.busyUntil, leave);
        outcome = 'abandoned';
        break;
      }
      const talk = this.talk(rng, q.number === '8000' ? 200 : 260);
      let end = answer + talk;
      const agentLeg = this.extLeg(
        s.ext.number,
        ring,
        ring,
        answer,
        end,
        'answered',
        rng.chance(0.6) ? 'caller_disconnect' : 'callee_disconnect',
        q.number,
      );
      call.legs.push(agentLeg);
      if (call.vendor === 'portsip' && rng.chance(0.07)) end = this.transfer(tenant, call, rng, agentLeg, answer, end);
      else this.addHolds(call, rng, answer, end);
      const wrap = rng.int(15, 75);
      s.busyUntil = Math.max(s.busyUntil, agentLeg.end + wrap);
      if (call.vendor === 'portsip') {
        call.agentStatuses.push(
          { at: answer, extension: s.ext.number, queue: q.number, status: 'QUEUE_CALL' },
          { at: agentLeg.end, extension: s.ext.number, queue: q.number, status: 'WRAP_UP' },
          { at: agentLeg.end + wrap, extension: s.ext.number, queue: q.number, status: 'READY' },
        );
      }
      call.recorded = call.vendor === 'voipcloud' && rng.chance(0.5);
      call.end = end;
      outcome = 'answered';
      leave = answer;
      agent = s.ext.number;
    }
    if (outcome === null) {
      const giveUp = enter + patience;
      const timeout = enter + q.timeoutSeconds;
      if (callbackAt < giveUp && callbackAt < timeout) {
        // The caller asks to be called back, hears a confirmation, and the PBX hangs up.
        outcome = 'callback';
        leave = callbackAt;
        call.end = leave + rng.int(4, 8);
        queueLeg.endReason = 'callee_disconnect';
        this.schedule({
          t: leave + rng.int(120, 900),
          kind: 'callback',
          tenant: call.tenant,
          queue: q.number,
          customer: call.caller,
          tries: 0,
        });
      } else if (giveUp <= timeout) {
        outcome = 'abandoned';
        leave = giveUp;
        call.end = leave;
        queueLeg.endReason = 'caller_disconnect';
      } else {
        outcome = 'timedOut';
        leave = timeout;
        queueLeg.endReason = 'redirected';
        call.end = this.toVoicemail(call, rng, leave + 1, q.number);
      }
    } else if (outcome === 'abandoned') {
      call.end = leave;
      queueLeg.endReason = 'caller_disconnect';
    }
    queueLeg.end = leave;
    call.queue = this.attempt(tenant, 'queue', q, enter, leave, outcome, agent);
    return call;
  }

  private attempt(
    tenant: TenantState,
    kind: QueueAttempt['kind'],
    q: { number: string; name: string; portsipId?: string },
    enter: number,
    leave: number,
    outcome: QueueOutcome,
    agent: string | null,
  ): QueueAttempt {
    return {
      kind,
      number: q.number,
      name: q.name,
      portsipId: q.portsipId ?? '',
      enter,
      leave,
      outcome,
      position: this.position(tenant, q.number, enter, leave),
      agent,
    };
  }

  /** A blind transfer from the answering agent to a free staff member; returns the call's new end. */
  private transfer(tenant: TenantState, call: SimCall, rng: Rng, from: Leg, answer: number, end: number): number {
    const at = answer + Math.max(10, Math.round((end - answer) * rng.uniform(0.3, 0.6)));
    const target = this.firstFree(
      tenant,
      tenant.world.staff.map((e) => e.number),
      at,
      at + 2,
      new Set([from.number]),
    );
    if (!target) return end;
    from.end = at;
    from.endReason = 'blind_transfer_complete';
    const ring = at + 1;
    if (rng.chance(0.85)) {
      const answered = ring + rng.int(3, 12);
      const newEnd = answered + this.talk(rng, 120);
      call.legs.push(this.extLeg(target.s.ext.number, ring, ring, answered, newEnd, 'answered', 'caller_disconnect'));
      target.s.busyUntil = Math.max(target.s.busyUntil, newEnd);
      return newEnd;
    }
    const rangOut = ring + EXTENSION_RING_TIMEOUT;
    call.legs.push(this.extLeg(target.s.ext.number, ring, ring, null, rangOut, 'no_answer', 'None'));
    target.s.busyUntil = Math.max(target.s.busyUntil, rangOut);
    return this.toVoicemail(call, rng, rangOut + 1, target.s.ext.number);
  }

  private ringGroupCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall {
    const g = tenant.world.ringGroup;
    call.did = g.did;
    call.callee = call.vendor === 'portsip' ? g.number : g.did;
    const enter = call.start;
    const patience = this.patience(rng);
    const groupLeg: Leg = {
      kind: 'ring_group',
      number: g.number,
      start: enter,
      ring: enter,
      answer: null,
      end: enter,
      status: 'no_answer',
      endReason: 'None',
      statusCode: 0,
    };
    call.legs.push(groupLeg);
    const ringAt = enter + 1;
    const rung = g.members
      .map((m) => tenant.exts.get(m)!)
      .filter((s) => this.availableAt(s, ringAt) === ringAt)
      .map((s) => ({ s, answerAfter: rng.chance(0.55) ? rng.int(3, 22) : Infinity }));
    let winner: { s: ExtState; answerAfter: number } | null = null;
    for (const r of rung)
      if (r.answerAfter < g.ringSeconds && (!winner || r.answerAfter < winner.answerAfter)) winner = r;
    let outcome: QueueOutcome;
    let leave: number;
    let agent: string | null = null;
    if (winner && ringAt + winner.answerAfter < enter + patience) {
      const answer = ringAt + winner.answerAfter;
      const end = answer + this.talk(rng, 150);
      for (const r of rung) {
        const won = r === winner;
        call.legs.push(
          this.extLeg(
            r.s.ext.number,
            ringAt,
            ringAt,
            won ? answer : null,
            won ? end : answer,
            won ? 'answered' : 'cancelled',
            won ? 'caller_disconnect' : 'cancelled',
          ),
        );
        r.s.busyUntil = Math.max(r.s.busyUntil, won ? end : answer);
      }
      this.addHolds(call, rng, answer, end);
      groupLeg.answer = answer;
      groupLeg.status = 'answered';
      groupLeg.endReason = 'referred';
      outcome = 'answered';
      leave = answer;
      agent = winner.s.ext.number;
      call.end = end;
      call.recorded = call.vendor === 'voipcloud' && rng.chance(0.3);
    } else {
      const giveUp = enter + patience;
      const timeout = ringAt + g.ringSeconds;
      const abandoned = giveUp <= timeout;
      leave = abandoned ? giveUp : timeout;
      for (const r of rung) {
        call.legs.push(
          this.extLeg(
            r.s.ext.number,
            ringAt,
            ringAt,
            null,
            leave,
            abandoned ? 'cancelled' : 'no_answer',
            abandoned ? 'cancelled' : 'None',
          ),
        );
        r.s.busyUntil = Math.max(r.s.busyUntil, leave);
      }
      groupLeg.status = abandoned ? 'cancelled' : 'no_answer';
      groupLeg.endReason = abandoned ? 'caller_disconnect' : 'redirected';
      outcome = abandoned ? 'abandoned' : 'timedOut';
      call.end = abandoned ? leave : this.toVoicemail(call, rng, leave + 1, g.number);
    }
    groupLeg.end = leave;
    call.queue = this.attempt(tenant, 'ring_group', g, enter, leave, outcome, agent);
    return call;
  }

  /** Nexbro: the main number's IVR, dial-by-extension digits, then the extension rings. */
  private ivrExtensionCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall {
    const w = tenant.world;
    call.did = w.ivr.did;
    call.callee = w.ivr.did;
    const listen = rng.int(3, 8);
    if (rng.chance(0.05)) {
      call.end = call.start + listen + rng.int(0, 5);
      call.legs.push(this.systemLeg('ivr', w.ivr.did, call.start, call.end, 'caller_disconnect'));
      return call;
    }
    const registered = w.extensions.filter((e) => tenant.exts.get(e.number)!.registered);
    const target = tenant.exts.get(rng.pick(registered.length ? registered : w.extensions).number)!;
    let at = call.start + listen;
    if (rng.chance(0.3)) {
      // Some phones send the whole number in one CALL_INPUT.
      at += 2;
      call.digits.push({ at, digit: target.ext.number, durationMs: rng.int(200, 600) });
    } else {
      for (const digit of target.ext.number) {
        call.digits.push({ at, digit, durationMs: rng.int(80, 250) });
        at += rng.int(1, 2);
      }
    }
    const ring = at + 1;
    call.legs.push(this.systemLeg('ivr', w.ivr.did, call.start, ring, 'referred'));
    this.ringExtension(tenant, call, rng, target, ring, true);
    return call;
  }

  /**
   * Rings one extension from `ring`: answered (talk, maybe hold or a Nexbro transfer) or not
   * (voicemail where the PBX has one, else the caller hangs up). Sets the call's end.
   */
  private ringExtension(
    tenant: TenantState,
    call: SimCall,
    rng: Rng,
    s: ExtState,
    ring: number,
    mayTransfer: boolean,
  ): void {
    const free = this.availableAt(s, ring) === ring;
    if (!free) {
      if (call.vendor === 'nexbro') {
        call.end = ring + rng.int(1, 3);
        return;
      }
      // Busy or away: PortSIP tries the phone (486 Busy Here when on a call), VoIPcloud reports
      // the User it tried; then voicemail.
      if (call.vendor === 'portsip' && s.registered) {
        call.legs.push({ ...this.extLeg(s.ext.number, ring, ring, null, ring + 1, 'busy', 'None'), statusCode: 486 });
      } else if (call.vendor === 'voipcloud') {
        call.legs.push(this.extLeg(s.ext.number, ring, null, null, ring + 1, 'no_answer', 'None'));
      }
      call.end = this.toVoicemail(call, rng, ring + 2, s.ext.number);
      return;
    }
    if (rng.chance(0.8)) {
      const answer = ring + rng.int(3, 15);
      let end = answer + this.talk(rng, 150);
      const leg = this.extLeg(
        s.ext.number,
        ring,
        ring,
        answer,
        end,
        'answered',
        rng.chance(0.5) ? 'caller_disconnect' : 'callee_disconnect',
      );
      call.legs.push(leg);
      if (mayTransfer && call.vendor === 'nexbro' && rng.chance(0.08)) {
        end = this.nexbroTransfer(tenant, call, rng, leg, answer, end);
      } else {
        this.addHolds(call, rng, answer, end);
      }
      s.busyUntil = Math.max(s.busyUntil, leg.end);
      call.end = end;
      call.recorded = call.vendor === 'voipcloud' && rng.chance(0.3);
      return;
    }
    const rangOut = ring + EXTENSION_RING_TIMEOUT;
    call.legs.push(this.extLeg(s.ext.number, ring, ring, null, rangOut, 'no_answer', 'None'));
    s.busyUntil = Math.max(s.busyUntil, rangOut);
    call.end =
      call.vendor === 'nexbro' ? rangOut + rng.int(0, 2) : this.toVoicemail(call, rng, rangOut + 1, s.ext.number);
  }

  /** Nexbro blind transfer: the first call ends at the transfer, a new call_uuid in the same session continues. */
  private nexbroTransfer(tenant: TenantState, call: SimCall, rng: Rng, from: Leg, answer: number, end: number): number {
    const at = answer + Math.max(10, Math.round((end - answer) * rng.uniform(0.3, 0.6)));
    const target = this.firstFree(
      tenant,
      tenant.world.extensions.map((e) => e.number),
      at + 1,
      at + 2,
      new Set([from.number]),
    );
    if (!target) return end;
    this.addHolds(call, rng, answer, at);
    from.end = at;
    from.endReason = 'blind_transfer_complete';
    const ring = at + 1;
    const child = { vendorCallId: rng.uuid(), start: at, legs: [] as Leg[], end: at };
    if (rng.chance(0.85)) {
      const answered = ring + rng.int(3, 12);
      child.end = answered + this.talk(rng, 120);
      child.legs.push(
        this.extLeg(target.s.ext.number, ring, ring, answered, child.end, 'answered', 'caller_disconnect'),
      );
    } else {
      child.end = ring + EXTENSION_RING_TIMEOUT;
      child.legs.push(this.extLeg(target.s.ext.number, ring, ring, null, child.end, 'no_answer', 'None'));
    }
    target.s.busyUntil = Math.max(target.s.busyUntil, child.end);
    call.child = child;
    return at;
  }

  private directCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall {
    const ext = rng.pick(tenant.world.extensions);
    call.did = ext.did;
    // PortSIP names the extension the DID leads to; the others report the number dialled.
    call.callee = call.vendor === 'portsip' ? ext.number : ext.did;
    this.ringExtension(tenant, call, rng, tenant.exts.get(ext.number)!, call.start + 1, true);
    return call;
  }

  /** PortSIP: a staff DID forwarded to a mobile, i.e. an inbound call routed back out (TRANSIT). */
  private forwardedCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall {
    const ext = tenant.world.staff.find((e) => e.forwardTo) ?? null;
    if (!ext) {
      call.kind = 'direct';
      return this.directCall(tenant, call, rng);
    }
    call.direction = 'TRANSIT';
    call.did = ext.did;
    call.callee = ext.number;
    const ring = call.start + 2;
    if (rng.chance(0.7)) {
      const answer = ring + rng.int(4, 20);
      call.end = answer + this.talk(rng, 120);
      call.legs.push({
        ...this.extLeg(ext.forwardTo!, ring, ring, answer, call.end, 'answered', 'caller_disconnect'),
        kind: 'external',
      });
    } else {
      call.end = ring + 30;
      call.legs.push({
        ...this.extLeg(ext.forwardTo!, ring, ring, null, call.end, 'no_answer', 'None'),
        kind: 'external',
      });
    }
    return call;
  }

  /** A free extension to place a call from (null at night when nobody is in). */
  private freeCaller(tenant: TenantState, rng: Rng, t: number, except?: string): ExtState | null {
    const free = tenant.world.extensions
      .map((e) => tenant.exts.get(e.number)!)
      .filter((s) => s.registered && s.ext.number !== except && this.availableAt(s, t) === t);
    return free.length ? rng.pick(free) : null;
  }

  private outboundCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall | null {
    const s = this.freeCaller(tenant, rng, call.start);
    if (!s) return null;
    const party = rng.pick(tenant.world.externals);
    call.direction = 'OUTBOUND';
    call.caller = s.ext.number;
    call.callerName = s.ext.name;
    call.callee = party.number;
    const ring = call.start + rng.int(1, 3);
    const fate = rng.weighted([
      ['answered', 68],
      ['busy', 8],
      ['failed', 2],
      ['no_answer', 22],
    ] as const);
    const external = (status: Leg['status'], answer: number | null, end: number, reason: string, code = 0): Leg => ({
      ...this.extLeg(party.number, ring, status === 'failed' ? null : ring, answer, end, status, reason),
      kind: 'external',
      statusCode: code,
    });
    if (fate === 'answered') {
      const answer = ring + rng.int(4, 25);
      call.end = answer + this.talk(rng, 180);
      call.legs.push(
        external('answered', answer, call.end, rng.chance(0.5) ? 'caller_disconnect' : 'callee_disconnect'),
      );
      this.addHolds(call, rng, answer, call.end);
      call.recorded = call.vendor === 'voipcloud' && rng.chance(0.3);
    } else if (fate === 'busy' && call.vendor === 'portsip') {
      call.end = ring + rng.int(1, 3);
      call.legs.push(external('busy', null, call.end, 'None', 486));
    } else if (fate === 'failed' && call.vendor === 'portsip') {
      call.end = ring + 1;
      call.legs.push(external('failed', null, call.end, 'None', 503));
    } else {
      // Other vendors report neither busy nor failure causes: it rings out.
      call.end = ring + rng.int(15, 45);
      call.legs.push(external('no_answer', null, call.end, 'None'));
    }
    s.busyUntil = Math.max(s.busyUntil, call.end);
    return call;
  }

  private internalCall(tenant: TenantState, call: SimCall, rng: Rng): SimCall | null {
    const a = this.freeCaller(tenant, rng, call.start);
    if (!a) return null;
    const candidates = tenant.world.extensions.filter((e) => e.number !== a.ext.number);
    const b = tenant.exts.get(rng.pick(candidates).number)!;
    call.direction = 'INTERNAL';
    call.caller = a.ext.number;
    call.callerName = a.ext.name;
    call.callee = b.ext.number;
    const ring = call.start + 1;
    if (this.availableAt(b, ring) === ring && rng.chance(0.75)) {
      const answer = ring + rng.int(3, 12);
      call.end = answer + this.talk(rng, 90);
      call.legs.push(
        this.extLeg(
          b.ext.number,
          ring,
          ring,
          answer,
          call.end,
          'answered',
          rng.chance(0.5) ? 'caller_disconnect' : 'callee_disconnect',
        ),
      );
      this.addHolds(call, rng, answer, call.end);
      b.busyUntil = Math.max(b.busyUntil, call.end);
    } else {
      call.end = ring + rng.int(8, EXTENSION_RING_TIMEOUT);
      call.legs.push(this.extLeg(b.ext.number, ring, ring, null, call.end, 'no_answer', 'None'));
      if (b.registered) b.busyUntil = Math.max(b.busyUntil, call.end);
    }
    a.busyUntil = Math.max(a.busyUntil, call.end);
    return call;
  }

  /** PortSIP calls a caller back once a member of the queue is free (a new OUTBOUND call). */
  private callback(tenant: TenantState, t: number, queueNumber: string, customer: string): SimCall | null {
    const q: Queue = tenant.world.queues.find((x) => x.number === queueNumber)!;
    const free = this.firstFree(tenant, q.members, t, t + 1, new Set());
    if (!free) return null;
    const seq = tenant.callSeq++;
    const rng = Rng.from(this.traffic.seed, 'call', tenant.world.index, seq);
    const call = this.newCall(tenant, seq, 'portsip', 'callback', t, rng);
    const s = free.s;
    call.direction = 'OUTBOUND';
    call.caller = s.ext.number;
    call.callerName = s.ext.name;
    call.callee = customer;
    call.callbackFor = customer;
    const ring = t + 2;
    const leg = (status: Leg['status'], answer: number | null, end: number, reason: string): Leg => ({
      ...this.extLeg(customer, ring, ring, answer, end, status, reason),
      kind: 'external',
      viaQueue: q.number,
    });
    if (rng.chance(0.8)) {
      const answer = ring + rng.int(5, 20);
      call.end = answer + this.talk(rng, 180);
      call.legs.push(leg('answered', answer, call.end, 'callee_disconnect'));
    } else {
      call.end = ring + 30;
      call.legs.push(leg('no_answer', null, call.end, 'None'));
    }
    s.busyUntil = Math.max(s.busyUntil, call.end + rng.int(10, 40));
    return call;
  }
}

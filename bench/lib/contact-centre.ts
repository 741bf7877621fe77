import { IANAZone } from 'luxon';
import { NewEvent } from '@app/event-store';
import { FleetSource, FleetTenant, LocalTime, prng, storeReady, uuidFrom } from './mixed-events';

/**
 * Month-long VoIPcloud contact centres for the reporting benchmark: each tenant has `queues`
 * queues (`Q01`…) staffed by four agents each, open 08:00–20:00 local time every day. Each
 * call enters one queue and is answered (78 %: `user_inbound` ringing the agent,
 * `user_inbound_answered`, `user_inbound_completed` and the `queue_call` summary), abandoned
 * (14 %: the summary, and half the time a ring of an agent who did not answer) or timed out after
 * 180 s (8 %: a ring and the summary). Payloads are the documented ones (libs/vendors/voipcloud
 * __fixtures__) with ISO times carrying the tenant's offset, made store-ready by the VoIPcloud
 * adapter. Events come day by day, tenant by tenant, each (day, tenant) in occurred order.
 * Seeded: the same options give the same bytes.
 */

type Json = Record<string, unknown>;

export interface CentreOptions {
  seed: number;
  /** First local day (YYYY-MM-DD) and how many days. */
  firstDay: string;
  days: number;
  queues: number;
  /** Calls entering each queue per day (on average). */
  callsPerQueuePerDay: number;
}

/** Mean stored events per call of the mix above (for sizing a store). */
export const EVENTS_PER_CALL = 0.78 * 4 + 0.14 * 1.5 + 0.08 * 2;

const OPEN_HOUR = 8;
const OPEN_SECONDS = 12 * 3600;
const TIMEOUT_SECONDS = 180;
const NAMES = ['Aarav', 'Diya', 'Kabir', 'Meera', 'Rohan', 'Sara', 'Vihaan', 'Zoya'];

export const queueName = (i: number): string => `Q${String(i + 1).padStart(2, '0')}`;

/** Tenants (zones in order, repeated) with one VoIPcloud source each, seeded ids. */
export function makeCentres(
  zones: readonly string[],
  count: number,
  seed: number,
): {
  tenants: FleetTenant[];
  sources: FleetSource[];
} {
  const r = prng(seed);
  const tenants: FleetTenant[] = [];
  const sources: FleetSource[] = [];
  for (let i = 0; i < count; i++) {
    const zone = zones[i % zones.length];
    const tenant = { id: uuidFrom(r), name: `centre-${i + 1}`, timezone: zone };
    tenants.push(tenant);
    sources.push({
      tenantId: tenant.id,
      sourceId: uuidFrom(r),
      vendor: 'voipcloud',
      timezone: zone,
      queues: [],
      pbxTenantId: '',
    });
  }
  return { tenants, sources };
}

interface Pending {
  at: number;
  seq: number;
  payload: Json;
}

export class ContactCentreStream {
  private readonly r: () => number;
  private readonly time = new LocalTime();
  private readonly iterator: Iterator<NewEvent>;
  private callNo = 0;
  /** Calls generated per outcome. */
  readonly calls = { answered: 0, abandoned: 0, timedOut: 0 };
  events = 0;
  rawBytes = 0;

  constructor(
    private readonly sources: readonly FleetSource[],
    private readonly opts: CentreOptions,
  ) {
    this.r = prng(opts.seed);
    this.iterator = this.all();
  }

  /** Up to `count` more events; an empty array once every day of every tenant is out. */
  next(count: number): NewEvent[] {
    const out: NewEvent[] = [];
    while (out.length < count) {
      const step = this.iterator.next();
      if (step.done) break;
      out.push(step.value);
    }
    return out;
  }

  private *all(): Generator<NewEvent> {
    for (let d = 0; d < this.opts.days; d++) {
      for (const source of this.sources) {
        const pending: Pending[] = [];
        let seq = 0;
        const emit = (at: number, payload: Json) => pending.push({ at, seq: seq++, payload });
        const open = this.localMidnight(source.timezone, d) + OPEN_HOUR * 3_600_000;
        for (let q = 0; q < this.opts.queues; q++) {
          // Poisson-ish: the mean, give or take 20 %, per queue and day.
          const n = Math.round(this.opts.callsPerQueuePerDay * (0.8 + 0.4 * this.r()));
          for (let i = 0; i < n; i++) this.call(source, q, open + Math.floor(this.r() * OPEN_SECONDS) * 1000, emit);
        }
        pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
        for (const p of pending) {
          const event = storeReady(source, p.payload);
          this.events++;
          this.rawBytes += event.raw.length;
          yield event;
        }
      }
    }
  }

  private localMidnight(zone: string, dayOffset: number): number {
    const [y, m, d] = this.opts.firstDay.split('-').map(Number);
    const utcMidnight = Date.UTC(y, m - 1, d + dayOffset);
    // Midnight local = UTC midnight minus the offset then in force (no zone here changes at midnight).
    return utcMidnight - IANAZone.create(zone).offset(utcMidnight) * 60_000;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.r() * (max - min + 1));
  }

  private call(source: FleetSource, q: number, enter: number, emit: (at: number, payload: Json) => void): void {
    const zone = source.timezone;
    const iso = (ms: number) => this.time.iso(zone, ms);
    const id = `${enter / 1000}.${this.callNo++}`;
    const agentNo = 200 + q * 4 + this.int(0, 3);
    const agent = { user_number: String(agentNo), user_name: NAMES[agentNo % NAMES.length] };
    const common: Json = {
      unique_call_id: id,
      caller_id: `+91${this.int(7_000_000_000, 9_999_999_999)}`,
      caller_name: '',
      dest_number: `+91804${String(1000 + q).padStart(7, '0')}`,
      call_start_at: iso(enter),
      queue_name: queueName(q),
      ring_group_name: null,
    };
    const roll = this.r();
    if (roll < 0.78) {
      this.calls.answered++;
      // Waits mostly short with a long tail, so both sides of the 20 s threshold are well filled.
      const wait = Math.min(300, Math.floor(-Math.log(1 - this.r()) * 18));
      const ring = Math.min(wait, this.int(2, 12));
      const talk = this.int(20, 900);
      const connected = enter + wait * 1000;
      const end = connected + talk * 1000;
      const done = { call_duration: wait + talk, conversation_duration: talk, connected_at: iso(connected) };
      emit(connected - ring * 1000, { type: 'user_inbound', ...common, ...agent });
      emit(connected, { type: 'user_inbound_answered', ...common, ...agent, connected_at: iso(connected) });
      emit(end, { type: 'user_inbound_completed', ...common, ...agent, ...done });
      emit(end, { type: 'queue_call', ...common, ...agent, ...done, status: 'answered' });
    } else if (roll < 0.92) {
      this.calls.abandoned++;
      const wait = this.int(1, 120);
      if (this.r() < 0.5) emit(enter + Math.min(wait, 3) * 1000, { type: 'user_inbound', ...common, ...agent });
      emit(enter + wait * 1000, {
        type: 'queue_call',
        ...common,
        user_name: '',
        user_number: '',
        call_duration: wait,
        conversation_duration: 0,
        status: 'abandoned',
      });
    } else {
      this.calls.timedOut++;
      emit(enter + 10_000, { type: 'user_inbound', ...common, ...agent });
      emit(enter + TIMEOUT_SECONDS * 1000, {
        type: 'queue_call',
        ...common,
        user_name: '',
        user_number: '',
        call_duration: TIMEOUT_SECONDS,
        conversation_duration: 0,
        status: 'timedout',
      });
    }
  }
}

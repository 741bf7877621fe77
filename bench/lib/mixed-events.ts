import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IANAZone } from 'luxon';
import { Pool } from 'pg';
import { NewEvent, toPayloadJson } from '@app/event-store';
import { hashSourceSecret } from '@app/platform/auth';
import { getVendorAdapter } from '@app/vendors';
import { MinHeap } from '@app/simulator/heap';

/**
 * A day of mixed-vendor call traffic for projection benchmarks: whole calls of PortSIP
 * (call_start, cdr_target_*, call_cdr), Nexbro (CALL_* lifecycle) and VoIPcloud (user_*,
 * queue_call, ring_group_call, voicemail, recording_*) tenants, built from the payloads in
 * libs/vendors/<vendor>/__fixtures__ with unique call ids and times, made store-ready by the
 * vendor adapters (as test/projections/scenario.ts does), and emitted in the order the events
 * happen: calls overlap, so a call's events are interleaved with those of other calls.
 * Seeded: two runs produce the same tenants, sources and payloads.
 */

export type Vendor = 'portsip' | 'nexbro' | 'voipcloud';

export interface FleetSource {
  tenantId: string;
  sourceId: string;
  vendor: Vendor;
  timezone: string;
  queues: string[];
  /** PortSIP's own tenant id, sent in its payloads. */
  pbxTenantId: string;
}

export interface FleetTenant {
  id: string;
  name: string;
  timezone: string;
}

const ZONES: Record<Vendor, string> = {
  portsip: 'UTC',
  nexbro: 'America/New_York',
  voipcloud: 'Australia/Sydney',
};

type Json = Record<string, unknown>;

/** Deterministic 32-bit PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random-looking (version 4 layout) UUID from the PRNG. */
export function uuidFrom(r: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Tenants of each vendor, one source each, with seeded ids whose last bytes are 00, 01, 02, … as
 * `tenant:create` mints them into an empty table (slotForNextTenant), so they spread evenly over
 * the tenant partitions.
 */
export function makeFleet(tenantsPerVendor: number, seed: number): { tenants: FleetTenant[]; sources: FleetSource[] } {
  const r = prng(seed);
  const tenants: FleetTenant[] = [];
  const sources: FleetSource[] = [];
  for (const vendor of ['portsip', 'nexbro', 'voipcloud'] as const) {
    for (let i = 0; i < tenantsPerVendor; i++) {
      const slot = tenants.length % 256;
      const id = uuidFrom(r).slice(0, -2) + slot.toString(16).padStart(2, '0');
      const tenant = { id, name: `${vendor}-${i + 1}`, timezone: ZONES[vendor] };
      tenants.push(tenant);
      sources.push({
        tenantId: tenant.id,
        sourceId: uuidFrom(r),
        vendor,
        timezone: tenant.timezone,
        queues: vendor === 'portsip' ? ['8000', '8001'] : [],
        pbxTenantId: String(880_000_000_000_000_000 + Math.floor(r() * 1e12)),
      });
    }
  }
  return { tenants, sources };
}

/** The fleet's tenants and sources rows (auth none), as the projection reads its source settings. */
export async function insertFleet(pool: Pool, tenants: FleetTenant[], sources: FleetSource[]): Promise<void> {
  await pool.query(
    `INSERT INTO tenants (id, name, timezone) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`,
    [tenants.map((t) => t.id), tenants.map((t) => t.name), tenants.map((t) => t.timezone)],
  );
  await pool.query(
    `INSERT INTO sources (id, tenant_id, name, vendor, auth_method, credentials, queue_numbers)
     SELECT id, tenant_id, name, vendor, 'none', $5::jsonb, string_to_array(queues, ',')
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $6::text[]) AS s(id, tenant_id, name, vendor, queues)`,
    [
      sources.map((s) => s.sourceId),
      sources.map((s) => s.tenantId),
      sources.map((s) => `${s.vendor} source`),
      sources.map((s) => s.vendor),
      JSON.stringify(hashSourceSecret('none', {})),
      sources.map((s) => s.queues.join(',')),
    ],
  );
}

function fixture(root: string, vendor: Vendor, name: string): Json {
  return JSON.parse(readFileSync(join(root, 'libs', 'vendors', vendor, '__fixtures__', name), 'utf8')) as Json;
}

/** Zone-less local time "YYYY-MM-DD HH:mm:ss" and ISO with offset, cached per zone and hour. */
export class LocalTime {
  private readonly offsets = new Map<string, number>();

  offsetMinutes(zone: string, ms: number): number {
    const key = `${zone}/${Math.floor(ms / 3_600_000)}`;
    let off = this.offsets.get(key);
    if (off === undefined) {
      off = IANAZone.create(zone).offset(ms);
      this.offsets.set(key, off);
    }
    return off;
  }

  plain(zone: string, ms: number): string {
    const local = new Date(ms + this.offsetMinutes(zone, ms) * 60_000).toISOString();
    return `${local.slice(0, 10)} ${local.slice(11, 19)}`;
  }

  iso(zone: string, ms: number): string {
    const off = this.offsetMinutes(zone, ms);
    const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
    const sign = off < 0 ? '-' : '+';
    const a = Math.abs(off);
    return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }
}

interface Pending {
  at: number;
  seq: number;
  source: FleetSource;
  payload: Json;
}

export interface StreamOptions {
  seed: number;
  /** Repository root (for the fixtures). */
  root: string;
  /** When the first call starts (ms since the epoch). */
  startMs: number;
  /** Mean calls starting per second over the whole fleet (exponential inter-arrival). */
  callsPerSecond: number;
}

/** A payload made store-ready by its vendor adapter, as ingestion would store it (no delivery id). */
export function storeReady(source: FleetSource, payload: Json): NewEvent {
  const parsed = getVendorAdapter(source.vendor).parse(payload, { timezone: source.timezone });
  const payloadJson = toPayloadJson(payload);
  return {
    tenantId: source.tenantId,
    sourceId: source.sourceId,
    vendor: source.vendor,
    type: parsed.type,
    recognized: parsed.recognized,
    problem: parsed.problems.length ? parsed.problems.join('; ') : null,
    dedupKey: parsed.dedupKey,
    occurredAt: parsed.occurredAt,
    callKey: parsed.callKey,
    sessionKey: parsed.sessionKey,
    extension: parsed.extension,
    queue: parsed.queue,
    deliveryId: null,
    raw: Buffer.from(payloadJson),
    payloadJson,
  };
}

/** Emits the fleet's events in occurred-time order, store-ready. */
export class MixedCallStream {
  private readonly r: () => number;
  private readonly heap = new MinHeap<Pending>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private readonly time = new LocalTime();
  private seq = 0;
  private callNo = 0;
  private nextStart: number;
  private readonly cdr: Json;
  private readonly nexbro: Json;
  private readonly voip: Record<string, Json>;
  /** Events emitted per vendor and type. */
  readonly counts: Record<string, number> = {};
  readonly calls: Record<Vendor, number> = { portsip: 0, nexbro: 0, voipcloud: 0 };
  rawBytes = 0;

  constructor(
    private readonly sources: readonly FleetSource[],
    private readonly opts: StreamOptions,
  ) {
    this.r = prng(opts.seed);
    this.nextStart = opts.startMs;
    this.cdr = fixture(opts.root, 'portsip', 'call_cdr.json');
    this.nexbro = fixture(opts.root, 'nexbro', 'call_routed.json');
    this.voip = Object.fromEntries(
      [
        'user_inbound',
        'user_inbound_answered',
        'user_inbound_completed',
        'user_outbound',
        'user_outbound_answered',
        'user_outbound_completed',
        'queue_call',
        'ring_group_call',
        'voicemail',
        'recording_inbound',
      ].map((n) => [n, fixture(opts.root, 'voipcloud', `${n}.json`)]),
    );
  }

  /** The next `count` events in the order they happened. */
  next(count: number): NewEvent[] {
    const out: NewEvent[] = [];
    while (out.length < count) {
      const top = this.heap.peek();
      if (top && top.at < this.nextStart) {
        this.heap.pop();
        out.push(this.toEvent(top));
      } else {
        this.startCall(this.nextStart);
        this.nextStart += Math.max(1, Math.round((-Math.log(1 - this.r()) / this.opts.callsPerSecond) * 1000));
      }
    }
    return out;
  }

  private toEvent(p: Pending): NewEvent {
    const event = storeReady(p.source, p.payload);
    this.rawBytes += event.raw.length;
    const key = `${p.source.vendor} ${event.type}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    return event;
  }

  private emit(source: FleetSource, at: number, payload: Json): void {
    this.heap.push({ at, seq: this.seq++, source, payload });
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.r() * items.length)];
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.r() * (max - min + 1));
  }

  private startCall(startMs: number): void {
    const source = this.pick(this.sources);
    const n = this.callNo++;
    this.calls[source.vendor]++;
    const start = Math.floor(startMs / 1000) * 1000;
    if (source.vendor === 'portsip') this.portsipCall(source, n, start);
    else if (source.vendor === 'nexbro') this.nexbroCall(source, n, start);
    else this.voipcloudCall(source, n, start);
  }

  private external(): string {
    return `+1${this.int(200, 989)}${String(this.int(0, 9_999_999)).padStart(7, '0')}`;
  }

  // PortSIP: the documented call_cdr (IVR 5000 → queue 8000 → agent) and simpler shapes, with the
  // live target events built from its call_targets[] entries like the vendor spec does.
  private portsipCall(source: FleetSource, n: number, start: number): void {
    const session = `7${String(n).padStart(17, '0')}`;
    const s = start / 1000;
    const roll = this.r();
    const kind = roll < 0.25 ? 'ivr-queue-agent' : roll < 0.7 ? 'direct' : roll < 0.9 ? 'missed' : 'outbound';
    const agent = String(this.int(100, 199));
    const outbound = kind === 'outbound';
    const caller = outbound ? agent : this.external();
    const callee = outbound ? this.external() : kind === 'ivr-queue-agent' ? '5000' : agent;
    const did = outbound ? '' : `1880${this.int(1000, 9999)}`;
    const leg = {
      tenant_id: source.pbxTenantId,
      tenant_name: `pbx-${source.pbxTenantId.slice(-4)}`,
      session_id: session,
      call_id: `${session.slice(-12)}QwErTyUiOp..`,
      direction: outbound ? 'outbound' : 'inbound',
      caller,
      caller_display_name: caller,
      caller_domain: outbound ? 'pbx.example.net' : '203.0.113.7',
      callee,
      callee_domain: 'pbx.example.net',
      did,
      outbound_caller_id: outbound ? '18800606' : '',
      trunk_name: (this.cdr['trunk_name'] as string) ?? '',
    };
    const targets: Json[] = [];
    const target = (dest: string, tStart: number, ring: number, answered: number, ended: number, status: string) => {
      targets.push({
        answered_time: String(answered),
        call_type: 'normal_call',
        callee: dest,
        caller,
        destination: `sip:${dest}@192.168.1.93:5060`,
        did,
        end_reason: status === 'answered' ? (dest === agent || outbound ? 'None' : 'referred') : 'no_answer',
        ended_time: String(ended),
        id: `${session}2`,
        outbound_caller_id: leg.outbound_caller_id,
        ring_duration: String(answered ? answered - ring : ended - ring),
        ring_time: String(ring),
        start_time: String(tStart),
        status,
        status_code: 0,
        talk_duration: String(answered ? ended - answered : 0),
        trunk_name: leg.trunk_name,
      });
    };
    let end: number;
    if (kind === 'ivr-queue-agent') {
      const ivrEnd = s + this.int(5, 20);
      const queueEnd = ivrEnd + this.int(3, 90);
      end = queueEnd + this.int(20, 600);
      target('5000', s, s, s, ivrEnd, 'answered');
      target(this.pick(source.queues), ivrEnd, ivrEnd, ivrEnd, queueEnd, 'answered');
      target(agent, queueEnd - this.int(1, 3), queueEnd - 3, queueEnd, end, 'answered');
    } else if (kind === 'missed') {
      end = s + this.int(10, 40);
      target(callee, s, s, 0, end, 'noanswer');
    } else {
      const answered = s + this.int(2, 20);
      end = answered + this.int(10, 900);
      target(callee, s, s, answered, end, 'answered');
    }
    const answeredAny = targets.find((t) => t['status'] === 'answered');
    this.emit(source, start, {
      event_type: 'call_start',
      ...leg,
      start_time: String(s),
      time: String(s),
      user_data: '',
    });
    for (const t of targets) {
      const steps: Array<[string, number]> = [['cdr_target_add', Number(t['start_time'])]];
      const answered = Number(t['answered_time']);
      const ring = Number(t['ring_time']);
      if (t['status'] === 'answered') {
        if (Number(t['ring_duration']) > 0) steps.push(['cdr_target_ringing', ring]);
        steps.push(['cdr_target_answer', answered], ['cdr_target_end', Number(t['ended_time'])]);
      } else {
        steps.push(['cdr_target_ringing', ring], ['cdr_target_noanswer', Number(t['ended_time'])]);
      }
      for (const [step, at] of steps) {
        const live = { ...t };
        if (step !== 'cdr_target_end' && step !== 'cdr_target_noanswer') {
          live['ended_time'] = '0';
          live['talk_duration'] = '0';
          live['end_reason'] = '';
        }
        if (step === 'cdr_target_add' || step === 'cdr_target_ringing') {
          live['answered_time'] = '0';
          live['status'] = 'ringing';
        }
        this.emit(source, at * 1000, { event_type: step, ...leg, ...live });
      }
    }
    // The CDR itself: the fixture's shape with this call's values (its 'talk_duration' is a number).
    const first = targets[0];
    this.emit(source, end * 1000 + 500, {
      ...this.cdr,
      ...leg,
      answered_time: answeredAny ? String(answeredAny['answered_time']) : '0',
      call_status: answeredAny ? 'answered' : 'noanswer',
      call_targets: targets,
      ended_reason: answeredAny ? 'callee_disconnect' : 'caller_disconnect',
      ended_time: String(end),
      event_type: 'call_cdr',
      ring_duration: String(first['ring_duration']),
      ring_time: String(first['ring_time']),
      start_time: String(s),
      status_code: '0',
      talk_duration: answeredAny ? end - Number(answeredAny['answered_time']) : 0,
      user_data: '',
    });
  }

  // Nexbro: routed → (digits) → ringing → answer → (hold/unhold) → hangup, or missed, or outbound.
  private nexbroCall(source: FleetSource, _n: number, start: number): void {
    const uuid = uuidFrom(this.r);
    const ext = String(this.int(200, 299));
    const roll = this.r();
    const kind = roll < 0.5 ? 'answered' : roll < 0.75 ? 'missed' : 'outbound';
    const caller = kind === 'outbound' ? ext : this.external().slice(2);
    const dialled = kind === 'outbound' ? this.external().slice(2) : `855${this.int(1_000_000, 9_999_999)}`;
    const base = { ...this.nexbro, call_uuid: uuid, call_session_uuid: uuid, caller_id_number: caller };
    const at = (event: string, ms: number, destination: string, extra: Json = {}) =>
      this.emit(source, ms, {
        ...base,
        event,
        destination_number: destination,
        ...extra,
        timestamp: this.time.plain(source.timezone, ms),
      });
    at('CALL_ROUTED', start, dialled);
    let t = start;
    const target = kind === 'outbound' ? dialled : ext;
    if (kind === 'answered' && this.r() < 0.4) {
      t += this.int(3, 8) * 1000;
      at('CALL_INPUT', t, dialled, { digit: String(this.int(1, 9)), digit_duration: '120' });
    }
    t += this.int(1, 3) * 1000;
    at('CALL_RINGING', t, target);
    if (kind === 'missed') {
      at('CALL_HANGUP', t + this.int(10, 40) * 1000, target);
      return;
    }
    t += this.int(2, 15) * 1000;
    at('CALL_ANSWER', t, target);
    if (this.r() < 0.2) {
      t += this.int(10, 120) * 1000;
      at('CALL_HOLD', t, target);
      t += this.int(5, 60) * 1000;
      at('CALL_UNHOLD', t, target);
    }
    at('CALL_HANGUP', t + this.int(10, 600) * 1000, target);
  }

  // VoIPcloud: the fixture payloads of each event type, re-dated and re-numbered per call.
  private voipcloudCall(source: FleetSource, n: number, start: number): void {
    const id = `${start / 1000}.${n}`;
    const zone = source.timezone;
    const roll = this.r();
    const kind = roll < 0.35 ? 'queue' : roll < 0.6 ? 'direct' : roll < 0.75 ? 'voicemail' : 'outbound';
    const caller = this.external();
    const user = { user_number: String(this.int(200, 260)), user_name: this.pick(['Alice', 'Bob', 'Carol', 'Dan']) };
    const other = { user_number: String(this.int(261, 299)), user_name: this.pick(['Erin', 'Frank', 'Grace']) };
    const dest = `+6128000${this.int(1000, 1999)}`;
    const common = { unique_call_id: id, caller_id: caller, dest_number: dest };
    const ev = (type: string, ms: number, extra: Json) =>
      this.emit(source, ms, { ...this.voip[type], ...common, ...extra });
    const startAt = this.time.iso(zone, start);
    if (kind === 'outbound') {
      const out = { ...user, caller_id: dest, dest_number: caller.slice(3), call_start_at: startAt };
      const connected = start + this.int(3, 20) * 1000;
      const talk = this.int(10, 900);
      const duration = (connected - start) / 1000 + talk;
      ev('user_outbound', start, out);
      ev('user_outbound_answered', connected, { ...out, connected_at: this.time.iso(zone, connected) });
      ev('user_outbound_completed', start + duration * 1000, {
        ...out,
        connected_at: this.time.iso(zone, connected),
        call_duration: duration,
        conversation_duration: talk,
      });
      return;
    }
    const inbound = { caller_name: 'ACME PTY LTD', call_start_at: startAt };
    const queueName = kind === 'queue' ? this.pick(['Sales', 'Support']) : null;
    ev('user_inbound', start, { ...inbound, ...user, queue_name: queueName, ring_group_name: null });
    if (kind !== 'direct' && this.r() < 0.5) {
      ev('user_inbound', start, { ...inbound, ...other, queue_name: queueName, ring_group_name: null });
    }
    if (kind === 'voicemail') {
      const duration = this.int(15, 40);
      const endMs = start + duration * 1000;
      ev('ring_group_call', endMs, {
        ...inbound,
        user_name: null,
        user_number: null,
        connected_at: null,
        call_duration: String(duration),
        conversation_duration: '0',
        ring_group_name: 'Support',
        status: this.r() < 0.5 ? 'abandoned' : 'timedout',
      });
      const recorded = endMs + this.int(10, 60) * 1000;
      ev('voicemail', recorded, { recorded_at: this.time.iso(zone, recorded) });
      return;
    }
    const connected = start + this.int(3, 30) * 1000;
    const talk = this.int(20, 900);
    const duration = (connected - start) / 1000 + talk;
    const endMs = start + duration * 1000;
    const answered = { ...inbound, ...user, connected_at: this.time.iso(zone, connected), queue_name: queueName };
    ev('user_inbound_answered', connected, { ...answered, ring_group_name: '' });
    ev('user_inbound_completed', endMs, {
      ...answered,
      call_duration: String(duration),
      conversation_duration: String(talk),
      ring_group_name: 'null',
    });
    if (kind === 'queue') {
      ev('queue_call', endMs, {
        ...answered,
        call_duration: duration,
        conversation_duration: talk,
        queue_name: queueName,
        status: 'answered',
      });
    }
    if (this.r() < 0.3) {
      const recorded = endMs + this.int(2, 10) * 1000;
      ev('recording_inbound', recorded, { recorded_at: this.time.plain(zone, recorded) });
    }
  }
}

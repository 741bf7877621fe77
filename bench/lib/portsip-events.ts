import { createHash, randomUUID } from 'node:crypto';
import { NewEvent, toPayloadJson } from '@app/event-store';

/**
 * Synthetic PortSIP traffic for benchmarks: whole calls (start, four target events, final CDR)
 * from a fleet of tenants, shaped like the documented webhook payloads so sizes, key
 * distributions and index behaviour resemble production. Content is seeded, so two runs store
 * the same bytes; identifiers that must be unique in a database come from a per-run counter.
 */

/** Deterministic 32-bit PRNG (mulberry32): reproducible payloads without a dependency. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tenant {
  tenantId: string;
  sourceIds: string[];
  pbxTenantId: string;
  name: string;
  domain: string;
  dids: string[];
  trunk: string;
}

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'Farid', 'Grace', 'Hugo', 'Inès', 'Jonas', 'Keiko', 'Lucas'];
const LAST = ['Martin', 'Schmidt', 'Rossi', 'García', 'Nowak', 'Dubois', 'Jensen', 'Silva', 'Novak', 'Müller'];
const END_REASONS = ['callee_disconnect', 'caller_disconnect', 'referred', 'no_answer', 'busy'];
const CALL_STEPS = [
  'call_start',
  'cdr_target_add',
  'cdr_target_ringing',
  'cdr_target_answer',
  'cdr_target_end',
  'call_cdr',
] as const;

export interface GeneratorOptions {
  tenants: number;
  sourcesPerTenant: number;
  seed: number;
}

/** Makes events on demand; every event of one generator has a distinct dedup key. */
export class PortsipEventGenerator {
  private readonly rand: () => number;
  private readonly tenants: Tenant[];
  private calls = 0;
  private readonly epoch = Math.floor(Date.now() / 1000) - 86_400;

  constructor(opts: GeneratorOptions) {
    this.rand = prng(opts.seed);
    this.tenants = Array.from({ length: opts.tenants }, (_, i) => ({
      tenantId: randomUUID(),
      sourceIds: Array.from({ length: opts.sourcesPerTenant }, () => randomUUID()),
      pbxTenantId: this.digits(18),
      name: `tenant-${String(i + 1).padStart(3, '0')}`,
      domain: `t${i + 1}.pbx.example.net`,
      dids: Array.from({ length: 4 }, () => `+44207946${this.digits(4)}`),
      trunk: `${100 + i}:${this.digits(18)}`,
    }));
  }

  get tenantCount(): number {
    return this.tenants.length;
  }

  get sourceCount(): number {
    return this.tenants.reduce((n, t) => n + t.sourceIds.length, 0);
  }

  /** `count` events, whole calls of six events each (the last call may be cut short). */
  next(count: number): NewEvent[] {
    const out: NewEvent[] = [];
    while (out.length < count) {
      for (const e of this.call()) {
        if (out.length === count) break;
        out.push(e);
      }
    }
    return out;
  }

  private call(): NewEvent[] {
    const r = this.rand;
    const tenant = this.tenants[Math.floor(r() * this.tenants.length)];
    const sourceId = tenant.sourceIds[Math.floor(r() * tenant.sourceIds.length)];
    const n = this.calls++;
    // Unique per run by construction: these ids end up in the payload and so in its hash.
    const session = `88${String(n).padStart(16, '0')}`;
    const inbound = r() < 0.7;
    const ext = String(100 + Math.floor(r() * 100));
    // Some inbound calls ring a queue first; the store then indexes the queue, not an extension.
    const queue = inbound && r() < 0.3 ? String(8000 + Math.floor(r() * 4)) : null;
    const external = `+44${this.digits(10)}`;
    const start = this.epoch + n;
    const ring = start + Math.floor(r() * 3);
    const answered = ring + 1 + Math.floor(r() * 15);
    const ended = answered + 5 + Math.floor(r() * 600);
    const leg = {
      tenant_id: tenant.pbxTenantId,
      tenant_name: tenant.name,
      session_id: session,
      cdr_id: `${session}1`,
      call_id: `${this.base64(22)}..`,
      direction: inbound ? 'inbound' : 'outbound',
      caller: inbound ? external : ext,
      caller_display_name: `${FIRST[Math.floor(r() * FIRST.length)]} ${LAST[Math.floor(r() * LAST.length)]}`,
      caller_domain: inbound ? `203.0.113.${1 + Math.floor(r() * 250)}` : tenant.domain,
      callee: inbound ? ext : external,
      callee_domain: inbound ? tenant.domain : `198.51.100.${1 + Math.floor(r() * 250)}`,
      did: inbound ? tenant.dids[Math.floor(r() * tenant.dids.length)] : '',
      outbound_caller_id: inbound ? '' : tenant.dids[0],
      trunk_name: tenant.trunk,
    };
    const target = (step: string) => ({
      id: `${session}2`,
      destination: `sip:${queue ?? ext}@10.20.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}:5060`,
      call_type: 'normal_call',
      status: step === 'cdr_target_end' || step === 'cdr_target_answer' ? 'answered' : 'ringing',
      status_code: 0,
      start_time: String(start),
      ring_time: String(ring),
      answered_time: step === 'cdr_target_answer' || step === 'cdr_target_end' ? String(answered) : '0',
      ended_time: step === 'cdr_target_end' ? String(ended) : '0',
      ring_duration: String(answered - ring),
      talk_duration: step === 'cdr_target_end' ? String(ended - answered) : '0',
      end_reason: step === 'cdr_target_end' ? END_REASONS[Math.floor(r() * END_REASONS.length)] : '',
    });
    return CALL_STEPS.map((step): NewEvent => {
      let payload: Record<string, unknown>;
      let occurred: number;
      if (step === 'call_start') {
        payload = { event_type: step, ...leg, start_time: String(start), time: String(start), user_data: '' };
        occurred = start;
      } else if (step === 'call_cdr') {
        const { id: _id, destination: _d, call_type: _c, ...times } = target('cdr_target_end');
        payload = {
          event_type: step,
          ...leg,
          ...times,
          call_status: 'answered',
          ended_reason: END_REASONS[Math.floor(r() * END_REASONS.length)],
          call_targets: [{ ...target('cdr_target_end'), callee: ext, caller: leg.caller, did: leg.did }],
          user_data: '',
        };
        occurred = ended;
      } else {
        const t = target(step);
        payload = { event_type: step, ...leg, ...t };
        occurred = Number(t.ended_time) || Number(t.answered_time) || Number(t.ring_time) || start;
      }
      // PBXs send compact JSON; the exact bytes are what the store keeps in `raw`.
      const payloadJson = toPayloadJson(payload);
      const raw = Buffer.from(payloadJson);
      return {
        tenantId: tenant.tenantId,
        sourceId,
        vendor: 'portsip',
        type: step,
        recognized: true,
        problem: null,
        dedupKey: `h:${createHash('sha256').update(raw).digest('hex')}`,
        occurredAt: new Date(occurred * 1000),
        callKey: session,
        sessionKey: session,
        extension: step === 'call_start' || step === 'call_cdr' || queue ? null : ext,
        queue: step === 'call_start' || step === 'call_cdr' ? null : queue,
        deliveryId: randomUUID(),
        raw,
        payloadJson,
      };
    });
  }

  private digits(n: number): string {
    let s = String(1 + Math.floor(this.rand() * 9));
    while (s.length < n) s += String(Math.floor(this.rand() * 10));
    return s;
  }

  private base64(n: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let s = '';
    while (s.length < n) s += alphabet[Math.floor(this.rand() * 64)];
    return s;
  }
}

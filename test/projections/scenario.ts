import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NewEvent } from '@app/event-store';
import { describeEvent } from '@app/ingestion';
import { getVendorAdapter } from '@app/vendors';

const CDR = JSON.parse(
  readFileSync(resolve(__dirname, '../../libs/vendors/portsip/__fixtures__/call_cdr.json'), 'utf8'),
) as Record<string, unknown>;

/** Deterministic PRNG so scenarios are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shifts every unix-seconds string of a PortSIP record by `delta` (keeps "0" = did not happen). */
function shift(record: Record<string, unknown>, delta: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (/_time$/.test(k) && typeof v === 'string' && v !== '0') out[k] = String(Number(v) + delta);
    else if (Array.isArray(v))
      out[k] = v.map((x) => (x && typeof x === 'object' ? shift(x as Record<string, unknown>, delta) : x));
    else out[k] = v;
  }
  return out;
}

/** PortSIP payloads of `calls` calls (live events and the final CDR), based on the documented CDR. */
export function portsipCalls(calls: number, seed = 1): unknown[] {
  const rnd = prng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < calls; i++) {
    const session = `${seed}${String(i).padStart(9, '0')}`;
    const cdr: Record<string, unknown> = {
      ...shift(CDR, i * 37),
      session_id: session,
      caller: `1888${String(i % 1000).padStart(3, '0')}`,
    };
    const start = Number(cdr.start_time);
    out.push({
      event_type: 'call_start',
      session_id: session,
      caller: cdr.caller,
      callee: cdr.callee,
      start_time: String(start),
      direction: 'inbound',
    });
    if (rnd() < 0.8) out.push(cdr); // some calls stay live (no final record yet)
  }
  return out;
}

/** Store-ready events for payloads of one PortSIP source, described as ingestion does. */
export function toEvents(
  payloads: unknown[],
  ids: { tenantId: string; sourceId: string },
  timezone = 'UTC',
  vendor: 'nexbro' | 'portsip' | 'voipcloud' = 'portsip',
): NewEvent[] {
  const adapter = getVendorAdapter(vendor);
  return payloads.map((value) =>
    describeEvent({ ...ids, vendor }, adapter.parse(value, { timezone }), Buffer.from(JSON.stringify(value))),
  );
}

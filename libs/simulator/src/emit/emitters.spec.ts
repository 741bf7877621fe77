import { getVendorAdapter } from '@app/vendors';
import { NEXBRO_EVENT_TYPES } from '@app/vendors/nexbro';
import { PORTSIP_EVENT_TYPES } from '@app/vendors/portsip';
import { VOIPCLOUD_EVENT_TYPES } from '@app/vendors/voipcloud';
import { collectRun } from '../collect';
import { Delivery } from '../simulate';

function parsed(d: Delivery, timezone: string) {
  // Parse the bytes, as ingestion does, not the object the emitter built.
  return getVendorAdapter(d.vendor).parse(JSON.parse(d.text), { timezone });
}

describe.each([
  ['a peak hour', '2026-03-02T10:00', 1, 'Australia/Sydney', 2000],
  ['a whole weekday', '2026-03-03', 24, 'Australia/Sydney', 20_000],
  // Clocks go back on Sunday 5 April 2026 in Sydney (a quiet weekend).
  ['the DST change in Sydney', '2026-04-04T12:00', 36, 'Australia/Sydney', 3000],
  ['a day in New York', '2026-06-10', 24, 'America/New_York', 20_000],
])('emitted events over %s', (_name, start, hours, timezone, atLeast) => {
  const run = collectRun({ start, traffic: { hours }, world: { timezone } });

  it('are all recognized by the vendor adapters, with the occurred time the model says', () => {
    expect(run.deliveries.length).toBeGreaterThan(atLeast);
    const wrong: string[] = [];
    for (const d of run.deliveries) {
      const p = parsed(d, timezone);
      if (!p.recognized) wrong.push(`${d.type}: ${p.problems.join('; ')}`);
      const expected = d.occurredAt === null ? null : new Date(d.occurredAt * 1000).toISOString();
      const got = p.occurredAt?.toISOString() ?? null;
      // Nexbro's zone-less wall time is ambiguous in the hour clocks go back (documented):
      // the adapter takes the earlier instant, one hour before the real one.
      const ambiguous =
        d.vendor === 'nexbro' && got !== expected && Date.parse(expected!) - Date.parse(got!) === 3_600_000;
      if (got !== expected && !ambiguous) wrong.push(`${d.type}: occurredAt ${got} instead of ${expected}`);
      if (p.type !== d.type) wrong.push(`${d.type} parsed as ${p.type}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('never repeat a dedup key within a source (distinct events stay distinct)', () => {
    const keys = new Set<string>();
    for (const d of run.deliveries) {
      const key = parsed(d, timezone).dedupKey;
      // --direct parses the object the emitter built: it must hash exactly like the bytes.
      expect(getVendorAdapter(d.vendor).parse(d.body, { timezone }).dedupKey).toBe(key);
      keys.add(`${d.tenant}/${d.vendor}/${key}`);
    }
    expect(keys.size).toBe(run.deliveries.length);
  });

  it('name the calls of the ground truth by their call keys', () => {
    const truthIds = new Set(run.calls.map((c) => `${c.vendor}/${c.vendorCallId}`));
    const callKeys = new Set<string>();
    for (const d of run.deliveries) {
      const p = parsed(d, timezone);
      const isCall =
        d.type.startsWith('CALL_') ||
        d.type.startsWith('cdr_') ||
        d.type.startsWith('call_') ||
        d.vendor === 'voipcloud';
      if (isCall) callKeys.add(`${d.vendor}/${p.callKey}`);
    }
    expect([...callKeys].sort()).toEqual([...truthIds].sort());
  });
});

describe('vendor coverage over a working week', () => {
  const run = collectRun({ start: '2026-03-02', traffic: { hours: 24 * 5 }, faults: undefined });
  const types = (vendor: string) => new Set(run.deliveries.filter((d) => d.vendor === vendor).map((d) => d.type));

  it('sends every Nexbro type', () => {
    expect([...types('nexbro')].sort()).toEqual([...NEXBRO_EVENT_TYPES].sort());
  });

  it('sends the PortSIP CDR stream and the queue/agent status types', () => {
    const expected = [
      'call_start',
      'cdr_target_add',
      'cdr_target_ringing',
      'cdr_target_answer',
      'cdr_target_noanswer',
      'cdr_target_fail',
      'cdr_target_end',
      'call_cdr',
      'queue_status',
      'queue_caller_status',
      'extension_agent_status',
      'extension_presence',
    ];
    expect([...types('portsip')].sort()).toEqual(expected.sort());
    for (const t of expected) expect(PORTSIP_EVENT_TYPES as readonly string[]).toContain(t);
  });

  it('sends every VoIPcloud type', () => {
    expect([...types('voipcloud')].sort()).toEqual([...VOIPCLOUD_EVENT_TYPES].sort());
  });

  it('uses the documented spelling variants', () => {
    const portsip = run.deliveries.filter((d) => d.type === 'call_cdr').map((d) => d.body);
    expect(portsip.some((b) => 'end_reason' in b) && portsip.some((b) => 'ended_reason' in b)).toBe(true);
    expect(portsip.some((b) => 'did' in b) && portsip.some((b) => 'did_cid' in b)).toBe(true);
    expect(
      portsip.some((b) => typeof b.talk_duration === 'number') &&
        portsip.some((b) => typeof b.talk_duration === 'string'),
    ).toBe(true);
    expect(new Set(portsip.map((b) => b.direction))).toEqual(
      new Set(['in', 'inbound', 'out', 'outbound', 'ext', 'internal', 'in2out', 'inbound_outbound']),
    );
    expect(portsip.some((b) => String(b.caller).startsWith('sip:'))).toBe(true);
    const queueTypes = new Set(
      portsip.flatMap((b) => (b.call_targets as Array<Record<string, unknown>>).map((t) => t.call_type)),
    );
    expect(queueTypes).toEqual(new Set(['normal_call', 'queue_call', 'ring_group_call', 'callback_call']));
    const voip = run.deliveries.filter((d) => d.vendor === 'voipcloud').map((d) => d.text);
    expect(voip.some((t) => /"call_start_at":"[^"]+[+-]\d\d:\d\d"/.test(t))).toBe(true);
    expect(voip.some((t) => /"call_start_at":"[^"]+Z"/.test(t))).toBe(true);
    expect(voip.some((t) => /"call_start_at":"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d"/.test(t))).toBe(true);
    expect(voip.some((t) => /"call_duration":"\d+"/.test(t)) && voip.some((t) => /"call_duration":\d+/.test(t))).toBe(
      true,
    );
    expect(voip.some((t) => t.includes(':"null"')) && voip.some((t) => t.includes(':null'))).toBe(true);
  });

  it('names Nexbro timestamps as zone-less local time and PortSIP times as Unix-second strings', () => {
    const nexbro = run.deliveries.find((d) => d.vendor === 'nexbro')!;
    expect(nexbro.body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const cdr = run.deliveries.find((d) => d.type === 'call_cdr')!;
    expect(cdr.body.ended_time).toMatch(/^\d{10}$/);
    expect(cdr.body.call_targets).toEqual(expect.any(Array));
    const caller = run.deliveries.find((d) => d.type === 'queue_caller_status')!;
    expect(caller.body).toMatchObject({ queue_id: expect.stringMatching(/^\d{18}$/) });
    // Every queue id PortSIP uses is mapped to its number by a queue_status.
    const mapped = new Set(run.deliveries.filter((d) => d.type === 'queue_status').map((d) => d.body.queue_id));
    for (const d of run.deliveries.filter((x) => x.type === 'queue_caller_status'))
      expect(mapped.has(d.body.queue_id)).toBe(true);
  });
});

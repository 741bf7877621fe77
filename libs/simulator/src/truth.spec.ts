import { getVendorAdapter } from '@app/vendors';
import { portsipCallFacts, portsipDirection } from '@app/vendors/portsip';
import { collectRun } from './collect';
import { intervalStart } from './time';

const run = collectRun({ start: '2026-03-02T07:00', traffic: { hours: 12 } });
const rows = run.simulation.truth.queues();
const zone = run.world.options.timezone;
const byVendor = (v: string) => run.deliveries.filter((d) => d.vendor === v);
const iso = (sec: number) => new Date(sec * 1000).toISOString();

describe('ground truth', () => {
  it('adds up per queue and interval: offered = answered + abandoned + shortAbandoned + timedOut + callbacks', () => {
    expect(rows.length).toBeGreaterThan(100);
    for (const r of rows) {
      expect({ ...r, sum: r.answered + r.abandoned + r.shortAbandoned + r.timedOut + r.callbacks }).toEqual({
        ...r,
        sum: r.offered,
      });
      expect(r.answeredWithinSla).toBeLessThanOrEqual(r.answered);
      expect(Date.parse(r.intervalStart) % 900_000).toBe(0);
    }
    const total = (k: 'abandoned' | 'shortAbandoned' | 'timedOut' | 'callbacks') => rows.reduce((n, r) => n + r[k], 0);
    // A realistic day has every outcome.
    for (const k of ['abandoned', 'shortAbandoned', 'timedOut', 'callbacks'] as const)
      expect({ k, n: total(k) > 0 }).toEqual({ k, n: true });
    // Queue calls have one row per label: PortSIP's numbers, VoIPcloud's names.
    expect(new Set(rows.map((r) => `${r.vendor}:${r.queue}`))).toEqual(
      new Set([
        'portsip:8000',
        'portsip:8001',
        'portsip:6000',
        'voipcloud:Sales',
        'voipcloud:Support',
        'voipcloud:Reception',
      ]),
    );
  });

  it('matches what PortSIP queue_caller_status says, interval by interval', () => {
    // enter per session, then the outcome; counted by the interval of the enqueue.
    const enter = new Map<string, { queueId: string; at: number }>();
    const counted = new Map<string, Record<string, number>>();
    const numberOf = new Map<string, string>();
    for (const d of byVendor('portsip')) {
      if (d.type === 'queue_status') numberOf.set(d.body.queue_id as string, d.body.queue_number as string);
      if (d.type !== 'queue_caller_status') continue;
      const c = (d.body.updated_callers as Array<Record<string, string>>)[0];
      const at = Number(c.timestamp);
      if (c.reason === 'enqueue') {
        enter.set(c.session_id, { queueId: d.body.queue_id as string, at });
        continue;
      }
      const e = enter.get(c.session_id)!;
      const key = `${numberOf.get(e.queueId)}|${iso(intervalStart(e.at))}`;
      const row = counted.get(key) ?? {
        offered: 0,
        answered: 0,
        abandoned: 0,
        shortAbandoned: 0,
        timedOut: 0,
        callbacks: 0,
      };
      row.offered++;
      if (c.reason === 'agent_answered') row.answered++;
      else if (c.reason === 'overflow') row.timedOut++;
      else if (c.reason === 'callback') row.callbacks++;
      else if (at - e.at < 5) row.shortAbandoned++;
      else row.abandoned++;
      counted.set(key, row);
    }
    const truth = new Map(
      rows
        .filter((r) => r.vendor === 'portsip' && r.kind === 'queue')
        .map((r) => [
          `${r.queue}|${r.intervalStart}`,
          {
            offered: r.offered,
            answered: r.answered,
            abandoned: r.abandoned,
            shortAbandoned: r.shortAbandoned,
            timedOut: r.timedOut,
            callbacks: r.callbacks,
          },
        ]),
    );
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(truth));
  });

  it('matches what VoIPcloud summaries say (enter = call_start_at, wait = call_duration unless answered)', () => {
    const counted = new Map<string, Record<string, number>>();
    const adapter = getVendorAdapter('voipcloud');
    for (const d of byVendor('voipcloud')) {
      if (d.type !== 'queue_call' && d.type !== 'ring_group_call') continue;
      const p = adapter.parse(JSON.parse(d.text), { timezone: zone });
      const startSec = Math.floor(p.occurredAt!.getTime() / 1000) - Number(d.body.call_duration);
      const key = `${p.queue}|${iso(intervalStart(startSec))}`;
      const row = counted.get(key) ?? { offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, timedOut: 0 };
      row.offered++;
      if (d.body.status === 'answered') row.answered++;
      else if (d.body.status === 'timedout') row.timedOut++;
      else if (Number(d.body.call_duration) < 5) row.shortAbandoned++;
      else row.abandoned++;
      counted.set(key, row);
    }
    const truth = new Map(
      rows
        .filter((r) => r.vendor === 'voipcloud')
        .map((r) => [
          `${r.queue}|${r.intervalStart}`,
          {
            offered: r.offered,
            answered: r.answered,
            abandoned: r.abandoned,
            shortAbandoned: r.shortAbandoned,
            timedOut: r.timedOut,
          },
        ]),
    );
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(truth));
  });

  it("gives PortSIP calls the CDR's talk_duration and direction", () => {
    const cdrs = new Map(
      byVendor('portsip')
        .filter((d) => d.type === 'call_cdr')
        .map((d) => [d.body.session_id as string, d.body]),
    );
    const calls = run.calls.filter((c) => c.vendor === 'portsip');
    expect(calls.length).toBe(cdrs.size);
    for (const c of calls) {
      const f = portsipCallFacts(cdrs.get(c.vendorCallId));
      expect({ id: c.vendorCallId, talk: c.talkSeconds, dir: c.direction }).toEqual({
        id: c.vendorCallId,
        talk: f.talkSeconds,
        dir: portsipDirection(cdrs.get(c.vendorCallId)!.direction),
      });
      if (c.disposition === 'BUSY') expect(f.targets.some((t) => t.statusCode === 486)).toBe(true);
      if (c.disposition === 'VOICEMAIL') expect(f.targets.some((t) => t.party === 'voicemail')).toBe(true);
      if (c.disposition === 'ANSWERED' && c.answeredBy)
        expect(f.targets.some((t) => t.party === c.answeredBy && t.answeredAt)).toBe(true);
    }
  });

  it("gives VoIPcloud calls the final event's conversation_duration, VOICEMAIL only with a voicemail event", () => {
    const final = new Map<string, Record<string, unknown>>();
    const voicemail = new Set<string>();
    for (const d of byVendor('voipcloud')) {
      if (['user_inbound_completed', 'user_outbound_completed', 'queue_call', 'ring_group_call'].includes(d.type))
        final.set(d.body.unique_call_id as string, d.body);
      if (d.type === 'voicemail') voicemail.add(d.body.unique_call_id as string);
    }
    for (const c of run.calls.filter((x) => x.vendor === 'voipcloud')) {
      const f = final.get(c.vendorCallId);
      expect({ id: c.vendorCallId, talk: c.talkSeconds }).toEqual({
        id: c.vendorCallId,
        talk: f ? Number(f.conversation_duration) : 0,
      });
      expect(c.disposition === 'VOICEMAIL').toBe(voicemail.has(c.vendorCallId));
      if (f?.status === 'abandoned') expect(c.disposition).toBe('ABANDONED');
    }
  });

  it('gives Nexbro calls answer-to-hang-up talk, hold time and digits from the lifecycle events', () => {
    const events = new Map<string, Array<{ type: string; at: number; body: Record<string, unknown> }>>();
    const adapter = getVendorAdapter('nexbro');
    for (const d of byVendor('nexbro')) {
      if (!d.type.startsWith('CALL_')) continue;
      const p = adapter.parse(JSON.parse(d.text), { timezone: zone });
      const list = events.get(p.callKey!) ?? [];
      list.push({ type: d.type, at: p.occurredAt!.getTime() / 1000, body: d.body });
      events.set(p.callKey!, list);
    }
    const calls = run.calls.filter((c) => c.vendor === 'nexbro');
    expect(calls.length).toBe(events.size);
    for (const c of calls) {
      const list = events.get(c.vendorCallId)!;
      const hangup = list.find((e) => e.type === 'CALL_HANGUP')!.at;
      const answers = list.filter((e) => e.type === 'CALL_ANSWER');
      const person = answers.find(
        (e) => /^\d{2,5}$/.test(String(e.body.destination_number)) || c.direction !== 'INBOUND',
      );
      const first = person ?? answers[0];
      const holds = list.filter((e) => e.type === 'CALL_HOLD').map((e) => e.at);
      const unholds = list.filter((e) => e.type === 'CALL_UNHOLD').map((e) => e.at);
      expect({ id: c.vendorCallId, talk: c.talkSeconds, hold: c.holdSeconds, digits: c.digits }).toEqual({
        id: c.vendorCallId,
        talk: first ? hangup - first.at : 0,
        hold: holds.reduce((n, h, i) => n + unholds[i] - h, 0),
        digits:
          list
            .filter((e) => e.type === 'CALL_INPUT')
            .map((e) => e.body.digit)
            .join('') || null,
      });
      expect(c.disposition).toBe(
        person
          ? 'ANSWERED'
          : answers.length
            ? list.some((e) => e.type === 'CALL_RINGING')
              ? 'NO_ANSWER'
              : 'ANSWERED'
            : 'NO_ANSWER',
      );
    }
  });

  it('counts every emitted event once per vendor and type', () => {
    const counted: Record<string, Record<string, number>> = { nexbro: {}, portsip: {}, voipcloud: {} };
    for (const d of run.deliveries) counted[d.vendor][d.type] = (counted[d.vendor][d.type] ?? 0) + 1;
    expect(run.simulation.truth.totalEvents()).toEqual(counted);
  });
});

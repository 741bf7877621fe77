import { CallEngine } from './engine';
import { AgentChange, SimCall } from './model';
import { parseStart } from './time';
import { buildWorld } from './world';

const world = buildWorld({ seed: 3 });
const zone = world.options.timezone;
const engine = new CallEngine(world, {
  seed: 3,
  start: parseStart('2026-03-02', zone)!,
  hours: 48,
  callsPerDay: 4000,
  vendors: { nexbro: 1, portsip: 1, voipcloud: 1 },
});
const calls: SimCall[] = [];
const changes: AgentChange[] = [];
let clock = -Infinity;
let monotonic = true;
for (const item of engine.run()) {
  if (item.kind === 'clock') {
    if (item.t < clock) monotonic = false;
    clock = item.t;
  } else if (item.kind === 'call') calls.push(item.call);
  else changes.push(item.change);
}

describe('CallEngine', () => {
  it('walks the window in time order and produces every kind of call', () => {
    expect(monotonic).toBe(true);
    const kinds = new Set(calls.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([
      'callback',
      'direct',
      'forwarded',
      'internal',
      'ivr_extension',
      'outbound',
      'queue',
      'ring_group',
    ]);
    for (const c of calls) {
      expect(c.end).toBeGreaterThanOrEqual(c.start);
      for (const l of c.legs) {
        expect(l.start).toBeGreaterThanOrEqual(c.start);
        expect(l.end).toBeLessThanOrEqual(c.end);
        if (l.answer !== null) expect(l.answer).toBeGreaterThanOrEqual(l.ring ?? l.start);
      }
    }
  });

  it('never lets a person hold two conversations at once, whichever PBX carries them', () => {
    const talking = new Map<string, Array<[number, number]>>();
    for (const c of calls)
      for (const l of [...c.legs, ...(c.child?.legs ?? [])])
        if (l.kind === 'extension' && l.answer !== null) {
          const list = talking.get(l.number) ?? [];
          list.push([l.answer, l.end]);
          talking.set(l.number, list);
        }
    for (const c of calls.filter((x) => x.direction === 'OUTBOUND' || x.direction === 'INTERNAL')) {
      const list = talking.get(c.caller) ?? [];
      list.push([c.start, c.end]);
      talking.set(c.caller, list);
    }
    let overlaps = 0;
    for (const list of talking.values()) {
      list.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < list.length; i++) if (list[i][0] < list[i - 1][1]) overlaps++;
    }
    expect(talking.size).toBeGreaterThan(20);
    expect(overlaps).toBe(0);
  });

  it('routes queue calls to members who are logged in and not on a break', () => {
    // Each agent's timeline of registration and breaks, from the engine's own changes.
    const timeline = new Map<string, Array<{ at: number; state: string }>>();
    for (const ch of changes) {
      if (ch.kind === 'register' && ch.ok) add(ch.extension, ch.at, 'in');
      if (ch.kind === 'unregister') add(ch.extension, ch.at, 'out');
      if (ch.kind === 'presence') add(ch.extension, ch.at, ch.presence === 'AVAILABLE' ? 'in' : 'break');
    }
    function add(ext: string, at: number, state: string) {
      const list = timeline.get(ext) ?? [];
      list.push({ at, state });
      timeline.set(ext, list);
    }
    const stateAt = (ext: string, t: number) => {
      let state = 'out';
      for (const e of timeline.get(ext) ?? []) if (e.at <= t) state = e.state;
      return state;
    };
    const tenant = world.tenants[0];
    let checked = 0;
    for (const c of calls.filter((x) => x.queue?.kind === 'queue' && x.queue.agent)) {
      const q = tenant.queues.find((x) => x.number === c.queue!.number)!;
      const leg = c.legs.find((l) => l.number === c.queue!.agent && l.answer !== null)!;
      expect(q.members).toContain(leg.number);
      expect({ ext: leg.number, at: leg.ring, state: stateAt(leg.number, leg.ring!) }).toEqual({
        ext: leg.number,
        at: leg.ring,
        state: 'in',
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('starts breaks and shift ends only after the agent is free, and agent states follow a valid order', () => {
    const portsipStatus = calls.flatMap((c) => c.agentStatuses.map((s) => ({ ...s })));
    const all = [
      ...portsipStatus,
      ...changes
        .filter((c) => c.kind === 'agent_status')
        .map((c) => ({ at: c.at, extension: c.extension, queue: c.queue, status: c.status })),
    ].sort((a, b) => a.at - b.at);
    const last = new Map<string, string>();
    const bad: string[] = [];
    const allowed: Record<string, string[]> = {
      READY: ['QUEUE_CALL', 'NOT_READY', 'ONLINE'],
      QUEUE_CALL: ['WRAP_UP'],
      WRAP_UP: ['READY'],
      NOT_READY: ['READY'],
      ONLINE: ['READY'],
    };
    for (const s of all) {
      const key = `${s.extension}/${s.queue}`;
      const prev = last.get(key);
      if (prev && !allowed[prev].includes(s.status)) bad.push(`${key} ${prev} → ${s.status} at ${s.at}`);
      last.set(key, s.status);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(all.length).toBeGreaterThan(1000);
  });

  it('plans realistic days: agents log in in the morning, take lunch around midday, staff too', () => {
    const lunch = changes.filter((c) => c.kind === 'presence' && c.presence === 'LUNCH');
    expect(lunch.length).toBeGreaterThanOrEqual(world.tenants[0].extensions.length);
    const hour = (at: number) => new Date((at + 11 * 3600) * 1000).getUTCHours(); // AEDT in March
    for (const l of lunch) expect(hour(l.at)).toBeGreaterThanOrEqual(10);
    const logins = changes.filter((c) => c.kind === 'register' && c.ok);
    expect(logins.every((c) => hour(c.at) >= 6 && hour(c.at) <= 14)).toBe(true);
    expect(changes.some((c) => c.kind === 'register' && !c.ok)).toBe(true);
  });
});

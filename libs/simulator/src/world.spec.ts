import { buildWorld, placeholderIds } from './world';

describe('buildWorld', () => {
  const world = buildWorld({ seed: 5, tenants: 2 });

  it('is deterministic and differs between tenants', () => {
    expect(buildWorld({ seed: 5, tenants: 2 })).toEqual(world);
    expect(buildWorld({ seed: 6, tenants: 2 })).not.toEqual(world);
    const [a, b] = world.tenants;
    expect(a.ivr.did).toBe('+61280001000');
    expect(b.ivr.did).toBe('+61280011000');
    expect(a.pbx.portsipTenantId).not.toBe(b.pbx.portsipTenantId);
    expect(placeholderIds(world)).toEqual(placeholderIds(buildWorld({ seed: 5, tenants: 2 })));
  });

  it('has extensions 101–140, 24 agents in two overlapping queues, a ring group, an IVR and E.164 numbers', () => {
    const t = world.tenants[0];
    expect(t.extensions.map((e) => e.number)).toEqual(Array.from({ length: 40 }, (_, i) => String(101 + i)));
    expect(t.agents).toHaveLength(24);
    expect(t.queues.map((q) => [q.number, q.name])).toEqual([
      ['8000', 'Sales'],
      ['8001', 'Support'],
    ]);
    const [sales, support] = t.queues;
    expect(sales.members.filter((m) => support.members.includes(m)).length).toBeGreaterThan(0);
    for (const a of t.agents) expect(a.queues.length).toBeGreaterThan(0);
    expect(t.ringGroup).toMatchObject({ number: '6000', name: 'Reception' });
    expect(t.ringGroup.members.every((m) => t.staff.some((s) => s.number === m))).toBe(true);
    expect(t.ivr.number).toBe('5000');
    for (const e of t.externals) expect(e.number).toMatch(/^\+[1-9]\d{9,13}$/);
    for (const e of t.extensions) expect(e.did).toMatch(/^\+6128000\d{4}$/);
    expect(new Set(t.externals.map((e) => e.number)).size).toBe(t.externals.length);
    expect(t.sources.nexbro.auth).toBe('basic');
    expect(t.sources.portsip).toMatchObject({ auth: 'digest', queues: ['8000', '8001'] });
    expect(t.sources.voipcloud.auth).toBe('token');
    expect(buildWorld({ portsipAuth: 'basic' }).tenants[0].sources.portsip.auth).toBe('basic');
  });

  it('refuses impossible sizes', () => {
    expect(() => buildWorld({ tenants: 0 })).toThrow(RangeError);
    expect(() => buildWorld({ extensions: 1 })).toThrow(RangeError);
  });
});

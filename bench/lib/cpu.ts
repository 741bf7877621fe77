import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the machine's CPU went during a measurement (Linux /proc; elsewhere nothing is
 * reported): the process groups that matter to a benchmark — PostgreSQL's backends, Redis, the
 * benchmark's own processes — and the rest. Figures are CPU seconds, so on 2 cores a 10-second
 * run has 20 to spend.
 */

const TICKS = 100; // USER_HZ: 100 on every Linux this runs on

export interface CpuSnapshot {
  at: number;
  /** Busy and total jiffies over all CPUs. */
  busy: number;
  total: number;
  /** CPU jiffies per named group. */
  groups: Record<string, number>;
}

function procTicks(pid: string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 (1-based) of the line; after "pid (comm) " 12-15.
    // The children's share keeps the CPU of exited PostgreSQL backends (their postmaster reaps them).
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** CPU use now; `pids` names processes of ours (e.g. { server: 1234 }); PostgreSQL and Redis by name. */
export function cpuSnapshot(pids: Record<string, number | undefined> = {}): CpuSnapshot | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const cpu = stat.split('\n')[0].split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] || 0);
  const total = cpu.reduce((s, v) => s + (Number.isFinite(v) ? v : 0), 0) - (cpu[8] || 0) - (cpu[9] || 0);
  const groups: Record<string, number> = { postgres: 0, redis: 0 };
  const mine = new Map(
    Object.entries(pids)
      .filter((e): e is [string, number] => e[1] !== undefined)
      .map(([k, v]) => [String(v), k]),
  );
  for (const name of mine.values()) groups[name] = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = procTicks(pid);
    if (!p) continue;
    const group =
      mine.get(pid) ?? (p.comm === 'postgres' ? 'postgres' : p.comm.startsWith('redis-server') ? 'redis' : null);
    if (group) groups[group] += p.ticks;
  }
  return { at: Date.now(), busy: total - idle, total, groups };
}

/** CPU seconds per group between two snapshots, plus `other` (everything else busy) and `idle`. */
export function cpuBetween(a: CpuSnapshot | null, b: CpuSnapshot | null): Record<string, number> | null {
  if (!a || !b) return null;
  const out: Record<string, number> = {};
  let named = 0;
  for (const [k, v] of Object.entries(b.groups)) {
    // A process that ended in between has no later value; a group never goes backwards.
    const d = Math.max(0, v - (a.groups[k] ?? 0)) / TICKS;
    out[k] = d;
    named += d;
  }
  // /proc/stat counts per CPU in the same USER_HZ ticks.
  const busy = (b.busy - a.busy) / TICKS;
  out.other = Math.max(0, busy - named);
  out.idle = Math.max(0, (b.total - b.busy - (a.total - a.busy)) / TICKS);
  return out;
}

/** "postgres 9.1 s, server 6.2 s, …" largest first. */
export function describeCpu(cpu: Record<string, number> | null): string {
  if (!cpu) return 'CPU breakdown unavailable';
  return Object.entries(cpu)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { Client } from 'pg';

/** Where a run was measured; figures from different machines are not comparable. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  postgres: string;
  /** Server settings that move write throughput the most. */
  postgresSettings: Record<string, string>;
  /** 1-minute load average when the run started: a busy machine explains noisy figures. */
  loadAverage: number;
  /** `git rev-parse --short HEAD`, or null outside a work tree. */
  commit: string | null;
  /** True when the work tree had uncommitted changes, so `commit` alone does not describe the code. */
  dirty: boolean | null;
}

const SETTINGS = ['shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size'] as const;

export async function describeMachine(databaseUrl: string, repoRoot: string): Promise<Machine> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let postgres: string;
  const postgresSettings: Record<string, string> = {};
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    postgres = rows[0]?.server_version ?? 'unknown';
    const settings = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
      [SETTINGS],
    );
    for (const row of settings.rows) postgresSettings[row.name] = row.setting;
  } finally {
    await client.end();
  }
  const cpus = os.cpus();
  const status = git(repoRoot, ['status', '--porcelain']);
  return {
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: [distribution(), `${os.type()} ${os.release()} ${os.arch()}`].filter(Boolean).join(', '),
    node: process.version,
    postgres,
    postgresSettings,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    commit: git(repoRoot, ['rev-parse', '--short', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
  };
}

// A benchmark must still run from an exported tree or without git installed.
function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function distribution(): string | null {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

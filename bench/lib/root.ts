import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The repository root (a directory with package.json and bench/): benchmarks run compiled from
 * dist/bench, while result files, docs and vendor fixtures belong to the source tree.
 */
export function repoRoot(): string {
  for (const candidate of [resolve(__dirname, '..', '..', '..'), resolve(__dirname, '..', '..'), process.cwd()]) {
    if (existsSync(join(candidate, 'package.json')) && existsSync(join(candidate, 'bench'))) return candidate;
  }
  throw new Error('cannot find the repository root (a directory with package.json and bench/)');
}

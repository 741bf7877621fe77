import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCHMARKS } from './benchmarks';
import { Benchmark } from './lib/benchmark';
import { BenchmarkResult, commitText, readResults, renderMarkdown, RunResult, writeResult } from './lib/report';
import { BENCH_DATABASE, createBenchDatabase, DEFAULT_SERVER_URL, dropBenchDatabase } from './lib/database';
import { describeMachine, Machine } from './lib/machine';
import { repoRoot } from './lib/root';

/**
 * `npm run bench`: runs every registered benchmark against a fresh, migrated `cdr_bench`
 * database, stores the figures in bench/results/<date>.json and regenerates docs/BENCHMARKS.md
 * from all stored runs. Progress on stderr; nothing on stdout but the paths written.
 *
 * `BENCH_ONLY=name,name` runs only those benchmarks (in registry order); their results replace
 * the same benchmarks in that day's result file and the others in it are kept.
 */

function selected(): readonly Benchmark[] {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (only.length === 0) return BENCHMARKS;
  const unknown = only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  }
  return BENCHMARKS.filter((b) => only.includes(b.name));
}

const started = performance.now();
function log(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

async function main(): Promise<void> {
  const root = repoRoot();
  const benchmarks = selected();
  const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
  const startedAt = new Date();

  log(`creating and migrating database ${BENCH_DATABASE}`);
  const databaseUrl = await createBenchDatabase(serverUrl);
  const results: BenchmarkResult[] = [];
  let machine: Machine;
  try {
    machine = await describeMachine(databaseUrl, root);
    log(`${machine.cpuModel}, ${machine.cores} cores, PostgreSQL ${machine.postgres}, commit ${machine.commit ?? '?'}`);
    for (const b of benchmarks) {
      log(`${b.name}: start`);
      const t0 = performance.now();
      const out = await b.run({ databaseUrl, log: (m) => log(`${b.name}: ${m}`) });
      const seconds = (performance.now() - t0) / 1000;
      log(`${b.name}: done in ${seconds.toFixed(1)} s`);
      results.push({
        name: b.name,
        title: b.title,
        seconds,
        figures: out.figures,
        notes: out.notes,
        commit: commitText(machine),
      });
    }
  } finally {
    log(`dropping database ${BENCH_DATABASE}`);
    await dropBenchDatabase(serverUrl);
  }

  const resultsDir = join(root, 'bench', 'results');
  const date = startedAt.toISOString().slice(0, 10);
  if (benchmarks.length < BENCHMARKS.length) {
    // A partial run keeps that day's figures of the benchmarks it did not run.
    const earlier = readResults(resultsDir, log).find((r) => r.date === date);
    const earlierCommit = earlier ? commitText(earlier.machine) : undefined;
    const kept = (earlier?.benchmarks ?? [])
      .filter((k) => !results.some((r) => r.name === k.name))
      .map((k) => ({ ...k, commit: k.commit ?? earlierCommit }));
    const order = (name: string) => BENCHMARKS.findIndex((b) => b.name === name);
    results.push(...kept);
    results.sort((a, b) => order(a.name) - order(b.name));
  }
  const run: RunResult = {
    schema: 1,
    date,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    benchmarks: results,
  };
  const file = writeResult(resultsDir, run);
  const docs = join(root, 'docs', 'BENCHMARKS.md');
  writeFileSync(docs, renderMarkdown(BENCHMARKS, readResults(resultsDir, log)));
  process.stdout.write(`${file}\n${docs}\n`);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});

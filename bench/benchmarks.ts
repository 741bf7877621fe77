import { appendBenchmark } from './append.bench';
import { billingBenchmark } from './billing.bench';
import { emmettBenchmark } from './emmett.bench';
import { exportsBenchmark } from './exports.bench';
import { ingestBenchmark } from './ingest.bench';
import type { Benchmark } from './lib/benchmark';
import { projectionsBenchmark } from './projections.bench';
import { reportingBenchmark } from './reporting.bench';

/**
 * Every benchmark `npm run bench` runs, in this order. A new benchmark lives in its own
 * `bench/<name>.bench.ts` and is added here; the runner and the report need no change.
 */
export const BENCHMARKS: readonly Benchmark[] = [
  appendBenchmark,
  emmettBenchmark,
  ingestBenchmark,
  projectionsBenchmark,
  reportingBenchmark,
  billingBenchmark,
  exportsBenchmark,
];

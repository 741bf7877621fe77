/**
 * The contract between `bench/run.ts` and each benchmark. A benchmark gets a freshly migrated
 * database and returns figures; every figure carries the reference it was measured against in
 * the same run, because an absolute number from a shared 2-core machine means little alone.
 */

/** What the runner hands to a benchmark. */
export interface BenchContext {
  /** Connection URL of the fresh, migrated `cdr_bench` database (dropped after the run). */
  readonly databaseUrl: string;
  /** Progress for humans; goes to stderr so stdout stays clean. */
  log(message: string): void;
}

/** The reference a figure is compared with, measured in the same run on the same data. */
export interface Reference {
  /** Short label shown in the table, e.g. "COPY, 100 rows per statement". */
  readonly name: string;
  readonly value: number;
}

/** One measured figure next to its reference. */
export interface Figure {
  /** What was measured, e.g. "append, batch 1, 16 concurrent". */
  readonly figure: string;
  /** Unit of `ours` and `reference.value`, e.g. "events/s". */
  readonly unit: string;
  /** Whether a larger value is better (throughput) or worse (latency). */
  readonly higherIsBetter: boolean;
  readonly ours: number;
  readonly reference: Reference;
  /** ours / reference.value. */
  readonly ratio: number;
}

/** What a benchmark returns. */
export interface BenchmarkOutput {
  readonly figures: Figure[];
  /** Parameters worth knowing when reading the figures (data sizes, counts), one line each. */
  readonly notes: string[];
}

/** A benchmark, registered in `bench/benchmarks.ts`. */
export interface Benchmark {
  /** Stable key in the result files; changing it starts a new series. */
  readonly name: string;
  /** Heading in docs/BENCHMARKS.md. */
  readonly title: string;
  /** Markdown for the intro of docs/BENCHMARKS.md: what is measured and what every reference is. */
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchmarkOutput>;
}

/** Builds a figure, deriving the ratio so it can never disagree with the two values. */
export function figure(label: string, unit: string, ours: number, reference: Reference, higherIsBetter = true): Figure {
  const ratio = reference.value > 0 ? ours / reference.value : Number.NaN;
  return { figure: label, unit, higherIsBetter, ours, reference, ratio };
}

/** What each benchmark module (`bench/<area>.bench.ts`, exporting `run`) returns to `bench/run.ts`. */
export interface BenchTarget {
  /** e.g. "receiver throughput >= 0.5x bare node:http". */
  readonly target: string;
  /** e.g. "0.71x (8,210 vs 11,560 req/s)". */
  readonly measured: string;
  readonly pass: boolean;
}

export interface BenchResult {
  readonly title: string;
  /** A small table: one object per row, same keys in each. */
  readonly rows: ReadonlyArray<Record<string, string | number>>;
  readonly targets: ReadonlyArray<BenchTarget>;
}

export type BenchModule = { run(options: { quick: boolean }): Promise<BenchResult[]> };

/**
 * Shared shape of benchmarks. Each `bench/*.bench.ts` file exports `benchmarks: Benchmark[]`.
 * A benchmark returns one or more results; a result compared against a baseline measured in
 * the same run carries `baseline` (the baseline's value) and `ratio` (value / baseline, or the
 * figure's own definition of better-than when documented in `note`).
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: string;
  pass?: boolean;
  note?: string;
}

export interface Benchmark {
  /** Prefix-matched by `--only` (e.g. "lcr", "m3ua", "isup"). */
  name: string;
  run(): Promise<BenchResult[]>;
}

/** Operations per second of fn over at least `minMs`, after a warm-up. */
export function opsPerSecond(fn: (i: number) => void, minMs = 1000, batch = 10_000): number {
  for (let i = 0; i < batch; i++) fn(i);
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) fn(n + i);
    n += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < minMs);
  return (n / elapsed) * 1000;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `pair` with `outstanding` calls in flight until `ms` is over: successful operations per
 * second, successes and failures.
 */
export async function concurrently(outstanding: number, ms: number, op: (i: number) => Promise<boolean>): Promise<{ rate: number; ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  let n = 0;
  const end = Date.now() + ms;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: outstanding }, async () => {
      while (Date.now() < end) {
        if (await op(n++)) ok++;
        else failed++;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  return { rate: ok / secs, ok, failed };
}

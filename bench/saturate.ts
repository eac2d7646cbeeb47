/**
 * Closed-loop load for cycle benchmarks: keep `window` cycles (calls, echoes) in flight, start a
 * new one as each ends, raise the window until the completion rate stops growing, then hold at
 * the best window for a sustained measurement. Rates count successful cycles only.
 * BENCH_TRACE=1 prints each second of a measurement (completions, cycles in flight) on stderr.
 */

export interface CycleOutcome {
  ok: boolean;
  /** Set-up latency of this cycle (ms), when it has one. */
  setupMs?: number;
}

/**
 * Starts one cycle and calls `done` once when it is over. Returns false when it cannot start now
 * (no idle resource): the load tries again when another cycle ends.
 */
export type StartCycle = (done: (o: CycleOutcome) => void) => boolean;

export interface Measurement {
  /** Successful cycles per second. */
  rate: number;
  ok: number;
  failed: number;
  ms: number;
  /** CPU time this process used meanwhile (user + system, ms). */
  cpuMs: number;
  /** Set-up latencies of the cycles that ended in the measurement (ms). */
  setupMs: number[];
}

export interface SaturationStep {
  window: number;
  rate: number;
  failed: number;
  /** p99 of the step's latencies (ms), when cycles report one. */
  p99?: number;
}

export interface Saturation {
  steps: SaturationStep[];
  window: number;
  hold: Measurement;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class WindowedLoad {
  private window = 0;
  private filling = false;
  private retry?: NodeJS.Timeout;
  inFlight = 0;
  private ok = 0;
  private failed = 0;
  private samples: number[] = [];
  /** Cycles that could not start for want of a resource. */
  refused = 0;

  constructor(private readonly startCycle: StartCycle) {}

  setWindow(w: number): void {
    this.window = w;
    this.fill();
  }

  private fill(): void {
    if (this.filling) return;
    this.filling = true;
    try {
      while (this.inFlight < this.window) {
        let ended = false;
        this.inFlight++;
        const started = this.startCycle((o) => {
          if (ended) return;
          ended = true;
          this.inFlight--;
          if (o.ok) this.ok++;
          else this.failed++;
          if (o.setupMs !== undefined) this.samples.push(o.setupMs);
          this.fill();
        });
        if (!started) {
          this.inFlight--;
          this.refused++;
          // Nothing in flight to end and call fill() again: poll for the resource.
          if (this.inFlight === 0 && !this.retry) this.retry = setTimeout(() => ((this.retry = undefined), this.fill()), 5);
          break;
        }
      }
    } finally {
      this.filling = false;
    }
  }

  /** Counts what ends during the next `ms`. */
  async measure(ms: number): Promise<Measurement> {
    this.ok = 0;
    this.failed = 0;
    this.samples = [];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    if (process.env.BENCH_TRACE) {
      let last = 0;
      const iv = setInterval(() => {
        process.stderr.write(`  ${Math.round(performance.now() - t0)} ms: ${this.ok - last} ok, ${this.inFlight} in flight\n`);
        last = this.ok;
      }, 1000);
      setTimeout(() => clearInterval(iv), ms);
    }
    await sleep(ms);
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { rate: (this.ok / elapsed) * 1000, ok: this.ok, failed: this.failed, ms: elapsed, cpuMs: (cpu.user + cpu.system) / 1000, setupMs: this.samples };
  }

  /** Stops starting cycles; resolves when none is in flight (or after `timeoutMs`). */
  async drain(timeoutMs: number): Promise<number> {
    this.window = 0;
    const end = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < end) await sleep(20);
    clearTimeout(this.retry);
    return this.inFlight;
  }
}

export interface SaturateOptions {
  /** Windows to try in order (growing). */
  windows: number[];
  /** Time at each window before counting (the pipeline fills). */
  settleMs: number;
  stepMs: number;
  holdMs: number;
  /** A step must beat the best rate by this factor to count as growth (default 1.05). */
  growth?: number;
  /** Steps without growth before the sweep stops (default 2). */
  patience?: number;
  /**
   * A window whose p99 latency exceeds this is past saturation whatever its rate (e.g. set-up
   * times past a protocol timer, where retransmissions start): not held, and the sweep stops.
   */
  maxP99Ms?: number;
}

/** Raises the window until the rate stops growing, then holds at the best window for `holdMs`. */
export async function saturate(load: WindowedLoad, opts: SaturateOptions): Promise<Saturation> {
  const growth = opts.growth ?? 1.05;
  const patience = opts.patience ?? 2;
  const steps: SaturationStep[] = [];
  let best = { window: opts.windows[0], rate: 0 };
  let flat = 0;
  for (const w of opts.windows) {
    load.setWindow(w);
    await sleep(opts.settleMs);
    const m = await load.measure(opts.stepMs);
    const p99 = m.setupMs.length ? percentile(m.setupMs, 99) : undefined;
    steps.push({ window: w, rate: m.rate, failed: m.failed, p99 });
    if (opts.maxP99Ms !== undefined && p99 !== undefined && p99 > opts.maxP99Ms) break;
    if (m.rate > best.rate * growth) {
      best = { window: w, rate: m.rate };
      flat = 0;
    } else if (++flat >= patience) break;
  }
  load.setWindow(best.window);
  await sleep(opts.settleMs);
  const hold = opts.holdMs > 0 ? await load.measure(opts.holdMs) : { rate: best.rate, ok: 0, failed: 0, ms: 0, cpuMs: 0, setupMs: [] };
  return { steps, window: best.window, hold };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** CPU share of one core and CPU time per successful cycle, e.g. "cpu 38% of a core, 0.61 ms/cycle". */
export const describeCpu = (m: Measurement, per = 'cycle'): string =>
  `cpu ${Math.round((m.cpuMs / m.ms) * 100)}% of a core, ${(m.cpuMs / Math.max(1, m.ok)).toFixed(3)} ms/${per}`;

export const describeSteps = (steps: SaturationStep[]): string =>
  steps.map((s) => `w${s.window}:${Math.round(s.rate)}${s.p99 !== undefined ? `/p99 ${Math.round(s.p99)} ms` : ''}${s.failed ? `(${s.failed} failed)` : ''}`).join(' ');

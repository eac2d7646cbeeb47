/**
 * An adaptive ceiling on calls in set-up, from the network's response time: how long a new
 * call waits for the first backward signal of its outgoing leg (ACM, 18x, answer or refusal).
 * While the switch keeps up, that time is the network's own and stays near its long-run
 * level; when offered more than it can carry, new calls queue (in the event loop, the SCTP send
 * path, the far end) and the time grows long before the event loop's mean delay shows it. The
 * ceiling then follows a gradient (as in delay-based congestion control, TCP Vegas style):
 * cut in proportion to how far the recent time exceeds the tolerated multiple of the long-run
 * time, grown back by √limit per window while calls use at least half of it. Pure: fed samples
 * and window ticks; no timers, no I/O.
 */

export interface SetupLimitOptions {
  /** The ceiling never goes below this (calls in set-up). */
  minLimit: number;
  /** ...nor above this (the configured maxCallsInSetup, or a large number when unlimited). */
  maxLimit: number;
  /** The recent response time may reach this multiple of the long-run one before the ceiling is cut. */
  tolerance: number;
  /**
   * ...and by at least this much (ms): a few ms of network time tripled under ordinary load is
   * not congestion; queueing that costs callers this long is.
   */
  minExcessMs: number;
  /** A window with fewer responses than this leaves the ceiling as it is. */
  minSamples: number;
  /** Weight of each window's time in the long-run time (0..1; small = slow). */
  longRunWeight: number;
}

export class AdaptiveSetupLimit {
  private current: number;
  private longRunMs: number | undefined;
  private sumMs = 0;
  private samples = 0;

  constructor(private readonly o: SetupLimitOptions) {
    this.current = o.maxLimit;
  }

  get limit(): number {
    return Math.floor(this.current);
  }

  /** The long-run response time (ms), once known. */
  get baselineMs(): number | undefined {
    return this.longRunMs;
  }

  /** One call's time to its first backward signal. */
  sample(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.sumMs += ms;
    this.samples++;
  }

  /** Ends a window: `peakInSetup` is the most calls in set-up at once during it. Returns the new ceiling. */
  update(peakInSetup: number): number {
    const n = this.samples;
    const recent = n > 0 ? this.sumMs / n : undefined;
    this.sumMs = 0;
    this.samples = 0;
    if (recent === undefined || n < this.o.minSamples) return this.limit;
    if (this.longRunMs === undefined) {
      this.longRunMs = recent;
      return this.limit;
    }
    const allowed = Math.max(this.longRunMs * this.o.tolerance, this.longRunMs + this.o.minExcessMs);
    if (recent > allowed) {
      // Queueing: what is in set-up now is more than the switch turns around in time.
      const gradient = Math.max(0.5, allowed / recent);
      this.current = Math.max(this.o.minLimit, Math.min(this.current, Math.max(peakInSetup, this.o.minLimit)) * gradient);
      // A baseline that never moves up would refuse for good after a lasting change of the network; follow it slowly.
      this.longRunMs += (recent - this.longRunMs) * this.o.longRunWeight * 0.25;
    } else {
      if (peakInSetup >= this.current / 2) this.current = Math.min(this.o.maxLimit, this.current + Math.sqrt(this.current));
      this.longRunMs += (recent - this.longRunMs) * this.o.longRunWeight;
    }
    return this.limit;
  }
}

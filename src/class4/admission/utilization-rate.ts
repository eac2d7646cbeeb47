/**
 * A ceiling on new calls per second from the event loop's utilization (the share of each window
 * the loop was busy, perf_hooks eventLoopUtilization). When the switch's one thread is busy all
 * the time, requests wait in the kernel's socket buffers — where neither the event-loop delay nor
 * the calls' response times show it — and overflow there unanswered. While utilization stays
 * above `high` the ceiling is cut to below the rate admitted in that window (multiplicative
 * decrease); below `low` it is raised again (multiplicative increase) and, once far above what is
 * offered, lifted. Refusing the excess early (503/REL 42) costs far less than serving it. Pure:
 * fed each window's utilization and admitted count; no timers, no I/O.
 */

export interface UtilizationRateOptions {
  /** Utilization (0..1) at or above which the ceiling is cut. */
  high: number;
  /** Utilization at or below which the ceiling is raised. */
  low: number;
  /** Windows in a row above `high` before the first cut (one GC pause is not overload). */
  windowsToCut: number;
  /** The ceiling never goes below this (calls/s). */
  minPerSecond: number;
  /** Cut to this share of the rate admitted in the window. */
  decrease: number;
  /** Raise by this factor per quiet window. */
  increase: number;
}

export class UtilizationRate {
  private ceiling: number | undefined;
  private hot = 0;

  constructor(private readonly o: UtilizationRateOptions) {}

  /** Calls per second admitted at most now; undefined: no ceiling. */
  get perSecond(): number | undefined {
    return this.ceiling;
  }

  /** Ends a window of `seconds`: its utilization and the calls admitted in it. Returns the ceiling. */
  update(utilization: number, admitted: number, seconds: number): number | undefined {
    const rate = seconds > 0 ? admitted / seconds : 0;
    if (utilization >= this.o.high) {
      this.hot++;
      if (this.hot >= this.o.windowsToCut) {
        const basis = this.ceiling === undefined ? rate : Math.min(this.ceiling, Math.max(rate, this.o.minPerSecond));
        this.ceiling = Math.max(this.o.minPerSecond, basis * this.o.decrease);
      }
    } else {
      this.hot = 0;
      if (this.ceiling !== undefined && utilization <= this.o.low) {
        this.ceiling *= this.o.increase;
        // Far above what is admitted: nothing to hold back any more.
        if (this.ceiling > Math.max(rate, this.o.minPerSecond) * 4) this.ceiling = undefined;
      }
    }
    return this.ceiling;
  }
}

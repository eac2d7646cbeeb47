/**
 * New calls are shed while datagrams wait too long in the SIP socket's receive queue (the delay
 * from receive-queue-probe.ts), with hysteresis: shedding starts when the delay has stayed at or
 * above `shedAboveMs` for `sustainMs` (at once from `shedAtOnceAboveMs`) and stops once it is back
 * under `clearBelowMs`. Refusals are cheap (a stateless 503), so while shedding the queue drains
 * and the delay falls; admitted calls then refill it. The switch keeps a short queue and stays
 * busy, carrying what it can, and the wait stays well under SIP's T1 (500 ms), past which callers
 * retransmit and the offered load multiplies. A loop that is busy but keeps up reads its queue
 * empty and never sheds here.
 *
 * Why `sustainMs`: one stall of a busy process (a neighbour on the CPU, a GC, a disk sync) leaves
 * a backlog that a loop with any headroom drains by itself. Read through the probes, the delay of
 * such a backlog climbs while the oldest probes are worked off, then falls, slowly when the load
 * is high (at 90 % load, 10 ms per 100 ms). Shedding on the first reading refused a hundred or
 * more calls for a transient (measured at 250 calls/s SIP → ISUP on a shared 2-core host: one
 * stretch of the loop running late by 110–140 ms, the delay peaking at 212–234 ms, refused 98–150
 * calls each time). So the delay must stay at or above shedAboveMs for `sustainMs` without falling
 * (a fall of more than `FALL_MS` from its highest restarts the count): an overload keeps it rising
 * and still sheds, `sustainMs` later; `shedAtOnceAboveMs` bounds how far a burst or a long stall
 * can take it before shedding starts. Pure: the caller passes the delay and the time.
 */
/** A fall of the delay from its highest by more than this (ms) counts as draining, not jitter of the probes. */
const FALL_MS = 5;

export interface QueueDelayGateOptions {
  shedAboveMs: number;
  clearBelowMs: number;
  /** How long the delay must stay at or above shedAboveMs, not falling, before shedding starts (ms; 0: at once). */
  sustainMs?: number;
  /** A delay at or above this sheds at once, however long it has lasted (default: 2 × shedAboveMs). */
  shedAtOnceAboveMs?: number;
}

export class QueueDelayGate {
  private on = false;
  private flips = 0;
  /** Since when the delay has been at or above shedAboveMs without falling (undefined: below). */
  private aboveSince?: number;
  /** The highest delay since `aboveSince`. */
  private peak = 0;
  private readonly sustainMs: number;
  private readonly atOnceMs: number;

  constructor(private readonly opts: QueueDelayGateOptions) {
    if (!(opts.clearBelowMs <= opts.shedAboveMs)) throw new RangeError('queue delay: clearBelowMs must not exceed shedAboveMs');
    this.sustainMs = Math.max(0, opts.sustainMs ?? 0);
    this.atOnceMs = Math.max(opts.shedAboveMs, opts.shedAtOnceAboveMs ?? 2 * opts.shedAboveMs);
  }

  /**
   * The delay now (ms; undefined: not measured, never sheds) at time `now` (ms, monotonic; without
   * it every reading counts as sustained): whether new calls are shed.
   */
  update(delayMs: number | undefined, now?: number): boolean {
    if (delayMs === undefined || !Number.isFinite(delayMs)) {
      this.aboveSince = undefined;
      return this.set(false);
    }
    if (delayMs < this.opts.shedAboveMs) this.aboveSince = undefined;
    else if (this.aboveSince === undefined || delayMs < this.peak - FALL_MS) {
      // Newly above, or falling: the backlog is draining, the count starts again from here.
      this.aboveSince = now;
      this.peak = delayMs;
    } else if (delayMs > this.peak) this.peak = delayMs;
    if (this.on) return this.set(delayMs >= this.opts.clearBelowMs);
    if (delayMs < this.opts.shedAboveMs) return this.set(false);
    const sustained = now === undefined || this.aboveSince === undefined || now - this.aboveSince >= this.sustainMs;
    return this.set(sustained || delayMs >= this.atOnceMs);
  }

  get shedding(): boolean {
    return this.on;
  }

  /** Times shedding started (for a log line that says how often). */
  get starts(): number {
    return this.flips;
  }

  private set(on: boolean): boolean {
    if (on && !this.on) this.flips++;
    this.on = on;
    return on;
  }
}

/**
 * New calls are shed by the delay datagrams see in the SIP socket's receive queue (the delay from
 * receive-queue-probe.ts), in proportion rather than all or nothing. The gate keeps an admitted
 * fraction p of new calls:
 *  - while the delay is at or above `shedAboveMs`, p halves every 50 ms;
 *  - between `clearBelowMs` and `shedAboveMs`, p shrinks gently (halves every 400 ms) once
 *    shedding has started (a delay in that band alone does not start it);
 *  - under `clearBelowMs`, p grows back by 1 per 500 ms (from nothing to all in half a second).
 * Under a steady excess p settles where the admitted calls fill the switch and the queue delay
 * hovers near `clearBelowMs`, well under SIP's T1 (500 ms, past which callers retransmit and the
 * offered load multiplies). An all-or-nothing gate on the same signal oscillates: the probe's
 * delay is itself late by the delay it reports, so the gate refused everything until long after
 * the queue had drained and the loop stood partly idle (the 2× offer admitted 0.56–0.71 of
 * capacity that way). A loop that keeps up reads its queue empty: p stays 1 and nothing is shed.
 *
 * Shedding starts only once the delay has stayed at or above `shedAboveMs` for `sustainMs` without
 * falling (a fall of more than FALL_MS from its highest starts the count again), or at once from
 * `shedAtOnceAboveMs`. One stall of a busy process (a neighbour on the CPU, a collection, a disk
 * sync) leaves a backlog that a loop with headroom works off by itself, its delay falling all the
 * while; shedding on the first reading refused 98–150 calls each time at 250 calls/s on a shared
 * 2-core host. An overload keeps the delay rising and still sheds, `sustainMs` later.
 * Pure: the caller passes the delay and the time; `random` is injectable for tests.
 */
/** A fall of the delay from its highest by more than this (ms) counts as draining, not jitter of the probes. */
const FALL_MS = 5;

export interface QueueDelayGateOptions {
  shedAboveMs: number;
  clearBelowMs: number;
  /** How long the delay must stay at or above shedAboveMs, not falling, before shedding starts (ms; default 0: at once). */
  sustainMs?: number;
  /** A delay at or above this starts shedding at once, however long it has lasted (default: 2 × shedAboveMs). */
  shedAtOnceAboveMs?: number;
  /** The least fraction admitted while the delay stays high (default 0.02). */
  floor?: number;
  random?: () => number;
}

/** Longest step the controller takes at once (a gap between updates is not a long overload). */
const MAX_STEP_MS = 100;

export class QueueDelayGate {
  private p = 1;
  private lastAt: number | undefined;
  private flips = 0;
  private readonly floor: number;
  private readonly random: () => number;
  private readonly sustainMs: number;
  private readonly atOnceMs: number;
  /** Since when the delay has been at or above shedAboveMs without falling (undefined: below). */
  private aboveSince?: number;
  /** The highest delay since `aboveSince`. */
  private peak = 0;

  constructor(private readonly opts: QueueDelayGateOptions) {
    if (!(opts.clearBelowMs <= opts.shedAboveMs)) throw new RangeError('queue delay: clearBelowMs must not exceed shedAboveMs');
    this.floor = Math.min(1, Math.max(0, opts.floor ?? 0.02));
    this.random = opts.random ?? Math.random;
    this.sustainMs = Math.max(0, opts.sustainMs ?? 0);
    this.atOnceMs = Math.max(opts.shedAboveMs, opts.shedAtOnceAboveMs ?? 2 * opts.shedAboveMs);
  }

  /**
   * The delay now (ms; undefined: not measured, never sheds) at time `now` (ms): the fraction of
   * new calls admitted from now on (1: none shed).
   */
  update(delayMs: number | undefined, now: number): number {
    const dt = this.lastAt === undefined ? 0 : Math.min(MAX_STEP_MS, Math.max(0, now - this.lastAt));
    this.lastAt = now;
    const was = this.p;
    if (delayMs === undefined || !Number.isFinite(delayMs)) {
      this.aboveSince = undefined;
      this.p = 1;
      return this.p;
    }
    if (delayMs < this.opts.shedAboveMs) this.aboveSince = undefined;
    else if (this.aboveSince === undefined || delayMs < this.peak - FALL_MS) {
      // Newly above, or falling: the backlog is draining, the count starts again from here.
      this.aboveSince = now;
      this.peak = delayMs;
    } else if (delayMs > this.peak) this.peak = delayMs;
    const starts = delayMs >= this.atOnceMs || (this.aboveSince !== undefined && now - this.aboveSince >= this.sustainMs);
    if (delayMs >= this.opts.shedAboveMs) {
      if (this.p < 1 || starts) this.p = Math.max(this.floor, Math.min(this.p, 0.9) * 0.5 ** (dt / 50));
    } else if (delayMs > this.opts.clearBelowMs) this.p = this.p === 1 ? 1 : Math.max(this.floor, this.p * 0.5 ** (dt / 400));
    else this.p = Math.min(1, this.p + dt / 500);
    if (was === 1 && this.p < 1) this.flips++;
    return this.p;
  }

  /** Whether new calls are being shed at all (some fraction refused). */
  get shedding(): boolean {
    return this.p < 1;
  }

  /** The fraction of new calls admitted now. */
  get admitted(): number {
    return this.p;
  }

  /** Whether one new call is refused now (a draw against the admitted fraction). */
  refuseOne(): boolean {
    return this.p < 1 && this.random() >= this.p;
  }

  /** Times shedding started (for a log line that says how often). */
  get starts(): number {
    return this.flips;
  }
}

/**
 * New calls are shed by the delay datagrams see in the SIP socket's receive queue (the delay from
 * receive-queue-probe.ts), in proportion rather than all or nothing: the gate keeps an admitted
 * fraction p of new calls and sets it from how the delay moves.
 *
 * While the queue holds a backlog the loop is saturated, and the delay's slope s (ms of delay per
 * ms) says by how much the admitted work exceeds what the loop carries: admitting p/(1 + s) of
 * the calls would hold the queue where it is. Every STEP_MS the gate moves p part of the way
 * (GAIN) toward that, with a pull toward `clearBelowMs` as the delay to keep (DRAIN_MS to work off
 * an excess): p ← p / (1 + GAIN·(s + (delay − clearBelowMs)/DRAIN_MS)); the first p is 1/(1 + s)
 * from the rise seen while the delay was above `shedAboveMs` (at most 0.9). Once the queue reads
 * empty, p grows back by 1 per UP_MS, and shedding ends when all are admitted with the delay under
 * `clearBelowMs`. Setting p from the slope rather than stepping it on thresholds matters because
 * the probe's delay is late by the delay itself: a gate that halved p while the delay stayed high
 * (or refused all until it fell) kept cutting long after the queue had turned, swung between
 * refusing nearly all and nearly none, and let the loop run dry in between (the 2× offer admitted
 * 0.56–0.74 of capacity that way; on a model of the queue with the probe's lag this gate holds p
 * within ±0.01 and carries 0.95 of capacity at 2×, 0.84 at 4×).
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

/** How often p is corrected from the delay's slope (ms). */
const STEP_MS = 100;
/** Share of the correction taken per step (the probe's lag makes a full step overshoot). */
const GAIN = 0.3;
/** How fast an excess over `clearBelowMs` is to be worked off (ms of delay per ms, inverted). */
const DRAIN_MS = 500;
/** Time for p to grow from nothing to all once the queue reads empty (ms). */
const UP_MS = 1000;
/** Longest gap between updates counted for the growth (a quiet spell is not a long recovery). */
const MAX_STEP_MS = 100;

export class QueueDelayGate {
  private p = 1;
  private on = false;
  private lastAt: number | undefined;
  private flips = 0;
  private readonly floor: number;
  private readonly random: () => number;
  private readonly sustainMs: number;
  private readonly atOnceMs: number;
  /** Below this the queue counts as empty (the loop has headroom): p grows back. */
  private readonly emptyMs: number;
  /** Since when the delay has been at or above shedAboveMs without falling (undefined: below). */
  private aboveSince?: number;
  /** The highest delay since `aboveSince`. */
  private peak = 0;
  /** The delay read at `aboveSince`. */
  private aboveFrom = 0;
  /** The delay and time the slope is measured from. */
  private ref = { delayMs: 0, at: 0 };

  constructor(private readonly opts: QueueDelayGateOptions) {
    if (!(opts.clearBelowMs <= opts.shedAboveMs)) throw new RangeError('queue delay: clearBelowMs must not exceed shedAboveMs');
    this.floor = Math.min(1, Math.max(0, opts.floor ?? 0.02));
    this.random = opts.random ?? Math.random;
    this.sustainMs = Math.max(0, opts.sustainMs ?? 0);
    this.atOnceMs = Math.max(opts.shedAboveMs, opts.shedAtOnceAboveMs ?? 2 * opts.shedAboveMs);
    this.emptyMs = Math.min(30, opts.clearBelowMs / 3);
  }

  /**
   * The delay now (ms; undefined: not measured, never sheds) at time `now` (ms): the fraction of
   * new calls admitted from now on (1: none shed).
   */
  update(delayMs: number | undefined, now: number): number {
    const dt = this.lastAt === undefined ? 0 : Math.min(MAX_STEP_MS, Math.max(0, now - this.lastAt));
    this.lastAt = now;
    if (delayMs === undefined || !Number.isFinite(delayMs)) {
      this.aboveSince = undefined;
      this.on = false;
      return (this.p = 1);
    }
    if (delayMs < this.opts.shedAboveMs) this.aboveSince = undefined;
    else if (this.aboveSince === undefined || delayMs < this.peak - FALL_MS) {
      // Newly above, or falling: the backlog is draining, the count starts again from here.
      this.aboveSince = now;
      this.peak = delayMs;
      this.aboveFrom = delayMs;
    } else if (delayMs > this.peak) this.peak = delayMs;
    if (!this.on) {
      const sustained = this.aboveSince !== undefined && now - this.aboveSince >= this.sustainMs;
      if (!(delayMs >= this.atOnceMs || sustained)) return this.p;
      this.on = true;
      this.flips++;
      // The first fraction from how fast the delay rose while it was above: admitting 1/(1 + slope)
      // of the calls holds it where it is. Starting at 0.9 whatever the rise, a step to twice the
      // capacity took several corrections to reach half, the queue meanwhile grew to ~750 ms, and
      // working that off refused nearly all calls for a second.
      const rose = this.aboveSince !== undefined && now > this.aboveSince ? (delayMs - this.aboveFrom) / (now - this.aboveSince) : 0;
      this.p = Math.min(0.9, Math.max(this.floor, 1 / (1 + Math.max(0, rose))));
      this.ref = { delayMs, at: now };
      return this.p;
    }
    if (now - this.ref.at >= STEP_MS) {
      const slope = (delayMs - this.ref.delayMs) / (now - this.ref.at);
      this.ref = { delayMs, at: now };
      if (delayMs > this.emptyMs) {
        const excess = slope + (delayMs - this.opts.clearBelowMs) / DRAIN_MS;
        this.p = Math.min(1, Math.max(this.floor, this.p / Math.max(0.5, 1 + GAIN * excess)));
      }
    }
    if (delayMs <= this.emptyMs) this.p = Math.min(1, this.p + dt / UP_MS);
    if (this.p >= 1 && delayMs < this.opts.clearBelowMs) {
      this.on = false;
      this.p = 1;
    }
    return this.p;
  }

  /** Whether new calls are being shed at all (some fraction refused). */
  get shedding(): boolean {
    return this.on && this.p < 1;
  }

  /** The fraction of new calls admitted now. */
  get admitted(): number {
    return this.p;
  }

  /** Whether one new call is refused now (a draw against the admitted fraction). */
  refuseOne(): boolean {
    return this.shedding && this.random() >= this.p;
  }

  /** Times shedding started (for a log line that says how often). */
  get starts(): number {
    return this.flips;
  }
}

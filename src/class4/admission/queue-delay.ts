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
 * Pure: the caller passes the delay and the time; `random` is injectable for tests.
 */
export interface QueueDelayGateOptions {
  shedAboveMs: number;
  clearBelowMs: number;
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

  constructor(private readonly opts: QueueDelayGateOptions) {
    if (!(opts.clearBelowMs <= opts.shedAboveMs)) throw new RangeError('queue delay: clearBelowMs must not exceed shedAboveMs');
    this.floor = Math.min(1, Math.max(0, opts.floor ?? 0.02));
    this.random = opts.random ?? Math.random;
  }

  /**
   * The delay now (ms; undefined: not measured, never sheds) at time `now` (ms): the fraction of
   * new calls admitted from now on (1: none shed).
   */
  update(delayMs: number | undefined, now: number): number {
    const dt = this.lastAt === undefined ? 0 : Math.min(MAX_STEP_MS, Math.max(0, now - this.lastAt));
    this.lastAt = now;
    const was = this.p;
    if (delayMs === undefined || !Number.isFinite(delayMs)) this.p = 1;
    else if (delayMs >= this.opts.shedAboveMs) this.p = Math.max(this.floor, Math.min(this.p, 0.9) * 0.5 ** (dt / 50));
    else if (delayMs > this.opts.clearBelowMs) this.p = this.p === 1 ? 1 : Math.max(this.floor, this.p * 0.5 ** (dt / 400));
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

/**
 * New calls are shed while datagrams wait too long in the SIP socket's receive queue (the delay
 * from receive-queue-probe.ts), with hysteresis: shedding starts when the delay reaches
 * `shedAboveMs` and stops once it is back under `clearBelowMs`. Refusals are cheap (a stateless
 * 503), so while shedding the queue drains and the delay falls; admitted calls then refill it. The
 * switch keeps a short queue and stays busy, carrying what it can, and the wait stays well under
 * SIP's T1 (500 ms), past which callers retransmit and the offered load multiplies. A loop that is
 * busy but keeps up reads its queue empty and never sheds here. Pure: the caller passes the delay.
 */
export interface QueueDelayGateOptions {
  shedAboveMs: number;
  clearBelowMs: number;
}

export class QueueDelayGate {
  private on = false;
  private flips = 0;

  constructor(private readonly opts: QueueDelayGateOptions) {
    if (!(opts.clearBelowMs <= opts.shedAboveMs)) throw new RangeError('queue delay: clearBelowMs must not exceed shedAboveMs');
  }

  /** The delay now (ms; undefined: not measured, never sheds): whether new calls are shed. */
  update(delayMs: number | undefined): boolean {
    if (delayMs === undefined || !Number.isFinite(delayMs)) return this.set(false);
    if (this.on) return this.set(delayMs >= this.opts.clearBelowMs);
    return this.set(delayMs >= this.opts.shedAboveMs);
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

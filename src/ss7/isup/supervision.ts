/**
 * A circuit supervision procedure this exchange started (Q.764 §2.8.2 blocking, §2.10.3 reset;
 * T1.113.4 §2.8, §2.10): the message goes out, is repeated every short interval (T12, T14, T16,
 * T18, T20, T22) and, when no acknowledgement came within the first minute, maintenance is
 * alerted and the message is repeated at the long interval (T13, T15, T17, T19, T21, T23)
 * until acknowledged or cancelled. Time comes from the injected clock only.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';

export interface ProcedureTimers {
  /** Short repeat interval; 0: no short repeats. */
  repeatMs: number;
  /** When maintenance is alerted and the short repeats stop; 0: never. */
  alertAfterMs: number;
  /** Long repeat interval after the alert; 0: no further repeats. */
  longMs: number;
}

export interface ProcedureHooks {
  send(): void;
  /** The short repeat fired (for the repeats metric). */
  repeated?(): void;
  /** No acknowledgement within `alertAfterMs`: alarm. */
  alert(): void;
}

export class RepeatingProcedure {
  private short?: TimerHandle;
  private alertTimer?: TimerHandle;
  private long?: TimerHandle;
  alerted = false;
  sends = 0;
  done = false;

  constructor(
    private readonly clock: Clock,
    private readonly timers: ProcedureTimers,
    private readonly hooks: ProcedureHooks,
  ) {}

  /** Sends (unless the message already went out) and arms the timers. */
  start(alreadySent = false): this {
    if (!alreadySent) this.transmit();
    else this.sends++;
    this.armShort();
    if (this.timers.alertAfterMs > 0) this.alertTimer = this.clock.setTimeout(() => this.onAlert(), this.timers.alertAfterMs);
    return this;
  }

  private transmit(): void {
    this.sends++;
    this.hooks.send();
  }

  private armShort(): void {
    if (this.timers.repeatMs <= 0) return;
    this.short = this.clock.setTimeout(() => {
      this.short = undefined;
      if (this.done) return;
      this.hooks.repeated?.();
      this.transmit();
      this.armShort();
    }, this.timers.repeatMs);
  }

  private onAlert(): void {
    this.alertTimer = undefined;
    if (this.done) return;
    this.alerted = true;
    this.clock.clearTimeout(this.short);
    this.short = undefined;
    this.hooks.alert();
    this.transmit();
    this.armLong();
  }

  private armLong(): void {
    if (this.timers.longMs <= 0) return;
    this.long = this.clock.setTimeout(() => {
      this.long = undefined;
      if (this.done) return;
      this.hooks.repeated?.();
      this.transmit();
      this.armLong();
    }, this.timers.longMs);
  }

  /** Acknowledged or cancelled: no timer stays behind. */
  stop(): void {
    this.done = true;
    this.clock.clearTimeout(this.short);
    this.clock.clearTimeout(this.alertTimer);
    this.clock.clearTimeout(this.long);
    this.short = this.alertTimer = this.long = undefined;
  }
}

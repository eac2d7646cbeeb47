/**
 * Overload admission: the switch refuses new calls before it is too late to serve the ones it
 * has. Two signals: the event loop's delay (every protocol timer and socket read waits on it)
 * and configured ceilings on calls in set-up and new calls per second. The level follows
 * ISUP automatic congestion control (Q.764 §2.11: 1 = congestion, 2 = severe congestion) so the
 * same level goes into REL's automatic congestion level parameter.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { z } from 'zod';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { perRegistry } from '../../util/metrics.js';
import { TokenBucket } from '../../util/token-bucket.js';

export const overloadConfigSchema = z.object({
  /**
   * Mean event-loop delay (ms, over a sample window) at which new calls are refused: level 1.
   * A level changes only after `samplesToChange` windows in a row agree, so one GC pause or a
   * burst does not refuse calls. 0 turns this signal off.
   */
  lagCongestedMs: z.number().min(0).default(100),
  /** ...and at which the level is 2 (severe). */
  lagSevereMs: z.number().min(0).default(400),
  samplesToChange: z.number().int().min(1).default(3),
  /** Calls in set-up (not yet answered or ended) at most; 0: no limit. */
  maxCallsInSetup: z.number().int().min(0).default(2000),
  /** New calls admitted per second at most (both directions); 0: no limit. */
  maxCallsPerSecond: z.number().min(0).default(0),
  /** How often the event-loop delay is sampled (ms). */
  sampleMs: z.number().int().min(50).default(500),
  /** Retry-After (s) in a 503 refused for overload. */
  retryAfterS: z.number().int().min(1).default(5),
});
export type OverloadConfig = z.infer<typeof overloadConfigSchema>;

export const overloadMetrics = perRegistry((registry: Registry) => ({
  overloadLevel: new Gauge({ name: 'softswitch_overload_level', help: 'Overload level: 0 normal, 1 congested, 2 severe (ISUP ACL levels)', registers: [registry] }),
  eventLoopLag: new Gauge({ name: 'softswitch_event_loop_lag_seconds', help: 'Event-loop delay (perf_hooks monitorEventLoopDelay): mean over the last sample window', registers: [registry] }),
  overloadRejectedTotal: new Counter({
    name: 'softswitch_overload_rejected_total',
    help: 'New calls refused by overload admission, by protocol and reason',
    labelNames: ['protocol', 'reason'] as const,
    registers: [registry],
  }),
}));

export type Refusal = { reason: 'event-loop-lag' | 'calls-in-setup' | 'calls-per-second' | 'store-unavailable'; level: 1 | 2 };

export class OverloadGuard {
  private level: 0 | 1 | 2 = 0;
  private histogram?: IntervalHistogram;
  private timer?: TimerHandle;
  private readonly perSecond?: TokenBucket;
  private inSetup = 0;
  private pending: { level: 0 | 1 | 2; count: number } = { level: 0, count: 0 };
  private readonly m: ReturnType<typeof overloadMetrics>;
  /** Other reasons to refuse new calls while they hold (e.g. the store cannot record them). */
  private readonly holds: Array<{ reason: 'store-unavailable'; active: () => boolean }> = [];

  constructor(
    private readonly cfg: OverloadConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Tests set the lag themselves (ms); production measures it. */
    private readonly measureLag?: () => number,
    /** Told of every level change (the ISUP service puts the level in the RELs it sends). */
    private readonly onLevel: (level: 0 | 1 | 2) => void = () => undefined,
    /** Where the level and refusals are counted (the switch's registry; default: one of the guard's own). */
    registry: Registry = new Registry(),
  ) {
    this.m = overloadMetrics(registry);
    if (cfg.maxCallsPerSecond > 0) this.perSecond = new TokenBucket(clock, cfg.maxCallsPerSecond);
  }

  start(): void {
    if (!this.measureLag) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
    }
    const tick = () => {
      this.sample();
      this.timer = this.clock.setTimeout(tick, this.cfg.sampleMs);
    };
    this.timer = this.clock.setTimeout(tick, this.cfg.sampleMs);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.histogram?.disable();
  }

  /** The delay measured in the last window (ms). */
  lastLagMs = 0;

  get currentLevel(): 0 | 1 | 2 {
    return this.level;
  }

  get callsInSetup(): number {
    return this.inSetup;
  }

  /** Takes the event-loop sample now (the timer does it every sampleMs). */
  sample(): void {
    let lagMs: number;
    if (this.measureLag) lagMs = this.measureLag();
    else {
      // The histogram measures how late a 10 ms timer fires; its mean is the sustained delay.
      lagMs = Math.max(0, this.histogram!.mean / 1e6 - 10);
      this.histogram!.reset();
    }
    this.m.eventLoopLag.set(lagMs / 1000);
    this.lastLagMs = lagMs;
    const { lagCongestedMs: c, lagSevereMs: sev } = this.cfg;
    const measured: 0 | 1 | 2 = c <= 0 ? 0 : sev > 0 && lagMs >= sev ? 2 : lagMs >= c ? 1 : 0;
    this.pending = measured === this.pending.level ? { level: measured, count: this.pending.count + 1 } : { level: measured, count: 1 };
    const next = this.pending.count >= this.cfg.samplesToChange ? measured : this.level;
    if (next !== this.level) {
      if (next > 0) this.log.warn({ lagMs: Math.round(lagMs), level: next }, 'overload: event loop delayed; new calls refused until it recovers (check CPU, offered load)');
      else this.log.info({ lagMs: Math.round(lagMs) }, 'overload cleared; new calls admitted again');
      this.level = next;
      this.m.overloadLevel.set(next);
      this.onLevel(next);
    }
  }

  /** New calls are refused (level 1) for `reason` while `active()` says so. */
  refuseWhile(reason: 'store-unavailable', active: () => boolean): void {
    this.holds.push({ reason, active });
  }

  /** Whether a new call may start; when it may, the caller must call `setupDone()` once it is answered or over. */
  admit(protocol: 'sip' | 'isup'): Refusal | undefined {
    let refusal: Refusal | undefined;
    const hold = this.holds.find((h) => h.active());
    if (hold) refusal = { reason: hold.reason, level: 1 };
    else if (this.level > 0) refusal = { reason: 'event-loop-lag', level: this.level as 1 | 2 };
    else if (this.cfg.maxCallsInSetup > 0 && this.inSetup >= this.cfg.maxCallsInSetup) refusal = { reason: 'calls-in-setup', level: 1 };
    else if (this.perSecond && !this.perSecond.take()) refusal = { reason: 'calls-per-second', level: 1 };
    if (refusal) {
      this.m.overloadRejectedTotal.inc({ protocol, reason: refusal.reason });
      return refusal;
    }
    this.inSetup++;
    return undefined;
  }

  setupDone(): void {
    if (this.inSetup > 0) this.inSetup--;
  }

  get retryAfterS(): number {
    return this.cfg.retryAfterS;
  }
}

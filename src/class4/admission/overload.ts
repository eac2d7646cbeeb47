/**
 * Overload admission: the switch refuses new calls before it is too late to serve the ones it
 * has. Two signals: the event loop's delay (every protocol timer and socket read waits on it)
 * and configured ceilings on calls in set-up and new calls per second. The level follows
 * ISUP automatic congestion control (Q.764 §2.11: 1 = congestion, 2 = severe congestion) so the
 * same level goes into REL's automatic congestion level parameter.
 */
import { BoundCounters } from '../../util/bound-counter.js';
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { z } from 'zod';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { perRegistry } from '../../util/metrics.js';
import { TokenBucket } from '../../util/token-bucket.js';
import { AdaptiveSetupLimit } from './setup-limit.js';
import { UtilizationRate } from './utilization-rate.js';
import { QueueDelayGate } from './queue-delay.js';
import type { AdmissionHook } from '../../sip/admission.js';

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
  /**
   * The adaptive ceiling on calls in set-up (setup-limit.ts): cut when new calls wait for their
   * first backward signal (ACM, 18x, answer) more than `tolerance` × the long-run time, grown back
   * while they do not. Refusals count as reason "response-time". enabled: false keeps only the
   * fixed maxCallsInSetup.
   */
  adaptive: z
    .object({
      enabled: z.boolean().default(true),
      minLimit: z.number().int().min(1).default(16),
      tolerance: z.number().min(1.1).default(3),
      /** ...and exceeds it by at least this many ms (default 250). */
      minExcessMs: z.number().min(0).default(250),
      minSamples: z.number().int().min(1).default(5),
    })
    .strict()
    .default({}),
  /**
   * The ceiling on new calls per second from the event loop's utilization (utilization-rate.ts):
   * cut below the admitted rate after `windowsToCut` windows at or above `high`, raised again at
   * or below `low`. Refusals count as reason "utilization". Off by default: a loop that is busy
   * all the time but keeps up (measured: 375–500 calls/s held with 0 failures) is not overloaded,
   * and this ceiling refused calls there.
   */
  utilization: z
    .object({
      enabled: z.boolean().default(false),
      high: z.number().min(0.5).max(1).default(0.92),
      low: z.number().min(0).max(1).default(0.75),
      windowsToCut: z.number().int().min(1).default(2),
      minPerSecond: z.number().min(1).default(5),
    })
    .strict()
    .default({}),
  /**
   * New calls are shed in proportion to how long datagrams wait in the SIP socket's receive
   * queue before they are read (probes measure it: src/sip/receive-queue-probe.ts): at or above
   * `shedAboveMs` the admitted fraction halves every 50 ms, between the two it shrinks gently, and
   * under `clearBelowMs` it grows back to all within half a second (queue-delay.ts). Under a steady
   * excess the delay settles near `clearBelowMs`. Refusals count as reason "receive-queue".
   * Reacts within a probe interval, unlike the event-loop delay.
   */
  receiveQueue: z
    .object({
      enabled: z.boolean().default(true),
      shedAboveMs: z.number().min(1).default(200),
      /** ...at most shedAboveMs (a larger value is taken as shedAboveMs). */
      clearBelowMs: z.number().min(0).default(100),
      /**
       * How long the delay stays at or above shedAboveMs before shedding starts: the backlog one
       * stall leaves is drained by itself within it, an overload keeps rising past it (queue-delay.ts).
       */
      sustainMs: z.number().min(0).default(100),
      /** A delay at or above this sheds at once (a burst); taken as at least shedAboveMs. */
      shedAtOnceAboveMs: z.number().min(1).default(400),
    })
    .strict()
    .default({}),
  /** How often the event-loop delay is sampled (ms). */
  sampleMs: z.number().int().min(50).default(500),
  /** Retry-After (s) in a 503 refused for overload. */
  retryAfterS: z.number().int().min(1).default(5),
});
export type OverloadConfig = z.infer<typeof overloadConfigSchema>;

export const overloadMetrics = perRegistry((registry: Registry) => withBoundRefusals({
  overloadLevel: new Gauge({ name: 'softswitch_overload_level', help: 'Overload level: 0 normal, 1 congested, 2 severe (ISUP ACL levels)', registers: [registry] }),
  eventLoopLag: new Gauge({ name: 'softswitch_event_loop_lag_seconds', help: 'Event-loop delay (perf_hooks monitorEventLoopDelay): mean over the last sample window', registers: [registry] }),
  utilization: new Gauge({ name: 'softswitch_event_loop_utilization_ratio', help: 'Share of the last sample window the event loop was busy (perf_hooks eventLoopUtilization)', registers: [registry] }),
  rateLimit: new Gauge({ name: 'softswitch_overload_calls_per_second_limit', help: 'Ceiling on new calls per second set from the event-loop utilization (0: none)', registers: [registry] }),
  setupLimit: new Gauge({ name: 'softswitch_overload_setup_limit', help: 'Adaptive ceiling on calls in set-up (from the network response time)', registers: [registry] }),
  receiveQueueDelay: new Gauge({ name: 'softswitch_overload_receive_queue_delay_seconds', help: 'How long a datagram waits in the SIP UDP receive queue before it is read (probe), at the last sample', registers: [registry] }),
  receiveQueueAdmitted: new Gauge({ name: 'softswitch_overload_receive_queue_admitted_ratio', help: 'Fraction of new calls the receive-queue delay lets through (1: none shed), at the last sample', registers: [registry] }),
  responseBaseline: new Gauge({ name: 'softswitch_overload_response_baseline_seconds', help: 'Long-run time from a new call to its first backward signal, the adaptive ceiling compares against', registers: [registry] }),
  overloadRejectedTotal: new Counter({
    name: 'softswitch_overload_rejected_total',
    help: 'New calls refused by overload admission, by protocol and reason',
    labelNames: ['protocol', 'reason'] as const,
    registers: [registry],
  }),
}));

/** Refusals by protocol and reason, counted per refusal: bound label sets (bound-counter.ts). */
function withBoundRefusals<T extends { overloadRejectedTotal: Counter<'protocol' | 'reason'> }>(m: T) {
  return { ...m, refusalCounts: new BoundCounters(m.overloadRejectedTotal) };
}

export type Refusal = { reason: 'receive-queue' | 'event-loop-lag' | 'calls-in-setup' | 'response-time' | 'utilization' | 'calls-per-second' | 'store-unavailable'; level: 1 | 2 };

export class OverloadGuard {
  private level: 0 | 1 | 2 = 0;
  private histogram?: IntervalHistogram;
  private timer?: TimerHandle;
  private readonly perSecond?: TokenBucket;
  private inSetup = 0;
  private peakInSetup = 0;
  private admittedInWindow = 0;
  private readonly byUtilization?: UtilizationRate;
  private utilizationBucket?: TokenBucket;
  private eluMark?: EventLoopUtilization;
  private readonly adaptive?: AdaptiveSetupLimit;
  private pending: { level: 0 | 1 | 2; count: number } = { level: 0, count: 0 };
  private readonly m: ReturnType<typeof overloadMetrics>;
  /** Other reasons to refuse new calls while they hold (e.g. the store cannot record them). */
  private readonly holds: Array<{ reason: 'store-unavailable'; active: () => boolean }> = [];
  private readonly queueGate?: QueueDelayGate;
  private queueDelay: () => number | undefined = () => undefined;
  private queueStartsLogged = 0;
  /** New SIP calls let through by the receive-queue draw at the stack, not yet admitted (bounded). */
  private stackDrawn = 0;
  private queueLoggedAt = -Infinity;
  /** Told the admitted fraction when new SIP calls are drawn upstream (drawSipUpstream). */
  private upstream: ((admittedFraction: number) => void) | undefined;
  private upstreamTick: TimerHandle | undefined;

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
    /** Tests set the utilization themselves (0..1); production measures it. */
    private readonly measureUtilization?: () => number,
    /** The receive-queue gate's draws (tests make them deterministic). */
    random?: () => number,
  ) {
    this.m = overloadMetrics(registry);
    if (cfg.maxCallsPerSecond > 0) this.perSecond = new TokenBucket(clock, cfg.maxCallsPerSecond);
    const u = cfg.utilization;
    if (u?.enabled) this.byUtilization = new UtilizationRate({ high: u.high, low: u.low, windowsToCut: u.windowsToCut, minPerSecond: u.minPerSecond, decrease: 0.9, increase: 1.1 });
    const q = cfg.receiveQueue;
    if (q?.enabled) this.queueGate = new QueueDelayGate({ shedAboveMs: q.shedAboveMs, clearBelowMs: Math.min(q.clearBelowMs, q.shedAboveMs), sustainMs: q.sustainMs, shedAtOnceAboveMs: q.shedAtOnceAboveMs, random });
    const a = cfg.adaptive ?? { enabled: false, minLimit: 16, tolerance: 3, minExcessMs: 250, minSamples: 5 };
    if (a.enabled) {
      this.adaptive = new AdaptiveSetupLimit({ minLimit: a.minLimit, maxLimit: cfg.maxCallsInSetup > 0 ? cfg.maxCallsInSetup : 100_000, tolerance: a.tolerance, minExcessMs: a.minExcessMs, minSamples: a.minSamples, longRunWeight: 0.1 });
      this.m.setupLimit.set(this.adaptive.limit);
    }
  }

  /**
   * Where the SIP socket's receive-queue delay is read (ms; undefined: not measured). While it is
   * measured, new SIP calls are refused by it rather than by the event-loop delay: a loop that is
   * late (a descheduled process, a long task) while the SIP queue stays short has nothing to gain
   * from refusing callers, and refusing them leaves it idle. IAMs still follow the event-loop level.
   */
  watchReceiveQueue(delayMs: () => number | undefined): void {
    this.queueDelay = delayMs;
  }

  /** Whether the event-loop level refuses a new call of `protocol` (for SIP: only without a queue measurement). */
  private lagRefuses(protocol: 'sip' | 'isup'): boolean {
    if (this.level === 0) return false;
    return protocol !== 'sip' || !this.queueGate || this.queueDelay() === undefined;
  }

  /** Whether new calls are being shed by the receive queue's delay at all (updates the gate from it). */
  private queueShedding(): boolean {
    if (!this.queueGate) return false;
    this.queueGate.update(this.queueDelay(), this.clock.now());
    if (!this.queueGate.shedding) this.stackDrawn = 0;
    this.upstream?.(this.queueGate.shedding ? this.queueGate.admitted : 1);
    return this.queueGate.shedding;
  }

  /** Whether the receive queue's delay refuses this one new call (a draw against the admitted fraction). */
  private queueRefusesOne(): boolean {
    return this.queueShedding() && this.queueGate!.refuseOne();
  }

  /**
   * New SIP calls are drawn against the receive-queue gate before they reach this thread: by the
   * SIP UDP I/O thread (src/sip/udp-thread/edge-shed.ts), which `publish` tells the admitted
   * fraction whenever the gate is updated (every 20 ms at least). The guard then draws only for
   * ISUP; what was refused upstream is counted with {@link countUpstreamRefusals}.
   */
  drawSipUpstream(publish: (admittedFraction: number) => void): void {
    if (!this.queueGate) return;
    this.upstream = publish;
    const tick = () => {
      if (!this.upstream) return;
      this.queueShedding();
      this.upstreamTick = this.clock.setTimeout(tick, 20);
    };
    this.upstreamTick = this.clock.setTimeout(tick, 20);
  }

  /** SIP calls refused upstream for the receive queue's delay (drawSipUpstream). */
  countUpstreamRefusals(n: number): void {
    if (n > 0) this.countRefusal('sip', 'receive-queue', n);
  }

  /** Whether the receive-queue draw for `protocol` is made here (not upstream). */
  private drawsHere(protocol: 'sip' | 'isup'): boolean {
    return protocol !== 'sip' || this.upstream === undefined;
  }

  /** Now, on the guard's clock (intakes time the first backward signal with it). */
  now(): number {
    return this.clock.now();
  }

  /** A new call's time to the first backward signal of its outgoing leg (ms): the adaptive ceiling's input. */
  responded(ms: number): void {
    this.adaptive?.sample(ms);
  }

  /** The adaptive ceiling on calls in set-up now (undefined when it is off). */
  get setupLimit(): number | undefined {
    return this.adaptive?.limit;
  }

  start(): void {
    if (!this.measureLag) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
    }
    if (!this.measureUtilization) this.eluMark = performance.eventLoopUtilization();
    const tick = () => {
      this.sample();
      this.timer = this.clock.setTimeout(tick, this.cfg.sampleMs);
    };
    this.timer = this.clock.setTimeout(tick, this.cfg.sampleMs);
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.upstreamTick);
    this.upstream = undefined;
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
    if (this.byUtilization) {
      let utilization: number;
      if (this.measureUtilization) utilization = this.measureUtilization();
      else {
        const now = performance.eventLoopUtilization();
        utilization = performance.eventLoopUtilization(now, this.eluMark).utilization;
        this.eluMark = now;
      }
      this.m.utilization.set(utilization);
      const before = this.byUtilization.perSecond;
      const after = this.byUtilization.update(utilization, this.admittedInWindow, this.cfg.sampleMs / 1000);
      if (after !== before) {
        this.utilizationBucket = after === undefined ? undefined : new TokenBucket(this.clock, after, Math.max(1, after / 20));
        this.m.rateLimit.set(after ?? 0);
        if (before === undefined) this.log.warn({ utilization: Math.round(utilization * 100) / 100, callsPerSecond: Math.round(after ?? 0) }, 'overload: the event loop is busy all the time; new calls per second limited (check CPU, offered load)');
        else if (after === undefined) this.log.info('overload: event loop no longer saturated; calls per second not limited');
      }
    }
    this.admittedInWindow = 0;
    if (this.queueGate) {
      const d = this.queueDelay();
      if (d !== undefined) this.m.receiveQueueDelay.set(d / 1000);
      this.queueGate.update(d, this.clock.now());
      const shedding = this.queueGate.shedding;
      this.m.receiveQueueAdmitted.set(this.queueGate.admitted);
      // One line per 10 s at most: under sustained overload the gate opens and closes many times a second.
      if (this.queueGate.starts > this.queueStartsLogged && this.clock.now() - this.queueLoggedAt >= 10_000) {
        this.log.warn({ queueDelayMs: Math.round(d ?? 0), shedding, admittedFraction: Math.round(this.queueGate.admitted * 100) / 100, startsSinceLastLine: this.queueGate.starts - this.queueStartsLogged }, 'overload: SIP datagrams wait in the receive queue; new calls shed while it drains (check CPU, offered load)');
        this.queueStartsLogged = this.queueGate.starts;
        this.queueLoggedAt = this.clock.now();
      }
    }
    if (this.adaptive) {
      const before = this.adaptive.limit;
      const after = this.adaptive.update(this.peakInSetup);
      this.peakInSetup = this.inSetup;
      this.m.setupLimit.set(after);
      if (this.adaptive.baselineMs !== undefined) this.m.responseBaseline.set(this.adaptive.baselineMs / 1000);
      if (after < before && before >= (this.cfg.maxCallsInSetup > 0 ? this.cfg.maxCallsInSetup : 100_000)) this.log.warn({ setupLimit: after, baselineMs: Math.round(this.adaptive.baselineMs ?? 0) }, 'overload: new calls wait too long for the network; calls in set-up limited');
    }
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
    else if (this.drawsHere(protocol) && !this.queueDrawnAtStack(protocol) && this.queueRefusesOne()) refusal = { reason: 'receive-queue', level: 1 };
    else if (this.lagRefuses(protocol)) refusal = { reason: 'event-loop-lag', level: this.level as 1 | 2 };
    else if (this.cfg.maxCallsInSetup > 0 && this.inSetup >= this.cfg.maxCallsInSetup) refusal = { reason: 'calls-in-setup', level: 1 };
    else if (this.adaptive && this.inSetup >= this.adaptive.limit) refusal = { reason: 'response-time', level: 1 };
    else if (this.utilizationBucket && !this.utilizationBucket.take()) refusal = { reason: 'utilization', level: 1 };
    else if (this.perSecond && !this.perSecond.take()) refusal = { reason: 'calls-per-second', level: 1 };
    if (refusal) {
      this.countRefusal(protocol, refusal.reason);
      return refusal;
    }
    this.inSetup++;
    this.admittedInWindow++;
    if (this.inSetup > this.peakInSetup) this.peakInSetup = this.inSetup;
    return undefined;
  }

  /**
   * Whether a new call would be refused now, without admitting one: the SIP stack asks before it
   * keeps any state, so a refusal under overload is a stateless 503 (counted here as a refusal).
   */
  shedding(protocol: 'sip' | 'isup', overStream = false): Refusal | undefined {
    // An INVITE over TCP/TLS never passed the UDP I/O thread: it is drawn for here in any case.
    const shedding = this.queueShedding() && (overStream || this.drawsHere(protocol));
    const refusal = shedding && this.queueGate!.refuseOne() ? { reason: 'receive-queue' as const, level: 1 as const } : this.wouldRefuse(protocol, false);
    if (refusal) this.countRefusal(protocol, refusal.reason);
    // Let through by the draw: the call's admit() must not draw for it a second time.
    else if (shedding && protocol === 'sip' && this.upstream === undefined && this.stackDrawn < 1000) this.stackDrawn++;
    return refusal;
  }

  private countRefusal(protocol: 'sip' | 'isup', reason: string, n = 1): void {
    this.m.refusalCounts.get(protocol + reason, () => ({ protocol, reason })).inc(n);
  }

  /** Whether this new call already had its receive-queue draw at the SIP stack (consumes it). */
  private queueDrawnAtStack(protocol: 'sip' | 'isup'): boolean {
    if (protocol !== 'sip' || this.stackDrawn === 0) return false;
    this.stackDrawn--;
    return true;
  }

  /**
   * Why a new call would be refused now, if it would; nothing is counted (a cheap check before any
   * parse). While the receive queue sheds a fraction of new calls, that is reported as its refusal
   * (the SIP stack then looks at each new INVITE and {@link shedding} draws for it).
   */
  wouldRefuse(protocol: 'sip' | 'isup' = 'sip', withQueue = true): Refusal | undefined {
    if (withQueue && this.drawsHere(protocol) && this.queueShedding()) return { reason: 'receive-queue', level: 1 };
    if (this.lagRefuses(protocol)) return { reason: 'event-loop-lag', level: this.level as 1 | 2 };
    if (this.cfg.maxCallsInSetup > 0 && this.inSetup >= this.cfg.maxCallsInSetup) return { reason: 'calls-in-setup', level: 1 };
    if (this.adaptive && this.inSetup >= this.adaptive.limit) return { reason: 'response-time', level: 1 };
    if (this.utilizationBucket && !this.utilizationBucket.available()) return { reason: 'utilization', level: 1 };
    if (this.perSecond && !this.perSecond.available()) return { reason: 'calls-per-second', level: 1 };
    return undefined;
  }

  setupDone(): void {
    if (this.inSetup > 0) this.inSetup--;
  }

  get retryAfterS(): number {
    return this.cfg.retryAfterS;
  }
}

/**
 * An admission hook that also sheds new INVITEs (no To tag) statelessly while the guard refuses
 * new calls: 503 + Retry-After before the SIP stack creates a transaction (RFC 3261 §8.2.6), so
 * refusing the excess costs a parse and a send. Other requests, and what `base` refuses, as before.
 */
export function shedNewInvites(base: AdmissionHook, guard: () => OverloadGuard | undefined): AdmissionHook {
  return (src) => {
    const verdict = base(src);
    if (verdict !== 'accept' || src.method !== 'INVITE') return verdict;
    if (/;\s*tag\s*=/i.test(src.header?.('to') ?? '')) return verdict;
    return guard()?.shedding('sip', src.transport === 'tcp' || src.transport === 'tls') ? 'overload' : verdict;
  };
}

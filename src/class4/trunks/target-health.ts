/**
 * Health of the SIP targets DIDs are delivered to: each target is probed with OPTIONS every
 * `intervalMs`; after `downAfter` probes in a row with no answer (timeout, transport error,
 * 503) it is down and skipped, until a probe is answered again. Calls themselves also count:
 * a delivery that got no response marks the target down at once.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { Gauge, Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

export const targetUpGauge = perRegistry(
  (registry: Registry) =>
    new Gauge({
      name: 'softswitch_sip_target_up',
      help: 'Whether a DID delivery target answers OPTIONS probes (1) or is down (0)',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
);

/** Sends OPTIONS to the URI and resolves with the final status (408 on timeout, 503 on transport error). */
export type OptionsProbe = (uri: string) => Promise<number>;

interface TargetState {
  up: boolean;
  misses: number;
  probing: boolean;
  /** Without probes, a target marked down by a failed call is tried again after this time. */
  downUntil?: number;
}

/** How long a target marked down by a call stays skipped when no OPTIONS probes run. */
const HOLD_DOWN_MS = 30_000;

export class TargetHealth {
  private readonly targets = new Map<string, TargetState>();
  private timer?: TimerHandle;
  private stopped = false;
  private started = false;
  private readonly targetUp: Gauge<'target'>;

  constructor(
    uris: string[],
    private readonly probe: OptionsProbe | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly downAfter: number,
    /** Where target states are reported (the switch's registry; default: one of its own). */
    registry: Registry = new Registry(),
  ) {
    this.targetUp = targetUpGauge(registry);
    for (const u of uris) this.targets.set(u, { up: true, misses: 0, probing: false });
  }

  start(): void {
    this.started = true;
    if (!this.probe || this.intervalMs <= 0 || this.targets.size === 0 || this.timer !== undefined) return;
    const tick = () => {
      if (this.stopped) return;
      for (const uri of this.targets.keys()) this.probeOne(uri);
      this.timer = this.clock.setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  /**
   * The targets to watch now (DIDs provisioned at run time): new ones start up and are probed
   * from the next round, gone ones are forgotten; the others keep their state.
   */
  setTargets(uris: string[]): void {
    const keep = new Set(uris);
    for (const uri of [...this.targets.keys()]) {
      if (keep.has(uri)) continue;
      this.targets.delete(uri);
      this.targetUp.remove({ target: uri });
    }
    for (const u of uris) if (!this.targets.has(u)) this.targets.set(u, { up: true, misses: 0, probing: false });
    if (this.started && !this.stopped) this.start();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  isUp(uri: string): boolean {
    const t = this.targets.get(uri);
    if (!t) return true;
    if (!t.up && t.downUntil !== undefined && this.clock.now() >= t.downUntil) {
      t.downUntil = undefined;
      t.misses = 0;
      this.set(uri, t, true);
    }
    return t.up;
  }

  private get probing(): boolean {
    return !!this.probe && this.intervalMs > 0;
  }

  /** A call to the target got no response: count it down now. */
  reportUnreachable(uri: string): void {
    const t = this.targets.get(uri);
    if (!t) return;
    t.misses = Math.max(t.misses + 1, this.downAfter);
    if (!this.probing) t.downUntil = this.clock.now() + HOLD_DOWN_MS;
    this.set(uri, t, false);
  }

  status(): Array<{ target: string; up: boolean }> {
    return [...this.targets.entries()].map(([target, t]) => ({ target, up: t.up }));
  }

  private probeOne(uri: string): void {
    const t = this.targets.get(uri)!;
    if (t.probing || !this.probe) return;
    t.probing = true;
    this.probe(uri).then(
      (status) => {
        t.probing = false;
        if (status === 408 || status === 503) {
          t.misses++;
          if (t.misses >= this.downAfter) this.set(uri, t, false);
        } else {
          t.misses = 0;
          this.set(uri, t, true);
        }
      },
      () => {
        t.probing = false;
        t.misses++;
        if (t.misses >= this.downAfter) this.set(uri, t, false);
      },
    );
  }

  private set(uri: string, t: TargetState, up: boolean): void {
    this.targetUp.set({ target: uri }, up ? 1 : 0);
    if (t.up === up) return;
    t.up = up;
    if (up) this.log.info({ target: uri }, 'SIP target answers again; DID calls go to it');
    else this.log.warn({ target: uri }, 'SIP target does not answer; DID calls skip it (check the customer PBX/SBC and the network path)');
  }
}

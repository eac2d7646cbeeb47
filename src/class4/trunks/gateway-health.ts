/**
 * Health of the media gateways as routing sees it: a gateway that stopped answering (a
 * transaction given up after its retransmissions) or announced it is going out of service
 * (RSIP forced/graceful) is down, and its trunk groups are skipped, until an audit (AUEP) it
 * answers — with any return code — or an RSIP restart says it is back. While a gateway is up it is
 * audited every `keepaliveMs` as well, so a gateway that dies or stalls between calls is found
 * down even when no command is on its way to it.
 */
import { Gauge, Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { perRegistry } from '../../util/metrics.js';
import { BearerError, type BearerPort, type RestartNotice, type UnreachableNotice } from '../../mgcp/bearer-port.js';

export const gatewayUpGauge = perRegistry(
  (registry: Registry) =>
    new Gauge({
      name: 'softswitch_mgcp_gateway_up',
      help: 'Media gateway reachable (1) or down (0) as routing sees it',
      labelNames: ['gateway'] as const,
      registers: [registry],
    }),
);

export interface MonitoredGateway {
  name: string;
  /** An endpoint the gateway has, audited to learn that it is back. */
  probeEndpoint: string;
}

interface State {
  gw: MonitoredGateway;
  up: boolean;
  probe?: TimerHandle;
  probing: boolean;
  keepalive?: TimerHandle;
}

export type GatewayDownListener = (gateway: string, why: string) => void;

export class GatewayHealth {
  private readonly states = new Map<string, State>();
  private stopped = false;
  private readonly gatewayUp: Gauge<'gateway'>;
  private readonly onUnreachable = (n: UnreachableNotice) => this.markDown(n.gateway, `no answer to a command on ${n.endpoint}`);
  private readonly onRestart = (n: RestartNotice) => {
    // RFC 3435 §2.3.12: "restart" = back in service; "forced"/"graceful" = going out of service.
    if (n.method === 'restart') this.markUp(n.gateway, 'RSIP restart');
    else if (n.method === 'forced' || n.method === 'graceful') this.markDown(n.gateway, `RSIP ${n.method} on ${n.endpoint}`);
  };

  constructor(
    private readonly bearer: BearerPort,
    gateways: MonitoredGateway[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly probeIntervalMs = 5000,
    /** Where gateway states are reported (the switch's registry; default: one of its own). */
    registry: Registry = new Registry(),
    /** Audit period while up (0: only commands and RSIP tell). */
    private readonly keepaliveMs = 0,
  ) {
    this.gatewayUp = gatewayUpGauge(registry);
    for (const gw of gateways) {
      const s: State = { gw, up: true, probing: false };
      this.states.set(gw.name, s);
      this.gatewayUp.set({ gateway: gw.name }, 1);
      this.scheduleKeepalive(s);
    }
    bearer.on('unreachable', this.onUnreachable);
    bearer.on('restart', this.onRestart);
  }

  /** Unknown gateways count as up (nothing known against them). */
  isUp(gateway: string): boolean {
    return this.states.get(gateway)?.up ?? true;
  }

  status(): Array<{ gateway: string; up: boolean }> {
    return [...this.states.values()].map((s) => ({ gateway: s.gw.name, up: s.up }));
  }

  private readonly downListeners: GatewayDownListener[] = [];

  /** Told when a gateway goes down (once per outage). */
  onDown(fn: GatewayDownListener): void {
    this.downListeners.push(fn);
  }

  private markDown(name: string, why: string): void {
    const s = this.states.get(name);
    if (!s || this.stopped) return;
    if (s.up) {
      s.up = false;
      this.gatewayUp.set({ gateway: name }, 0);
      this.clock.clearTimeout(s.keepalive);
      s.keepalive = undefined;
      this.log.error({ gateway: name, why }, 'media gateway down: its trunk groups are skipped by routing until it answers an audit; check the gateway and the network path');
      for (const fn of this.downListeners) fn(name, why);
    }
    this.scheduleProbe(s);
  }

  private scheduleKeepalive(s: State): void {
    if (this.keepaliveMs <= 0 || s.keepalive || this.stopped) return;
    s.keepalive = this.clock.setTimeout(() => {
      s.keepalive = undefined;
      void this.keepalive(s);
    }, this.keepaliveMs);
  }

  private async keepalive(s: State): Promise<void> {
    if (this.stopped || !s.up) return;
    try {
      await this.bearer.auditEndpoint(s.gw.probeEndpoint);
    } catch (err) {
      if (!(err instanceof BearerError && err.kind === 'rejected')) this.markDown(s.gw.name, `no answer to a keepalive audit of ${s.gw.probeEndpoint}`);
    }
    if (s.up) this.scheduleKeepalive(s);
  }

  private markUp(name: string, why: string): void {
    const s = this.states.get(name);
    if (!s || s.up) return;
    s.up = true;
    this.gatewayUp.set({ gateway: name }, 1);
    this.clock.clearTimeout(s.probe);
    s.probe = undefined;
    this.log.info({ gateway: name, why }, 'media gateway back in service');
    this.scheduleKeepalive(s);
  }

  private scheduleProbe(s: State): void {
    if (s.probe || s.probing || this.stopped) return;
    s.probe = this.clock.setTimeout(() => {
      s.probe = undefined;
      void this.probe(s);
    }, this.probeIntervalMs);
  }

  private async probe(s: State): Promise<void> {
    if (this.stopped || s.up) return;
    s.probing = true;
    try {
      await this.bearer.auditEndpoint(s.gw.probeEndpoint);
      this.markUp(s.gw.name, 'answered an audit');
    } catch (err) {
      // A refusal (e.g. 500 unknown endpoint) is still an answer: the gateway is alive.
      if (err instanceof BearerError && err.kind === 'rejected') this.markUp(s.gw.name, `answered an audit with ${err.code}`);
    } finally {
      s.probing = false;
      if (!s.up) this.scheduleProbe(s);
    }
  }

  stop(): void {
    this.stopped = true;
    this.bearer.off('unreachable', this.onUnreachable);
    this.bearer.off('restart', this.onRestart);
    for (const s of this.states.values()) {
      this.clock.clearTimeout(s.probe);
      this.clock.clearTimeout(s.keepalive);
    }
  }
}

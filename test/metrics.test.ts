/**
 * Metric names and per-instance registries: every area declares its metrics on the registry it is
 * given (no process-wide registry), so two switch-side components in one process count apart.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSwitchRegistry } from '../src/util/metrics.js';
import { callMetrics } from '../src/calls/metrics.js';
import { lcrMetrics } from '../src/class4/routing/metrics.js';
import { class5Metrics } from '../src/class5/metrics.js';
import { mgcpMetrics } from '../src/mgcp/mgcp/metrics.js';
import { h248Metrics } from '../src/mgcp/h248/metrics.js';
import { isupMetrics } from '../src/ss7/isup/metrics.js';
import { m3uaMetrics } from '../src/ss7/m3ua/metrics.js';
import { sctpMetrics } from '../src/ss7/sctp/metrics.js';
import { overloadMetrics } from '../src/class4/admission/overload.js';
import { fraudMetrics } from '../src/class4/admission/fraud.js';
import { gatewayUpGauge } from '../src/class4/trunks/gateway-health.js';
import { targetUpGauge } from '../src/class4/trunks/target-health.js';
import { sipMetrics } from '../src/sip/ua-core.js';
import { CircuitGroup } from '../src/ss7/isup/circuits.js';
import { IsupService } from '../src/ss7/isup/service.js';
import type { MtpTransferData } from '../src/ss7/mtp3/transfer.js';
import { EventEmitter } from 'node:events';

const AREAS = [callMetrics, lcrMetrics, class5Metrics, mgcpMetrics, h248Metrics, isupMetrics, m3uaMetrics, sctpMetrics, overloadMetrics, fraudMetrics, gatewayUpGauge, targetUpGauge, sipMetrics];

function declareAll(registry: Registry): void {
  for (const declare of AREAS) declare(registry);
}

describe('Prometheus metric names', () => {
  it('follow softswitch_<area>_<what>, counters end in _total, gauges do not, histograms measure seconds', async () => {
    const registry = createSwitchRegistry();
    declareAll(registry);
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(20);
    for (const m of metrics) {
      expect(m.name, m.name).toMatch(/^softswitch_[a-z0-9]+_[a-z0-9_]+$/);
      const type = String(m.type);
      if (type === 'counter') expect(m.name, m.name).toMatch(/_total$/);
      if (type === 'gauge') expect(m.name, m.name).not.toMatch(/_total$/);
      if (type === 'histogram' || type === 'summary') expect(m.name, m.name).toMatch(/_(seconds|bytes)$/);
      expect(m.help.length, `${m.name} has help text`).toBeGreaterThan(10);
    }
  });
});

describe('registries per instance', () => {
  it('two registries each get every metric under the same names, without "already registered"', async () => {
    const a = createSwitchRegistry();
    const b = createSwitchRegistry();
    expect(() => {
      declareAll(a);
      declareAll(b);
      declareAll(a); // asking again for the same registry returns what it has
    }).not.toThrow();
    const names = (r: Registry) => r.getMetricsAsArray().map((m) => m.name).sort();
    expect(names(a)).toEqual(names(b));
    expect(names(a)).toContain('softswitch_isup_messages_total');
    expect(isupMetrics(a)).toBe(isupMetrics(a));
    expect(isupMetrics(a)).not.toBe(isupMetrics(b));
  });

  it('only the switch registry has the process metrics; a plain one has none', async () => {
    expect(createSwitchRegistry().getSingleMetric('softswitch_process_cpu_seconds_total')).toBeDefined();
    expect(new Registry().getMetricsAsArray()).toHaveLength(0);
  });

  it('two ISUP services in one process count their messages into their own registries', async () => {
    // Two exchanges joined back to back by an in-memory MTP-transfer: one sends, the other receives.
    class Wire extends EventEmitter {
      peer?: Wire;
      sendTransfer(pd: MtpTransferData): boolean {
        queueMicrotask(() => this.peer!.emit('transfer', pd, {}));
        return true;
      }
      canReach(): boolean {
        return true;
      }
    }
    const x = new Wire();
    const y = new Wire();
    x.peer = y;
    y.peer = x;
    const tg = (own: number, far: number) => ({ id: 'tg', variant: 'itu' as const, farPointCode: far, circuits: new CircuitGroup({ id: 'tg', firstCic: 1, count: 4, ownPointCode: own, farPointCode: far, variant: 'itu' }) });
    const switchRegistry = new Registry();
    const tandemRegistry = new Registry();
    const sw = new IsupService({ link: x, ownPointCode: 1, networkIndicator: 2, trunkGroups: [tg(1, 2)], registry: switchRegistry });
    const tandem = new IsupService({ link: y, ownPointCode: 2, networkIndicator: 2, trunkGroups: [tg(2, 1)], registry: tandemRegistry });
    try {
      sw.mtpResume(2); // GRS from the switch, GRA back from the tandem
      const count = async (r: Registry, direction: string, type: string) =>
        (await isupMetrics(r).isupMessagesTotal.get()).values.find((v) => v.labels.direction === direction && v.labels.type === type)?.value ?? 0;
      for (let i = 0; i < 100 && (await count(switchRegistry, 'rx', 'GRA')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await count(switchRegistry, 'tx', 'GRS')).toBe(1);
      expect(await count(switchRegistry, 'rx', 'GRA')).toBe(1);
      expect(await count(switchRegistry, 'rx', 'GRS')).toBe(0);
      expect(await count(tandemRegistry, 'rx', 'GRS')).toBe(1);
      expect(await count(tandemRegistry, 'tx', 'GRA')).toBe(1);
      expect(await count(tandemRegistry, 'tx', 'GRS')).toBe(0);
    } finally {
      sw.close();
      tandem.close();
    }
  });
});

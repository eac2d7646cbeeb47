import { describe, expect, it } from 'vitest';
import '../src/app/softswitch.js';
import { registry } from '../src/util/metrics.js';

describe('Prometheus metric names', () => {
  it('follow softswitch_<area>_<what>, counters end in _total, gauges do not, histograms measure seconds', async () => {
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

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The one Prometheus registry of the process. Modules declare their metrics against it
 * (names `softswitch_<area>_<what>_total|_seconds`), the admin API serves it at /metrics.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'softswitch_' });
// prom-client's nodejs_active_{handles,requests,resources}_total are gauges (sums of the per-type
// gauges it also exports); a gauge must not end in _total, so those three are not exported.
for (const m of registry.getMetricsAsArray()) {
  if (m instanceof Gauge && m.name.endsWith('_total')) registry.removeSingleMetric(m.name);
}

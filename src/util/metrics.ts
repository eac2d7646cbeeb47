import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus registries. There is no process-wide registry: the switch creates one
 * (`createSwitchRegistry`) and passes it to its components, as pino passes child loggers, so a
 * second switch-side component in the same process (the lab tandem simulator, a test peer)
 * counts into a registry of its own. Metric names: `softswitch_<area>_<what>_total|_seconds`.
 */

/** The registry of a running switch: its components' metrics and the Node.js process metrics. */
export function createSwitchRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'softswitch_' });
  // prom-client's nodejs_active_{handles,requests,resources}_total are gauges (sums of the per-type
  // gauges it also exports); a gauge must not end in _total, so those three are not exported.
  for (const m of registry.getMetricsAsArray()) {
    if (m instanceof Gauge && m.name.endsWith('_total')) registry.removeSingleMetric(m.name);
  }
  return registry;
}

/**
 * One area's metrics, declared once per registry: asking twice with the same registry returns
 * the same set, and two registries each get their own metrics under the same names.
 */
export function perRegistry<T>(declare: (registry: Registry) => T): (registry: Registry) => T {
  const byRegistry = new WeakMap<Registry, T>();
  return (registry) => {
    let m = byRegistry.get(registry);
    if (!m) {
      m = declare(registry);
      byRegistry.set(registry, m);
    }
    return m;
  };
}

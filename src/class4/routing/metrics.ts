import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

/** The routing engine's metrics, declared on the registry passed in. */
export const lcrMetrics = perRegistry((registry: Registry) => {
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  return {
    lcrLookupsTotal: counter('softswitch_lcr_lookups_total', 'Route lookups by outcome', ['outcome']),
    lcrReloadsTotal: counter('softswitch_lcr_reloads_total', 'Route table rebuilds by result', ['result']),
    lcrBuildSeconds: gauge('softswitch_lcr_build_seconds', 'Duration of the last route table build'),
    lcrReloadSeconds: new Histogram({
      name: 'softswitch_lcr_reload_seconds',
      help: 'Route table reloads in the deck worker (start, import, reload, activation): read, validate, build and snapshot',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    lcrPrefixes: gauge('softswitch_lcr_prefixes', 'Distinct prefixes in the active route table'),
    lcrTableBytes: gauge('softswitch_lcr_table_bytes', 'Bytes held by the active compiled route table'),
  };
});
export type LcrMetrics = ReturnType<typeof lcrMetrics>;

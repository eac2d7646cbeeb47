import { Counter, Gauge } from 'prom-client';
import { registry } from '../../util/metrics.js';

function counter(name: string, help: string, labelNames: string[] = []): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}
function gauge(name: string, help: string): Gauge {
  return (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] });
}

export const lcrLookupsTotal = counter('softswitch_lcr_lookups_total', 'Route lookups by outcome', ['outcome']);
export const lcrReloadsTotal = counter('softswitch_lcr_reloads_total', 'Route table rebuilds by result', ['result']);
export const lcrBuildSeconds = gauge('softswitch_lcr_build_seconds', 'Duration of the last route table build');
export const lcrPrefixes = gauge('softswitch_lcr_prefixes', 'Distinct prefixes in the active route table');
export const lcrTableBytes = gauge('softswitch_lcr_table_bytes', 'Bytes held by the active compiled route table');
export const lcrReloadSeconds = gauge('softswitch_lcr_reload_seconds', 'Duration of the last route table reload in the deck worker (read, validate, build, snapshot)');

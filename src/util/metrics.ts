import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The one Prometheus registry of the process. Modules declare their metrics against it
 * (names `softswitch_<area>_<what>_total|_seconds`), the admin API serves it at /metrics.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'softswitch_process_' });

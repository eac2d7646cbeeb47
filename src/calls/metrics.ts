import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../util/metrics.js';

export const callsActive = new Gauge({
  name: 'softswitch_calls_active',
  help: 'Calls in progress (set-up or answered)',
  labelNames: ['direction'] as const,
  registers: [registry],
});

export const callsTotal = new Counter({
  name: 'softswitch_calls_total',
  help: 'Calls ended, by direction and outcome (answered, failed, rejected, canceled)',
  labelNames: ['direction', 'outcome'] as const,
  registers: [registry],
});

export const callReleaseCauseTotal = new Counter({
  name: 'softswitch_call_release_cause_total',
  help: 'Calls ended, by Q.850 release cause',
  labelNames: ['cause'] as const,
  registers: [registry],
});

export const callSetupSeconds = new Histogram({
  name: 'softswitch_call_setup_seconds',
  help: 'Time from INVITE to answer (post-dial delay plus ringing)',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  registers: [registry],
});

export const routeAdvanceTotal = new Counter({
  name: 'softswitch_route_advance_total',
  help: 'Route advances to the next carrier after a failure cause',
  labelNames: ['from_carrier', 'cause'] as const,
  registers: [registry],
});

export const sipRejectTotal = new Counter({
  name: 'softswitch_sip_reject_total',
  help: 'INVITEs refused before routing, by SIP status and reason',
  labelNames: ['status', 'reason'] as const,
  registers: [registry],
});

export const callOffersTotal = new Counter({
  name: 'softswitch_call_offers_total',
  help: 'New offers on answered calls (re-INVITE/UPDATE: hold, resume, codec change), by the side they came from and the status they were answered with (200, 488, 491, 500)',
  labelNames: ['from', 'status'] as const,
  registers: [registry],
});

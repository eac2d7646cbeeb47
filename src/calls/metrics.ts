import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../util/metrics.js';

/** The call engine's metrics, declared on the registry passed in. */
export const callMetrics = perRegistry((registry: Registry) => ({
  callsActive: new Gauge({
    name: 'softswitch_calls_active',
    help: 'Calls in progress (set-up or answered)',
    labelNames: ['direction'] as const,
    registers: [registry],
  }),

  callsTotal: new Counter({
    name: 'softswitch_calls_total',
    help: 'Calls ended, by direction and outcome (answered, failed, rejected, canceled)',
    labelNames: ['direction', 'outcome'] as const,
    registers: [registry],
  }),

  callReleaseCauseTotal: new Counter({
    name: 'softswitch_call_release_cause_total',
    help: 'Calls ended, by Q.850 release cause',
    labelNames: ['cause'] as const,
    registers: [registry],
  }),

  callSetupSeconds: new Histogram({
    name: 'softswitch_call_setup_seconds',
    help: 'Time from INVITE to answer (post-dial delay plus ringing)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  }),

  routeAdvanceTotal: new Counter({
    name: 'softswitch_route_advance_total',
    help: 'Route advances to the next carrier after a failure cause',
    labelNames: ['from_carrier', 'cause'] as const,
    registers: [registry],
  }),

  // ASR and ACD inputs per trunk group (the outgoing one, else the one the call came in on; "none"
  // for SIP to SIP), counted when the call ends: ASR = answers / attempts, ACD = answered seconds / answers.
  attempts: new Counter({
    name: 'softswitch_call_attempts_total',
    help: 'Calls ended, answered or not, by direction and trunk group (ASR denominator)',
    labelNames: ['direction', 'trunk_group'] as const,
    registers: [registry],
  }),

  answers: new Counter({
    name: 'softswitch_call_answers_total',
    help: 'Answered calls by direction and trunk group (ASR numerator)',
    labelNames: ['direction', 'trunk_group'] as const,
    registers: [registry],
  }),

  failures: new Counter({
    name: 'softswitch_call_failures_total',
    help: 'Calls ended without answer, by direction, trunk group and Q.850 cause',
    labelNames: ['direction', 'trunk_group', 'cause'] as const,
    registers: [registry],
  }),

  answeredSeconds: new Counter({
    name: 'softswitch_call_answered_seconds_total',
    help: 'Seconds from answer to release of answered calls, by direction and trunk group (ACD numerator)',
    labelNames: ['direction', 'trunk_group'] as const,
    registers: [registry],
  }),

  sipRejectTotal: new Counter({
    name: 'softswitch_sip_reject_total',
    help: 'INVITEs refused before routing, by SIP status and reason',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
  }),

  callOffersTotal: new Counter({
    name: 'softswitch_call_offers_total',
    help: 'New offers on answered calls (re-INVITE/UPDATE: hold, resume, codec change), by the side they came from and the status they were answered with (200, 488, 491, 500)',
    labelNames: ['from', 'status'] as const,
    registers: [registry],
  }),

  transfersTotal: new Counter({
    name: 'softswitch_class5_transfers_total',
    help: 'Call transfers (REFER, RFC 3515; INVITE with Replaces, RFC 3891, counts as attended), by kind (blind, attended) and result (completed, failed, refused)',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  }),
}));
export type CallMetrics = ReturnType<typeof callMetrics>;

import { Counter, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

/** Analogue line metrics (MGCP line package events, digit maps, notification requests), per switch registry. */
export const lineMetrics = perRegistry((registry: Registry) => ({
  lineEvents: new Counter({
    name: 'softswitch_line_events_total',
    help: 'Events notified by line gateways (NTFY), by event: off-hook, on-hook, flash, digits, other',
    labelNames: ['event'] as const,
    registers: [registry],
  }),
  notifications: new Counter({
    name: 'softswitch_line_notifications_total',
    help: 'NTFY commands from line gateways, by result: accepted, stale-request (an older X:), unknown-line, malformed',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  digitMaps: new Counter({
    name: 'softswitch_line_digit_map_total',
    help: 'Dialled strings checked against the line digit map, by outcome: complete, ambiguous, partial, mismatch',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  requestFailures: new Counter({
    name: 'softswitch_line_request_failures_total',
    help: 'Notification requests (RQNT) to line gateways refused or unanswered',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  calls: new Counter({
    name: 'softswitch_line_calls_total',
    help: 'Calls on analogue lines, by direction (originating, terminating) and outcome (placed, refused, rung, busy)',
    labelNames: ['direction', 'outcome'] as const,
    registers: [registry],
  }),
}));

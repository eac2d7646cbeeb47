import { Counter } from 'prom-client';
import { registry } from '../../util/metrics.js';

export const isupMessagesTotal = new Counter({
  name: 'softswitch_isup_messages_total',
  help: 'ISUP messages sent and received, by trunk group, direction and message type',
  labelNames: ['trunk_group', 'direction', 'type'] as const,
  registers: [registry],
});

export const isupDecodeErrorsTotal = new Counter({
  name: 'softswitch_isup_decode_errors_total',
  help: 'Received ISUP messages that did not decode, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const isupDroppedTotal = new Counter({
  name: 'softswitch_isup_dropped_total',
  help: 'Received MSUs dropped: not ISUP, unknown point code, unknown CIC, or unexpected on an idle circuit',
  labelNames: ['reason'] as const,
  registers: [registry],
});

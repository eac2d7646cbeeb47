import { Counter, Gauge, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';
import { BoundCounters } from '../../util/bound-counter.js';

/** The ISUP service's metrics, declared on the registry passed in. */
export const isupMetrics = perRegistry((registry: Registry) => withBoundMessages({
  isupMessagesTotal: new Counter({
    name: 'softswitch_isup_messages_total',
    help: 'ISUP messages sent and received, by trunk group, direction and message type',
    labelNames: ['trunk_group', 'direction', 'type'] as const,
    registers: [registry],
  }),

  isupDecodeErrorsTotal: new Counter({
    name: 'softswitch_isup_decode_errors_total',
    help: 'Received ISUP messages that did not decode, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),

  isupDroppedTotal: new Counter({
    name: 'softswitch_isup_dropped_total',
    help: 'Received MSUs dropped: not ISUP, unknown point code, unknown CIC, or unexpected on an idle circuit',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),

  isupMaintenanceAlarmsTotal: new Counter({
    name: 'softswitch_isup_maintenance_alarms_total',
    help: 'Circuit supervision gave up waiting (BLO/UBL/RSC/CGB/CGU/GRS unacknowledged, T5, T27, UCIC, continuity failure), by trunk group and procedure',
    labelNames: ['trunk_group', 'procedure'] as const,
    registers: [registry],
  }),

  isupMaintenanceRepeatsTotal: new Counter({
    name: 'softswitch_isup_maintenance_repeats_total',
    help: 'Circuit supervision messages repeated on timer expiry (T12-T23), by trunk group and message type',
    labelNames: ['trunk_group', 'type'] as const,
    registers: [registry],
  }),

  isupCongestionLevel: new Gauge({
    name: 'softswitch_isup_congestion_level',
    help: 'Automatic congestion level of the adjacent exchange as received in REL (Q.764 2.11): 0 none, 1, 2',
    labelNames: ['trunk_group'] as const,
    registers: [registry],
  }),
}));
export type IsupMetrics = ReturnType<typeof isupMetrics>;

/** ISUP messages by trunk group, direction and type, counted per message: bound label sets (bound-counter.ts). */
function withBoundMessages<T extends { isupMessagesTotal: Counter<'trunk_group' | 'direction' | 'type'> }>(m: T) {
  const messages = new BoundCounters(m.isupMessagesTotal);
  return {
    ...m,
    countMessage: (trunkGroup: string, direction: 'tx' | 'rx', type: string) =>
      messages.get(`${trunkGroup}\n${direction}\n${type}`, () => ({ trunk_group: trunkGroup, direction, type })).inc(),
  };
}

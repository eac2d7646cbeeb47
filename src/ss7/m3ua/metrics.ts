import { Counter, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';
import { BoundCounters } from '../../util/bound-counter.js';

/** M3UA metrics (ASP and SG sides), declared on the registry passed in. */
export const m3uaMetrics = perRegistry((registry: Registry) => withBoundTypes({
  m3uaRx: new Counter({
    name: 'softswitch_m3ua_messages_rx_total',
    help: 'M3UA messages received, by message type',
    labelNames: ['type'],
    registers: [registry],
  }),

  m3uaTx: new Counter({
    name: 'softswitch_m3ua_messages_tx_total',
    help: 'M3UA messages sent, by message type',
    labelNames: ['type'],
    registers: [registry],
  }),

  m3uaDecodeErrors: new Counter({
    name: 'softswitch_m3ua_decode_errors_total',
    help: 'Received M3UA messages that could not be decoded, by RFC 4666 error code',
    labelNames: ['code'],
    registers: [registry],
  }),

  m3uaUnexpectedParameters: new Counter({
    name: 'softswitch_m3ua_unexpected_parameters_total',
    help: 'Received M3UA messages carrying a known parameter that does not belong in them, processed anyway (RFC 4666 §3.8.1), by role, message type and tag',
    labelNames: ['role', 'type', 'tag'],
    registers: [registry],
  }),

  m3uaAlarms: new Counter({
    name: 'softswitch_m3ua_alarms_total',
    help: 'M3UA alarms raised by ASPs (unanswered or refused ASPUP/ASPAC/ASPIA/ASPDN), by alarm code',
    labelNames: ['code'],
    registers: [registry],
  }),

  m3uaPendingTransfers: new Counter({
    name: 'softswitch_m3ua_pending_transfers_total',
    help: 'SG-side DATA held while an AS is AS-PENDING (RFC 4666 §4.3.2), by outcome: queued, delivered, overflow (queue full, refused), expired (T(r) ran out), undeliverable',
    labelNames: ['outcome'],
    registers: [registry],
  }),
}));
export type M3uaMetrics = ReturnType<typeof m3uaMetrics>;

/** Messages sent and received by type, counted per message: bound label sets (bound-counter.ts). */
function withBoundTypes<T extends { m3uaRx: Counter<'type'>; m3uaTx: Counter<'type'> }>(m: T) {
  const rx = new BoundCounters(m.m3uaRx);
  const tx = new BoundCounters(m.m3uaTx);
  return {
    ...m,
    countRx: (type: string) => rx.get(type, () => ({ type })).inc(),
    countTx: (type: string) => tx.get(type, () => ({ type })).inc(),
  };
}

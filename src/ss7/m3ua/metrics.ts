import { Counter } from 'prom-client';
import { registry } from '../../util/metrics.js';

export const m3uaRx = new Counter({
  name: 'softswitch_m3ua_messages_rx_total',
  help: 'M3UA messages received, by message type',
  labelNames: ['type'],
  registers: [registry],
});

export const m3uaTx = new Counter({
  name: 'softswitch_m3ua_messages_tx_total',
  help: 'M3UA messages sent, by message type',
  labelNames: ['type'],
  registers: [registry],
});

export const m3uaDecodeErrors = new Counter({
  name: 'softswitch_m3ua_decode_errors_total',
  help: 'Received M3UA messages that could not be decoded, by RFC 4666 error code',
  labelNames: ['code'],
  registers: [registry],
});

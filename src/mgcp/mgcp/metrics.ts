import { Counter, Histogram } from 'prom-client';
import { registry } from '../../util/metrics.js';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  const existing = registry.getSingleMetric(name);
  return (existing as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export const mgcpTransactions = counter(
  'softswitch_mgcp_transactions_total',
  'Outgoing MGCP transactions by verb and outcome (ok, rejected, timeout)',
  ['verb', 'outcome'],
);

export const mgcpRetransmissions = counter(
  'softswitch_mgcp_retransmissions_total',
  'MGCP commands sent again after the retransmission timer expired',
);

export const mgcpIncoming = counter(
  'softswitch_mgcp_incoming_commands_total',
  'MGCP commands received from gateways by verb, including duplicates',
  ['verb', 'duplicate'],
);

export const mgcpDecodeErrors = counter(
  'softswitch_mgcp_decode_errors_total',
  'Received MGCP datagrams or messages refused by the decoder, by return code',
  ['code'],
);

export const mgcpUnmatchedResponses = counter(
  'softswitch_mgcp_unmatched_responses_total',
  'MGCP responses dropped because they match no outstanding transaction towards the gateway they came from (unknown or stale transaction id, or another source)',
);

export const mgcpTransactionSeconds =
  (registry.getSingleMetric('softswitch_mgcp_transaction_seconds') as Histogram<string> | undefined) ??
  new Histogram({
    name: 'softswitch_mgcp_transaction_seconds',
    help: 'Time from first send of an MGCP command to its final response',
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
    registers: [registry],
  });

export const mgcpRejectedCommands = counter(
  'softswitch_mgcp_rejected_commands_total',
  'MGCP commands refused before processing because of where they came from (unknown_source, wrong_port, foreign_endpoint)',
  ['reason'],
);

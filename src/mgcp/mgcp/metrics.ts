import { Counter, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

/** The MGCP call agent's metrics, declared on the registry passed in. */
export const mgcpMetrics = perRegistry((registry: Registry) => {
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    mgcpTransactions: counter(
      'softswitch_mgcp_transactions_total',
      'Outgoing MGCP transactions by verb, outcome (ok, rejected, timeout) and gateway (the endpoint\'s domain)',
      ['verb', 'outcome', 'gateway'],
    ),

    mgcpRetransmissions: counter(
      'softswitch_mgcp_retransmissions_total',
      'MGCP commands sent again after the retransmission timer expired, by gateway (the endpoint\'s domain)',
      ['gateway'],
    ),

    mgcpIncoming: counter(
      'softswitch_mgcp_incoming_commands_total',
      'MGCP commands received from gateways by verb, including duplicates',
      ['verb', 'duplicate'],
    ),

    mgcpDecodeErrors: counter(
      'softswitch_mgcp_decode_errors_total',
      'Received MGCP datagrams or messages refused by the decoder, by return code',
      ['code'],
    ),

    mgcpTransactionSeconds: new Histogram({
      name: 'softswitch_mgcp_transaction_seconds',
      help: 'Time from first send of an MGCP command to its final response',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [registry],
    }),

    mgcpUnmatchedResponses: counter(
      'softswitch_mgcp_unmatched_responses_total',
      'MGCP responses dropped because they match no outstanding transaction towards the gateway they came from (unknown or stale transaction id, or another source)',
    ),

    mgcpRejectedCommands: counter(
      'softswitch_mgcp_rejected_commands_total',
      'MGCP commands refused before processing because of where they came from (unknown_source, wrong_port, foreign_endpoint)',
      ['reason'],
    ),
  };
});
export type MgcpMetrics = ReturnType<typeof mgcpMetrics>;

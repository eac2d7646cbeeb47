import { Counter, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

/** The SCTP transport's metrics, declared on the registry passed in. */
export const sctpMetrics = perRegistry((registry: Registry) => {
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    setupAttempts: counter('softswitch_sctp_setup_attempts_total', 'SCTP INITs started by the transport (first tries and retries)'),
    setupFailures: counter('softswitch_sctp_setup_failures_total', 'SCTP set-ups given up after the last attempt'),
    messagesSent: counter('softswitch_sctp_messages_sent_total', 'User messages handed to the SCTP stack'),
    messagesReceived: counter('softswitch_sctp_messages_received_total', 'User messages delivered by the SCTP stack'),
    messagesDropped: counter('softswitch_sctp_messages_dropped_total', 'User messages not sent: queue full, bad stream, or association down'),
    malformedPackets: counter('softswitch_sctp_malformed_packets_total', 'Received SCTP packets the stack could not parse (dropped)'),
    retransmissions: counter(
      'softswitch_sctp_retransmissions_total',
      'DATA retransmission events of the SCTP stack: kind t3_rtx (T3-rtx expired, RFC 9260 §6.3.3) or fast (three missing reports, §7.2.4)',
      ['kind'],
    ),
    aborts: counter('softswitch_sctp_aborts_total', 'Associations ended by ABORT (ours, the peer\'s, or after a shutdown timeout)'),
  };
});
export type SctpMetrics = ReturnType<typeof sctpMetrics>;

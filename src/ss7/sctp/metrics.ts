import { Counter, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

/** The SCTP transport's metrics, declared on the registry passed in. */
export const sctpMetrics = perRegistry((registry: Registry) => {
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    setupAttempts: counter('softswitch_sctp_setup_attempts_total', 'SCTP INITs started by the transport (first tries and retries)'),
    setupFailures: counter('softswitch_sctp_setup_failures_total', 'SCTP set-ups given up after the last attempt'),
    messagesSent: counter('softswitch_sctp_messages_sent_total', 'User messages handed to the SCTP stack'),
    messagesReceived: counter('softswitch_sctp_messages_received_total', 'User messages delivered by the SCTP stack'),
    messagesDropped: counter('softswitch_sctp_messages_dropped_total', 'User messages not sent: queue full, bad stream, or association down'),
    malformedPackets: counter('softswitch_sctp_malformed_packets_total', 'Received SCTP packets the stack could not parse (dropped)'),
    aborts: counter('softswitch_sctp_aborts_total', 'Associations ended by ABORT (ours, the peer\'s, or after a shutdown timeout)'),
  };
});
export type SctpMetrics = ReturnType<typeof sctpMetrics>;

import { Counter } from 'prom-client';
import { registry } from '../../util/metrics.js';

function counter(name: string, help: string): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, registers: [registry] });
}

export const sctpMetrics = {
  setupAttempts: counter('softswitch_sctp_setup_attempts_total', 'SCTP INITs started by the transport (first tries and retries)'),
  setupFailures: counter('softswitch_sctp_setup_failures_total', 'SCTP set-ups given up after the last attempt'),
  messagesSent: counter('softswitch_sctp_messages_sent_total', 'User messages handed to the SCTP stack'),
  messagesReceived: counter('softswitch_sctp_messages_received_total', 'User messages delivered by the SCTP stack'),
  messagesDropped: counter('softswitch_sctp_messages_dropped_total', 'User messages not sent: queue full, bad stream, or association down'),
  malformedPackets: counter('softswitch_sctp_malformed_packets_total', 'Received SCTP packets the stack could not parse (dropped)'),
  aborts: counter('softswitch_sctp_aborts_total', 'Associations ended by ABORT (ours, the peer\'s, or after a shutdown timeout)'),
};

import { Counter, Histogram } from 'prom-client';
import { registry } from '../../util/metrics.js';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  const existing = registry.getSingleMetric(name);
  return (existing as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export const h248Transactions = counter(
  'softswitch_h248_transactions_total',
  'Outgoing H.248 transaction requests by outcome (ok, rejected, timeout)',
  ['outcome'],
);

export const h248Retransmissions = counter('softswitch_h248_retransmissions_total', 'H.248 transaction requests sent again after the retransmission timer expired');

export const h248Pendings = counter(
  'softswitch_h248_pendings_total',
  'TransactionPending messages by direction (received from a peer, sent by us)',
  ['direction'],
);

export const h248Incoming = counter(
  'softswitch_h248_incoming_requests_total',
  'H.248 transaction requests received, including duplicates',
  ['duplicate'],
);

export const h248DecodeErrors = counter('softswitch_h248_decode_errors_total', 'Received H.248 messages refused by the decoder, by error code', ['code']);

export const h248Acks = counter('softswitch_h248_response_acks_total', 'TransactionResponseAck ranges by direction (sent, received)', ['direction']);

export const h248TransactionSeconds =
  (registry.getSingleMetric('softswitch_h248_transaction_seconds') as Histogram<string> | undefined) ??
  new Histogram({
    name: 'softswitch_h248_transaction_seconds',
    help: 'Time from first send of an H.248 transaction request to its reply',
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 30],
    registers: [registry],
  });

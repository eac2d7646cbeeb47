/**
 * The H.248 layer's Prometheus metrics, registered on the registry passed in; asking twice for
 * the same registry returns the same metrics.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface H248Metrics {
  /** Outgoing transaction requests by outcome (ok, rejected, timeout) and gateway. */
  readonly transactions: Counter<string>;
  readonly retransmissions: Counter<string>;
  /** TransactionPending by direction (received, sent). */
  readonly pendings: Counter<string>;
  /** Incoming requests by duplicate (yes, no). */
  readonly incoming: Counter<string>;
  readonly decodeErrors: Counter<string>;
  /** Replies dropped: no request of ours outstanding with that id towards where they came from. */
  readonly unmatchedReplies: Counter<string>;
  /** TransactionResponseAck by direction (sent, received). */
  readonly acks: Counter<string>;
  readonly transactionSeconds: Histogram<string>;
  /** v3 reply segments received, by outcome (new, duplicate, refused, lost). */
  readonly segments: Counter<string>;
}

const byRegistry = new WeakMap<Registry, H248Metrics>();

export function h248Metrics(registry: Registry): H248Metrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> =>
    (registry.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const m: H248Metrics = {
    transactions: counter('softswitch_h248_transactions_total', 'Outgoing H.248 transaction requests by outcome (ok, rejected, timeout) and gateway (configured name, else the peer address)', ['outcome', 'gateway']),
    retransmissions: counter('softswitch_h248_retransmissions_total', 'H.248 transaction requests sent again after the retransmission timer expired, by gateway', ['gateway']),
    pendings: counter('softswitch_h248_pendings_total', 'TransactionPending messages by direction (received from a peer, sent by us)', ['direction']),
    incoming: counter('softswitch_h248_incoming_requests_total', 'H.248 transaction requests received, including duplicates', ['duplicate']),
    decodeErrors: counter('softswitch_h248_decode_errors_total', 'Received H.248 messages refused by the decoder, by error code', ['code']),
    unmatchedReplies: counter('softswitch_h248_unmatched_replies_total', 'H.248 transaction replies dropped because no request of ours with that id is outstanding towards their source (unknown or stale TransactionID, or another address)'),
    acks: counter('softswitch_h248_response_acks_total', 'TransactionResponseAck messages by direction (sent, received)', ['direction']),
    segments: counter(
      'softswitch_h248_reply_segments_total',
      'H.248 v3 reply segments received by outcome (new, duplicate; refused: over the reassembly limits or inconsistent; lost: counted once per reply whose segmentation timer ran out)',
      ['outcome'],
    ),
    transactionSeconds:
      (registry.getSingleMetric('softswitch_h248_transaction_seconds') as Histogram<string> | undefined) ??
      new Histogram({
        name: 'softswitch_h248_transaction_seconds',
        help: 'Time from first send of an H.248 transaction request to its reply',
        buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 30],
        registers: [registry],
      }),
  };
  byRegistry.set(registry, m);
  return m;
}

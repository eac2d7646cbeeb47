import { Counter, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../../util/metrics.js';

export type TransactionOutcome = 'ok' | 'rejected' | 'timeout';

interface TallyCell {
  readonly labels: { verb: string; outcome: TransactionOutcome; gateway: string };
  pending: number;
}

/**
 * Outgoing transactions counted on the hot path as plain numbers, one cell per gateway, verb and
 * outcome, and added to softswitch_mgcp_transactions_total whenever the registry is read (the
 * counter's collect hook): a transaction costs a map lookup and an increment instead of
 * prom-client's label hashing. Every transaction layer of one registry shares it.
 */
export class TransactionTally {
  private readonly byGateway = new Map<string, Map<string, TallyCell>>();
  private readonly cells: TallyCell[] = [];

  constructor(private readonly counter: Counter<string>) {}

  count(gateway: string, verb: string, outcome: TransactionOutcome): void {
    let byKey = this.byGateway.get(gateway);
    if (!byKey) {
      byKey = new Map();
      this.byGateway.set(gateway, byKey);
    }
    const key = outcome === 'ok' ? verb : `${verb} ${outcome}`;
    let cell = byKey.get(key);
    if (!cell) {
      cell = { labels: { verb, outcome, gateway }, pending: 0 };
      byKey.set(key, cell);
      this.cells.push(cell);
    }
    cell.pending++;
  }

  /** Adds what was counted since the last read to the counter. */
  flush(): void {
    for (const cell of this.cells) {
      if (cell.pending === 0) continue;
      const n = cell.pending;
      cell.pending = 0;
      this.counter.inc(cell.labels, n);
    }
  }
}

/** The MGCP call agent's metrics, declared on the registry passed in. */
export const mgcpMetrics = perRegistry((registry: Registry) => {
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  let tally: TransactionTally | undefined;
  const mgcpTransactions = new Counter({
    name: 'softswitch_mgcp_transactions_total',
    help: 'Outgoing MGCP transactions by verb, outcome (ok, rejected, timeout) and gateway (the endpoint\'s domain)',
    labelNames: ['verb', 'outcome', 'gateway'],
    registers: [registry],
    collect: () => tally?.flush(),
  });
  tally = new TransactionTally(mgcpTransactions);
  return {
    mgcpTransactions,
    /** Where the transaction layer counts mgcpTransactions (read through the counter as usual). */
    mgcpTransactionTally: tally,

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

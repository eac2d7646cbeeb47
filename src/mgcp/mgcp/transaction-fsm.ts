/**
 * One outgoing MGCP transaction as a state machine declared as data (RFC 3435 §3.5).
 * No I/O: `handleTx` returns actions that the transaction layer performs with its clock and socket.
 */

export const TX_STATES = ['AWAITING_RESPONSE', 'PROVISIONAL', 'COMPLETED', 'FAILED'] as const;
export type TxState = (typeof TX_STATES)[number];

export type TxEvent =
  | { type: 'SEND_REQ' }
  | { type: 'TIMER_EXPIRY' }
  /** 100/101 (RFC 3435 §3.5.6). */
  | { type: 'RX_PROVISIONAL' }
  /** Any final code; `ackRequested` when it carried an empty K: (RFC 3435 §3.5.6). */
  | { type: 'RX_FINAL'; ackRequested: boolean };

export type TxEventType = TxEvent['type'];

export const TX_EVENT_NAMES: Record<TxEventType, string> = {
  SEND_REQ: 'send request',
  TIMER_EXPIRY: 'timer expiry',
  RX_PROVISIONAL: 'provisional response received',
  RX_FINAL: 'final response received',
};

/** For each state, the events it accepts and the states they may lead to. */
export const TX_TRANSITIONS: Readonly<Record<TxState, Partial<Record<TxEventType, readonly TxState[]>>>> = {
  AWAITING_RESPONSE: {
    SEND_REQ: ['AWAITING_RESPONSE'],
    TIMER_EXPIRY: ['AWAITING_RESPONSE', 'FAILED'],
    RX_PROVISIONAL: ['PROVISIONAL'],
    RX_FINAL: ['COMPLETED'],
  },
  PROVISIONAL: {
    TIMER_EXPIRY: ['FAILED'],
    RX_PROVISIONAL: ['PROVISIONAL'],
    RX_FINAL: ['COMPLETED'],
  },
  COMPLETED: {},
  FAILED: {},
};

export type TxAction =
  | { kind: 'send'; retransmission: boolean }
  | { kind: 'start-timer'; ms: number }
  | { kind: 'stop-timer' }
  | { kind: 'send-ack' }
  | { kind: 'complete' }
  | { kind: 'fail'; reason: 'no-response' | 'no-final-response' };

export interface RetransmitPolicy {
  /** First retransmission timer towards a gateway with no round-trip estimate yet (RFC 3435 §3.5.3: a small initial value, here 200 ms). */
  initialRtoMs: number;
  /** Floor of the timer computed from a gateway's measured round trips (see rto.ts). */
  minRtoMs: number;
  /** Ceiling of the doubling timer. */
  maxRtoMs: number;
  /** Retransmissions before giving up (RFC 3435 §4.3 "Max2", default 7). */
  maxRetransmits: number;
  /** How long to wait for the final response once a provisional one arrived. */
  provisionalTimeoutMs: number;
}

export const DEFAULT_RETRANSMIT_POLICY: RetransmitPolicy = {
  initialRtoMs: 200,
  minRtoMs: 100,
  maxRtoMs: 4000,
  maxRetransmits: 7,
  provisionalTimeoutMs: 30_000,
};

export interface TxFsm {
  state: TxState;
  retransmits: number;
  rtoMs: number;
}

/** A new transaction; `rtoMs` is the first timer, from the gateway's round-trip estimate when there is one. */
export function newTx(policy: RetransmitPolicy, rtoMs = policy.initialRtoMs): TxFsm {
  return { state: 'AWAITING_RESPONSE', retransmits: 0, rtoMs };
}

function go(tx: TxFsm, event: TxEventType, to: TxState): void {
  const allowed = TX_TRANSITIONS[tx.state][event];
  if (!allowed?.includes(to)) throw new Error(`MGCP transaction: ${tx.state} does not go to ${to} on ${event}`);
  tx.state = to;
}

// Action lists that carry no per-transaction data are built once (every command's final response runs one).
const NO_ACTIONS: readonly TxAction[] = Object.freeze([]);
const FINAL: readonly TxAction[] = Object.freeze([Object.freeze({ kind: 'stop-timer' }), Object.freeze({ kind: 'complete' })] as const);
const FINAL_ACK: readonly TxAction[] = Object.freeze([Object.freeze({ kind: 'stop-timer' }), Object.freeze({ kind: 'send-ack' }), Object.freeze({ kind: 'complete' })] as const);
const SEND_FIRST: TxAction = Object.freeze({ kind: 'send', retransmission: false });

/** Feeds one event; events a state does not accept yield no actions. The list returned is not to be changed. */
export function handleTx(tx: TxFsm, event: TxEvent, policy: RetransmitPolicy): readonly TxAction[] {
  if (!TX_TRANSITIONS[tx.state][event.type]) return NO_ACTIONS;
  switch (event.type) {
    case 'SEND_REQ':
      return [SEND_FIRST, { kind: 'start-timer', ms: tx.rtoMs }];
    case 'TIMER_EXPIRY':
      if (tx.state === 'PROVISIONAL' || tx.retransmits >= policy.maxRetransmits) {
        const reason = tx.state === 'PROVISIONAL' ? 'no-final-response' : 'no-response';
        go(tx, event.type, 'FAILED');
        return [{ kind: 'fail', reason }];
      }
      // RFC 3435 §3.5.3: exponential backoff, bounded by a maximum.
      tx.retransmits++;
      tx.rtoMs = Math.min(tx.rtoMs * 2, policy.maxRtoMs);
      go(tx, event.type, 'AWAITING_RESPONSE');
      return [{ kind: 'send', retransmission: true }, { kind: 'start-timer', ms: tx.rtoMs }];
    case 'RX_PROVISIONAL':
      // RFC 3435 §3.5.6: stop retransmitting, wait longer for the final response.
      go(tx, event.type, 'PROVISIONAL');
      return [{ kind: 'stop-timer' }, { kind: 'start-timer', ms: policy.provisionalTimeoutMs }];
    case 'RX_FINAL': {
      go(tx, event.type, 'COMPLETED');
      return event.ackRequested ? FINAL_ACK : FINAL;
    }
  }
}

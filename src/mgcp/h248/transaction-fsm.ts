/**
 * One outgoing H.248 transaction request as a state machine declared as data (H.248.1 §8.2,
 * Annex D.1.2–D.1.4). No I/O: `handleTx` returns actions the transaction layer performs with
 * its clock and socket, so tests drive it in virtual time.
 */

export const TX_STATES = ['AWAITING_REPLY', 'PENDING', 'COMPLETED', 'FAILED'] as const;
export type TxState = (typeof TX_STATES)[number];

export type TxEvent =
  | { type: 'SEND_REQ' }
  | { type: 'TIMER_EXPIRY' }
  /** TransactionPending received (§8.2.3). */
  | { type: 'RX_PENDING' }
  /** TransactionReply received; `immAckRequired` when it asked for an immediate TransactionResponseAck. */
  | { type: 'RX_REPLY'; immAckRequired: boolean };

export type TxEventType = TxEvent['type'];

export const TX_EVENT_NAMES: Record<TxEventType, string> = {
  SEND_REQ: 'send transaction request',
  TIMER_EXPIRY: 'timer expiry',
  RX_PENDING: 'TransactionPending received',
  RX_REPLY: 'TransactionReply received',
};

/** For each state, the events it accepts and the states they may lead to. */
export const TX_TRANSITIONS: Readonly<Record<TxState, Partial<Record<TxEventType, readonly TxState[]>>>> = {
  AWAITING_REPLY: {
    SEND_REQ: ['AWAITING_REPLY'],
    TIMER_EXPIRY: ['AWAITING_REPLY', 'FAILED'],
    RX_PENDING: ['PENDING', 'FAILED'],
    RX_REPLY: ['COMPLETED'],
  },
  PENDING: {
    TIMER_EXPIRY: ['FAILED'],
    RX_PENDING: ['PENDING', 'FAILED'],
    RX_REPLY: ['COMPLETED'],
  },
  COMPLETED: {},
  FAILED: {},
};

export type TxFailReason = 'no-reply' | 'no-reply-after-pending' | 'pending-limit';

export type TxAction =
  | { kind: 'send'; retransmission: boolean }
  | { kind: 'start-timer'; ms: number }
  | { kind: 'stop-timer' }
  /** Acknowledge the reply: at once when it asked (ImmAckRequired), else with the next message or a short delay. */
  | { kind: 'ack'; immediate: boolean }
  | { kind: 'complete' }
  | { kind: 'fail'; reason: TxFailReason };

export interface RetransmitPolicy {
  /** First retransmission timer (Annex D.1.2: start small, back off exponentially). */
  initialRtoMs: number;
  /** Ceiling of the doubling timer. */
  maxRtoMs: number;
  /** Retransmissions before the peer counts as unreachable. */
  maxRetransmits: number;
  /** LONG-TIMER: how long to wait for the reply after a TransactionPending (§8.2.3, D.1.3). */
  longTimerMs: number;
  /** TransactionPendings accepted for one request before giving up (H.248.1 v2 §E.13 MGOriginatedPendingLimit). */
  maxPendings: number;
}

export const DEFAULT_RETRANSMIT_POLICY: RetransmitPolicy = {
  initialRtoMs: 500,
  maxRtoMs: 4000,
  maxRetransmits: 5,
  longTimerMs: 30_000,
  maxPendings: 20,
};

export interface TxFsm {
  state: TxState;
  retransmits: number;
  pendings: number;
  rtoMs: number;
}

export function newTx(policy: RetransmitPolicy): TxFsm {
  return { state: 'AWAITING_REPLY', retransmits: 0, pendings: 0, rtoMs: policy.initialRtoMs };
}

function go(tx: TxFsm, event: TxEventType, to: TxState): void {
  const allowed = TX_TRANSITIONS[tx.state][event];
  if (!allowed?.includes(to)) throw new Error(`H.248 transaction: ${tx.state} does not go to ${to} on ${event}`);
  tx.state = to;
}

/** Feeds one event; events a state does not accept yield no actions. */
export function handleTx(tx: TxFsm, event: TxEvent, policy: RetransmitPolicy): TxAction[] {
  if (!TX_TRANSITIONS[tx.state][event.type]) return [];
  switch (event.type) {
    case 'SEND_REQ':
      return [{ kind: 'send', retransmission: false }, { kind: 'start-timer', ms: tx.rtoMs }];
    case 'TIMER_EXPIRY':
      if (tx.state === 'PENDING') {
        go(tx, event.type, 'FAILED');
        return [{ kind: 'fail', reason: 'no-reply-after-pending' }];
      }
      if (tx.retransmits >= policy.maxRetransmits) {
        go(tx, event.type, 'FAILED');
        return [{ kind: 'fail', reason: 'no-reply' }];
      }
      // Annex D.1.2: retransmit with exponential backoff, bounded.
      tx.retransmits++;
      tx.rtoMs = Math.min(tx.rtoMs * 2, policy.maxRtoMs);
      go(tx, event.type, 'AWAITING_REPLY');
      return [{ kind: 'send', retransmission: true }, { kind: 'start-timer', ms: tx.rtoMs }];
    case 'RX_PENDING':
      tx.pendings++;
      if (tx.pendings > policy.maxPendings) {
        go(tx, event.type, 'FAILED');
        return [{ kind: 'stop-timer' }, { kind: 'fail', reason: 'pending-limit' }];
      }
      // §8.2.3: stop retransmitting; every TransactionPending restarts LONG-TIMER.
      go(tx, event.type, 'PENDING');
      return [{ kind: 'stop-timer' }, { kind: 'start-timer', ms: policy.longTimerMs }];
    case 'RX_REPLY':
      go(tx, event.type, 'COMPLETED');
      return [{ kind: 'stop-timer' }, { kind: 'ack', immediate: event.immAckRequired }, { kind: 'complete' }];
  }
}

/**
 * The four RFC 3261 §17 transaction state machines as data. `transition` is pure: the runner
 * (`transaction.ts`) performs the returned actions with an injected send and Clock.
 * Unreliable-transport (UDP) variant: timers A, D, E, G, I, J, K are all armed.
 */

export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

export type TxState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'terminated';

export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K';

export type TxEvent =
  | 'START' // client: TU hands the request; server: request received
  | 'RECV_1XX'
  | 'RECV_2XX'
  | 'RECV_FINAL' // 300–699 for ict; 200–699 for nict (mapped by the runner)
  | 'RECV_REQUEST' // retransmission of the server transaction's request
  | 'RECV_ACK'
  | 'TU_1XX'
  | 'TU_2XX'
  | 'TU_FINAL' // 300–699 for ist; 200–699 for nist
  | 'TRANSPORT_ERROR'
  | `TIMER_${TimerName}`;

/**
 * - send: transmit the event's message and remember it as the one to retransmit
 * - resend: retransmit the remembered message
 * - ack: build and send the ACK for a non-2xx final (§17.1.1.3), remembered for retransmission
 * - resendAck: retransmit that ACK
 * - start: arm a timer; `interval` picks its duration: 'initial' (T1 or the fixed value),
 *   'double' (A: ×2; E, G: min(×2, T2)), 'T2' (E in Proceeding)
 * - stop: disarm a timer
 * - passUp: deliver the received message to the TU
 * - timeout / transportError: tell the TU the transaction failed (§8.1.3.1 → 408 / 503)
 */
export type TxAction =
  | { do: 'send' }
  | { do: 'resend' }
  | { do: 'ack' }
  | { do: 'resendAck' }
  | { do: 'start'; timer: TimerName; interval?: 'initial' | 'double' | 'T2' }
  | { do: 'stop'; timer: TimerName }
  | { do: 'passUp' }
  | { do: 'timeout' }
  | { do: 'transportError' };

export interface TxTransition {
  to: TxState;
  do: readonly TxAction[];
}

type Table = Partial<Record<TxState, Partial<Record<TxEvent, TxTransition>>>>;

const failTransport: TxTransition = { to: 'terminated', do: [{ do: 'transportError' }] };

/** RFC 3261 §17.1.1.2, Figure 5. */
const ICT: Table = {
  calling: {
    START: { to: 'calling', do: [{ do: 'send' }, { do: 'start', timer: 'A' }, { do: 'start', timer: 'B' }] },
    TIMER_A: { to: 'calling', do: [{ do: 'resend' }, { do: 'start', timer: 'A', interval: 'double' }] },
    TIMER_B: { to: 'terminated', do: [{ do: 'timeout' }] },
    RECV_1XX: { to: 'proceeding', do: [{ do: 'stop', timer: 'A' }, { do: 'stop', timer: 'B' }, { do: 'passUp' }] },
    RECV_2XX: { to: 'terminated', do: [{ do: 'passUp' }] },
    RECV_FINAL: { to: 'completed', do: [{ do: 'stop', timer: 'A' }, { do: 'stop', timer: 'B' }, { do: 'ack' }, { do: 'passUp' }, { do: 'start', timer: 'D' }] },
    TRANSPORT_ERROR: failTransport,
  },
  proceeding: {
    RECV_1XX: { to: 'proceeding', do: [{ do: 'passUp' }] },
    RECV_2XX: { to: 'terminated', do: [{ do: 'passUp' }] },
    RECV_FINAL: { to: 'completed', do: [{ do: 'ack' }, { do: 'passUp' }, { do: 'start', timer: 'D' }] },
    TRANSPORT_ERROR: failTransport,
  },
  completed: {
    RECV_FINAL: { to: 'completed', do: [{ do: 'resendAck' }] },
    TIMER_D: { to: 'terminated', do: [] },
    TRANSPORT_ERROR: failTransport,
  },
};

/** RFC 3261 §17.1.2.2, Figure 6. */
const NICT: Table = {
  trying: {
    START: { to: 'trying', do: [{ do: 'send' }, { do: 'start', timer: 'E' }, { do: 'start', timer: 'F' }] },
    TIMER_E: { to: 'trying', do: [{ do: 'resend' }, { do: 'start', timer: 'E', interval: 'double' }] },
    TIMER_F: { to: 'terminated', do: [{ do: 'timeout' }] },
    RECV_1XX: { to: 'proceeding', do: [{ do: 'passUp' }] },
    RECV_FINAL: { to: 'completed', do: [{ do: 'stop', timer: 'E' }, { do: 'stop', timer: 'F' }, { do: 'passUp' }, { do: 'start', timer: 'K' }] },
    TRANSPORT_ERROR: failTransport,
  },
  proceeding: {
    TIMER_E: { to: 'proceeding', do: [{ do: 'resend' }, { do: 'start', timer: 'E', interval: 'T2' }] },
    TIMER_F: { to: 'terminated', do: [{ do: 'timeout' }] },
    RECV_1XX: { to: 'proceeding', do: [{ do: 'passUp' }] },
    RECV_FINAL: { to: 'completed', do: [{ do: 'stop', timer: 'E' }, { do: 'stop', timer: 'F' }, { do: 'passUp' }, { do: 'start', timer: 'K' }] },
    TRANSPORT_ERROR: failTransport,
  },
  completed: {
    TIMER_K: { to: 'terminated', do: [] },
  },
};

/** RFC 3261 §17.2.1, Figure 7 (2xx ends the transaction; the UAS core retransmits it, §13.3.1.4). */
const IST: Table = {
  proceeding: {
    START: { to: 'proceeding', do: [{ do: 'passUp' }] },
    RECV_REQUEST: { to: 'proceeding', do: [{ do: 'resend' }] },
    TU_1XX: { to: 'proceeding', do: [{ do: 'send' }] },
    TU_2XX: { to: 'terminated', do: [{ do: 'send' }] },
    TU_FINAL: { to: 'completed', do: [{ do: 'send' }, { do: 'start', timer: 'G' }, { do: 'start', timer: 'H' }] },
    TRANSPORT_ERROR: failTransport,
  },
  completed: {
    RECV_REQUEST: { to: 'completed', do: [{ do: 'resend' }] },
    TIMER_G: { to: 'completed', do: [{ do: 'resend' }, { do: 'start', timer: 'G', interval: 'double' }] },
    TIMER_H: { to: 'terminated', do: [{ do: 'timeout' }] },
    RECV_ACK: { to: 'confirmed', do: [{ do: 'stop', timer: 'G' }, { do: 'stop', timer: 'H' }, { do: 'start', timer: 'I' }] },
    TRANSPORT_ERROR: failTransport,
  },
  confirmed: {
    RECV_ACK: { to: 'confirmed', do: [] },
    RECV_REQUEST: { to: 'confirmed', do: [] },
    TIMER_I: { to: 'terminated', do: [] },
  },
};

/** RFC 3261 §17.2.2, Figure 8. */
const NIST: Table = {
  trying: {
    START: { to: 'trying', do: [{ do: 'passUp' }] },
    RECV_REQUEST: { to: 'trying', do: [] },
    TU_1XX: { to: 'proceeding', do: [{ do: 'send' }] },
    TU_FINAL: { to: 'completed', do: [{ do: 'send' }, { do: 'start', timer: 'J' }] },
  },
  proceeding: {
    RECV_REQUEST: { to: 'proceeding', do: [{ do: 'resend' }] },
    TU_1XX: { to: 'proceeding', do: [{ do: 'send' }] },
    TU_FINAL: { to: 'completed', do: [{ do: 'send' }, { do: 'start', timer: 'J' }] },
    TRANSPORT_ERROR: failTransport,
  },
  completed: {
    RECV_REQUEST: { to: 'completed', do: [{ do: 'resend' }] },
    TIMER_J: { to: 'terminated', do: [] },
    TRANSPORT_ERROR: failTransport,
  },
};

export const TABLES: Readonly<Record<TransactionKind, Table>> = { ict: ICT, nict: NICT, ist: IST, nist: NIST };

export const INITIAL_STATE: Readonly<Record<TransactionKind, TxState>> = {
  ict: 'calling',
  nict: 'trying',
  ist: 'proceeding',
  nist: 'trying',
};

/** The transition for an event, or undefined when the state ignores it. */
export function transition(kind: TransactionKind, state: TxState, event: TxEvent): TxTransition | undefined {
  return TABLES[kind][state]?.[event];
}

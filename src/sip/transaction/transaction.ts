/** Runs one RFC 3261 §17 transaction: feeds events to the table in `fsm.ts` and performs its actions. */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { T1, T2, T4 } from '../constants.js';
import { isReliable, type Endpoint, type SipMessage, type SipRequest, type SipResponse } from '../message.js';
import { INITIAL_STATE, transition, type TimerName, type TransactionKind, type TxEvent, type TxState } from './fsm.js';

export interface TransactionUser {
  /** A response (client) or the initial request (server) for the TU. */
  passUp?(msg: SipMessage, tx: Transaction): void;
  timeout?(tx: Transaction): void;
  transportError?(tx: Transaction): void;
  terminated?(tx: Transaction): void;
}

export interface TransactionDeps {
  clock: Clock;
  send(msg: SipMessage, to: Endpoint): void;
  /** RFC 3261 §17.1.1.3: the ACK for a non-2xx final, built from the INVITE and the response. */
  buildAck?(invite: SipRequest, res: SipResponse): SipRequest;
  onTransition?(tx: Transaction, from: TxState, event: TxEvent): void;
  /** Wire bytes of a message, so a finished server transaction can keep just its final response's bytes. */
  encode?(msg: SipMessage): Buffer;
  /** Sends bytes made by `encode`. */
  sendEncoded?(buf: Buffer, to: Endpoint): void;
}

/** Fixed durations (RFC 3261 Table 4, unreliable transport); A/E/G start at T1. */
const FIXED: Partial<Record<TimerName, number>> = { B: 64 * T1, F: 64 * T1, H: 64 * T1, J: 64 * T1, D: 32_000, I: T4, K: T4 };
/** Over TCP/TLS (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2): nothing is retransmitted, and D, I, J, K are zero. */
const NOT_ON_RELIABLE: ReadonlySet<TimerName> = new Set(['A', 'E', 'G']);
const ZERO_ON_RELIABLE: ReadonlySet<TimerName> = new Set(['D', 'I', 'J', 'K']);

export class Transaction {
  state: TxState;
  /** What `resend` retransmits: the request (client) or the last response (server). */
  private last: SipMessage | undefined;
  private ack: SipRequest | undefined;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly intervals = new Map<TimerName, number>();

  constructor(
    readonly kind: TransactionKind,
    readonly key: string,
    /** The request that created the transaction. */
    readonly request: SipRequest,
    /** Where requests (client) or responses (server) go. */
    readonly peer: Endpoint,
    private readonly deps: TransactionDeps,
    readonly tu: TransactionUser,
  ) {
    this.state = INITIAL_STATE[kind];
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  /** Latest response sent by a server transaction. */
  get lastResponse(): SipResponse | undefined {
    return this.last?.kind === 'response' ? this.last : undefined;
  }

  handle(event: TxEvent, msg?: SipMessage): boolean {
    if (this.state === 'terminated') return false;
    const t = transition(this.kind, this.state, event);
    if (!t) return false;
    const from = this.state;
    this.state = t.to;
    for (const a of t.do) {
      switch (a.do) {
        case 'send':
          this.last = msg ?? this.request;
          this.deps.send(this.last, this.peer);
          break;
        case 'resend':
          if (this.last) this.deps.send(this.last, this.peer);
          break;
        case 'ack':
          if (msg?.kind === 'response' && this.deps.buildAck) {
            this.ack = this.deps.buildAck(this.request, msg);
            this.deps.send(this.ack, this.peer);
          }
          break;
        case 'resendAck':
          if (this.ack) this.deps.send(this.ack, this.peer);
          break;
        case 'start':
          this.arm(a.timer, a.interval ?? 'initial');
          break;
        case 'stop':
          this.deps.clock.clearTimeout(this.timers.get(a.timer));
          this.timers.delete(a.timer);
          break;
        case 'passUp':
          if (msg) this.tu.passUp?.(msg, this);
          break;
        case 'timeout':
          this.tu.timeout?.(this);
          break;
        case 'transportError':
          this.tu.transportError?.(this);
          break;
      }
    }
    this.deps.onTransition?.(this, from, event);
    if (this.state === 'terminated') this.finish();
    return true;
  }

  /** The peer is reached over TCP or TLS. */
  get reliable(): boolean {
    return isReliable(this.peer);
  }

  private arm(timer: TimerName, interval: 'initial' | 'double' | 'T2'): void {
    if (this.reliable && NOT_ON_RELIABLE.has(timer)) return;
    let ms = this.reliable && ZERO_ON_RELIABLE.has(timer) ? 0 : FIXED[timer];
    if (ms === undefined) {
      const prev = this.intervals.get(timer) ?? T1;
      if (interval === 'initial') ms = T1;
      else if (interval === 'T2') ms = T2;
      else ms = timer === 'A' ? prev * 2 : Math.min(prev * 2, T2);
      this.intervals.set(timer, ms);
    }
    this.deps.clock.clearTimeout(this.timers.get(timer));
    this.timers.set(
      timer,
      this.deps.clock.setTimeout(() => {
        this.timers.delete(timer);
        this.handle(`TIMER_${timer}`);
      }, ms),
    );
  }

  private finish(): void {
    for (const h of this.timers.values()) this.deps.clock.clearTimeout(h);
    this.timers.clear();
    this.tu.terminated?.(this);
  }

  /** Ends the transaction at once (transport closing). */
  abort(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.finish();
  }
}

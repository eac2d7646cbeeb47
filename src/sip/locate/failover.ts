/**
 * RFC 3263 §4.3: one request over the targets server location found. A transport error, a 503 or
 * a transaction timeout (Timer B/F) of the attempt in progress, before anything else was heard
 * from it, starts a new client transaction (new branch) toward the next target and marks the
 * failed one; the last target's outcome is the request's. Optionally, no response at all from a
 * target within `noResponseFailoverMs` counts as a timeout of that target.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Endpoint, SipMessage } from '../message.js';
import type { Transaction, TransactionUser } from '../transaction/transaction.js';
import type { FailoverReason, TargetLocator } from './locator.js';
import type { ServerTarget } from './targets.js';

export interface FailoverOptions {
  clock: Clock;
  locator: TargetLocator;
  targets: readonly ServerTarget[];
  /** Starts one attempt: a fresh request (new branch) in a new client transaction to `dest`. */
  start(dest: Endpoint, tu: TransactionUser): Transaction;
  /** The caller's transaction user; it hears only the attempt that counts. */
  tu: TransactionUser;
  /** False once moving on would be wrong (e.g. the caller cancelled); asked before each failover. */
  mayFailOver?(): boolean;
  /** Told about each move, for logs. */
  onFailover?(from: ServerTarget, to: ServerTarget, reason: FailoverReason): void;
}

export const targetEndpoint = (t: ServerTarget): Endpoint => ({ address: t.address, port: t.port, ...(t.transport === 'udp' ? {} : { transport: t.transport }) });

export class TargetFailover {
  private index = 0;
  /** Which attempt is current: a callback of an earlier one (even one made while `start` runs) is ignored. */
  private attemptNo = 0;
  private tx!: Transaction;
  private heard = false;
  private silence: TimerHandle | undefined;

  constructor(private readonly o: FailoverOptions) {
    if (o.targets.length === 0) throw new RangeError('TargetFailover needs at least one target');
    this.attempt();
  }

  /** The transaction of the attempt in progress (for CANCEL, abort and the dialog's flow). */
  get current(): Transaction {
    return this.tx;
  }

  get target(): ServerTarget {
    return this.o.targets[this.index];
  }

  private attempt(): void {
    this.heard = false;
    const n = ++this.attemptNo;
    const mine = (_tx: Transaction) => n === this.attemptNo;
    const tx = this.o.start(targetEndpoint(this.target), {
      passUp: (msg: SipMessage, tx) => {
        if (!mine(tx)) return;
        this.heard = true;
        this.o.clock.clearTimeout(this.silence);
        if (msg.kind === 'response' && msg.status === 503 && this.moveOn('503')) return;
        this.o.tu.passUp?.(msg, tx);
      },
      timeout: (tx) => {
        if (!mine(tx)) return;
        this.o.clock.clearTimeout(this.silence);
        if (this.moveOn('timeout')) return;
        this.o.tu.timeout?.(tx);
      },
      transportError: (tx) => {
        if (!mine(tx)) return;
        this.o.clock.clearTimeout(this.silence);
        if (this.moveOn('transport')) return;
        this.o.tu.transportError?.(tx);
      },
      terminated: (tx) => {
        if (mine(tx)) this.o.tu.terminated?.(tx);
      },
    });
    // A failure reported while `start` ran has already begun the next attempt.
    if (n !== this.attemptNo) return;
    this.tx = tx;
    const wait = this.o.locator.noResponseFailoverMs;
    if (wait !== undefined && this.index + 1 < this.o.targets.length && !this.tx.terminated) {
      this.silence = this.o.clock.setTimeout(() => {
        if (this.heard || this.tx.terminated) return;
        const silent = this.tx;
        if (this.moveOn('no-response')) silent.abort();
      }, wait);
    }
  }

  /** Marks the current target failed; starts the next attempt when there is one and it is allowed. */
  private moveOn(reason: FailoverReason): boolean {
    const failed = this.target;
    this.o.locator.markFailed(failed);
    // A 503 after provisionals, or anything after the caller gave up, is the request's outcome.
    if (this.index + 1 >= this.o.targets.length || (this.heard && reason !== '503') || this.o.mayFailOver?.() === false) return false;
    this.index += 1;
    this.o.locator.failedOver(reason);
    this.o.onFailover?.(failed, this.target, reason);
    this.attempt();
    return true;
  }

  /** Stops the no-response timer (the request is over). */
  stop(): void {
    this.o.clock.clearTimeout(this.silence);
  }
}

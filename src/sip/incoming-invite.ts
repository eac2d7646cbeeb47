/** An INVITE received outside a dialog: the request and its responder for the call layer. */
import type { TimerHandle } from '../util/clock.js';
import type { InboundRequest, InviteResponder, SendOptions } from './port.js';
import { ReceivedRequest } from './received-request.js';

export { nameAddrInfo } from './received-request.js';
import type { Endpoint, SipRequest, SipResponse } from './message.js';
import type { Transaction } from './transaction/transaction.js';
import type { SipDialog } from './dialog.js';

/** A reliable provisional response (RFC 3262 §3) sent and not yet acknowledged by PRACK. */
export interface ReliableProvisional {
  res: SipResponse;
  rseq: number;
  interval: number;
  started: number;
  timer?: TimerHandle;
}

export class IncomingInvite extends ReceivedRequest implements InboundRequest, InviteResponder {
  canceled = false;
  /** Timer that answers 480 if the application never responds. */
  guard: TimerHandle | undefined;
  /** RFC 3262 §3: the caller supports or requires 100rel, so our 101–199 responses are sent reliably. */
  readonly reliable: boolean;
  /** RSeq of the next reliable provisional (§3: a random start below 2^31). */
  nextRseq = 1 + Math.floor(Math.random() * 2 ** 30);
  /** The reliable provisional awaiting its PRACK; further ones wait in `queued` (§3: one at a time). */
  unacked: ReliableProvisional | undefined;
  readonly queued: SipResponse[] = [];
  /** RSeq of the last reliable provisional sent; a PRACK for it is still answered 200 after our final response. */
  lastRseq: number | undefined;
  /** RFC 3262 §3: the application's 2xx, held until the reliable provisional with SDP is PRACKed. */
  held2xx: { send(): void; dialog: SipDialog } | undefined;

  constructor(
    request: SipRequest,
    source: Endpoint,
    readonly tx: Transaction,
    /** Our To tag for every response to this INVITE (§8.2.6.2). */
    readonly toTag: string,
    private readonly sender: (inv: IncomingInvite, status: number, reason: string | undefined, opts: SendOptions) => void,
    /** The stack's §8.2.2.2 merge key of this INVITE (detached), one string shared by every store that holds it. */
    readonly mergeKey: string,
  ) {
    super(request, source);
    const tags = [...request.headers.getAll('supported'), ...request.headers.getAll('require')].map((t) => t.trim().toLowerCase());
    this.reliable = tags.includes('100rel');
  }

  send(status: number, reason?: string, opts: SendOptions = {}): void {
    this.sender(this, status, reason, opts);
  }
}

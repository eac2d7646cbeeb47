/** An INVITE received outside a dialog: the request and its responder for the call layer. */
import type { TimerHandle } from '../util/clock.js';
import type { InboundRequest, InviteResponder, SendOptions } from './port.js';
import { ReceivedRequest } from './received-request.js';

export { nameAddrInfo } from './received-request.js';
import type { Endpoint, SipRequest } from './message.js';
import type { Transaction } from './transaction/transaction.js';

export class IncomingInvite extends ReceivedRequest implements InboundRequest, InviteResponder {
  canceled = false;
  /** Timer that answers 480 if the application never responds. */
  guard: TimerHandle | undefined;

  constructor(
    request: SipRequest,
    source: Endpoint,
    readonly tx: Transaction,
    /** Our To tag for every response to this INVITE (§8.2.6.2). */
    readonly toTag: string,
    private readonly sender: (inv: IncomingInvite, status: number, reason: string | undefined, opts: SendOptions) => void,
  ) {
    super(request, source);
  }

  send(status: number, reason?: string, opts: SendOptions = {}): void {
    this.sender(this, status, reason, opts);
  }
}

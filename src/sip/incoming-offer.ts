/**
 * An offer received inside a dialog — a re-INVITE (RFC 3261 §14.2) or an UPDATE (RFC 3311 §5.2) —
 * or a re-INVITE without SDP that asks for our offer: the request and its responder, handed to the
 * application through the Dialog's 'modify' event.
 */
import type { InboundRequest, InviteResponder, SendOptions } from './port.js';
import { ReceivedRequest } from './received-request.js';
import type { Endpoint, SipRequest } from './message.js';

export class IncomingOffer extends ReceivedRequest implements InboundRequest, InviteResponder {
  /** An offer inside a dialog is answered, not canceled, here (a CANCEL of a re-INVITE gets 200 and nothing else). */
  readonly canceled = false;

  constructor(
    request: SipRequest,
    source: Endpoint,
    private readonly sender: (status: number, reason: string | undefined, opts: SendOptions) => void,
  ) {
    super(request, source);
  }

  send(status: number, reason?: string, opts: SendOptions = {}): void {
    if (this.finalResponseSent) throw new Error(`final response already sent for ${this.method} ${this.callId}`);
    if (status < 101 || status > 699) throw new RangeError(`status ${status} cannot answer an offer`);
    if (status >= 200) this.finalResponseSent = true;
    this.sender(status, reason, opts);
    if (status >= 200) this.emit('final');
  }
}

/** A non-INVITE request handed to the application by `onRequest`, with its responder (RFC 3261 §8.2, §17.2.2). */
import type { InboundRequest, RequestResponder, ResponseSendOptions } from './port.js';
import { ReceivedRequest } from './received-request.js';
import type { Endpoint, SipRequest } from './message.js';

export class IncomingRequest extends ReceivedRequest implements InboundRequest, RequestResponder {
  /** A non-INVITE request is never canceled (§9: CANCEL has no effect on it). */
  readonly canceled = false;

  constructor(
    request: SipRequest,
    source: Endpoint,
    private readonly sender: (status: number, reason: string | undefined, opts: ResponseSendOptions) => void,
  ) {
    super(request, source);
  }

  send(status: number, reason?: string, opts: ResponseSendOptions = {}): void {
    if (this.finalResponseSent) throw new Error(`final response already sent for ${this.method} ${this.callId}`);
    if (status < 200 || status > 699) throw new RangeError(`a non-INVITE request gets one final response (200–699), not ${status}`);
    this.finalResponseSent = true;
    this.sender(status, reason, opts);
  }
}

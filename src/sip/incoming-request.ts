/** A non-INVITE request handed to the application by `onRequest`, with its responder (RFC 3261 §8.2, §17.2.2). */
import { EventEmitter } from 'node:events';
import type { InboundRequest, NameAddrInfo, RequestResponder, ResponseSendOptions } from './port.js';
import { parseUri } from './header-values.js';
import { nameAddrInfo } from './incoming-invite.js';
import type { Endpoint, SipRequest } from './message.js';

export class IncomingRequest extends EventEmitter implements InboundRequest, RequestResponder {
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  readonly calledNumber: string;
  readonly protocol = 'udp' as const;
  /** A non-INVITE request is never canceled (§9: CANCEL has no effect on it). */
  readonly canceled = false;
  finalResponseSent = false;

  constructor(
    readonly request: SipRequest,
    readonly source: Endpoint,
    private readonly sender: (status: number, reason: string | undefined, opts: ResponseSendOptions) => void,
  ) {
    super();
    this.from = nameAddrInfo(request.headers.get('from'));
    this.to = nameAddrInfo(request.headers.get('to'));
    this.calledNumber = parseUri(request.uri)?.user ?? '';
  }

  get method(): string {
    return this.request.method;
  }
  get uri(): string {
    return this.request.uri;
  }
  get callId(): string {
    return this.request.headers.get('call-id') ?? '';
  }
  get body(): string {
    return this.request.body.toString('utf8');
  }
  get sourceAddress(): string {
    return this.source.address;
  }
  get sourcePort(): number {
    return this.source.port;
  }
  get(name: string): string | undefined {
    return this.request.headers.get(name);
  }
  getAll(name: string): string[] {
    return this.request.headers.getAll(name);
  }

  send(status: number, reason?: string, opts: ResponseSendOptions = {}): void {
    if (this.finalResponseSent) throw new Error(`final response already sent for ${this.method} ${this.callId}`);
    if (status < 200 || status > 699) throw new RangeError(`a non-INVITE request gets one final response (200–699), not ${status}`);
    this.finalResponseSent = true;
    this.sender(status, reason, opts);
  }

  override on(event: 'cancel', listener: () => void): this {
    return super.on(event, listener);
  }
  override off(event: 'cancel', listener: () => void): this {
    return super.off(event, listener);
  }
}

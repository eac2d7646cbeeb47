/** An INVITE received outside a dialog: the request and its responder for the call layer. */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../util/clock.js';
import type { InboundRequest, InviteResponder, NameAddrInfo, SendOptions } from './port.js';
import { parseNameAddr, parseUri } from './header-values.js';
import type { Endpoint, SipRequest } from './message.js';
import type { Transaction } from './transaction/transaction.js';

export function nameAddrInfo(value: string | undefined): NameAddrInfo {
  const na = parseNameAddr(value ?? '');
  if (!na) return { uri: '', user: '' };
  return { uri: na.uri, user: parseUri(na.uri)?.user ?? '', tag: na.tag, displayName: na.displayName };
}

export class IncomingInvite extends EventEmitter implements InboundRequest, InviteResponder {
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  readonly calledNumber: string;
  readonly protocol = 'udp' as const;
  canceled = false;
  finalResponseSent = false;
  /** Timer that answers 480 if the application never responds. */
  guard: TimerHandle | undefined;

  constructor(
    readonly request: SipRequest,
    readonly source: Endpoint,
    readonly tx: Transaction,
    /** Our To tag for every response to this INVITE (§8.2.6.2). */
    readonly toTag: string,
    private readonly sender: (inv: IncomingInvite, status: number, reason: string | undefined, opts: SendOptions) => void,
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

  send(status: number, reason?: string, opts: SendOptions = {}): void {
    this.sender(this, status, reason, opts);
  }

  override on(event: 'cancel', listener: () => void): this {
    return super.on(event, listener);
  }

  override off(event: 'cancel', listener: () => void): this {
    return super.off(event, listener);
  }
}

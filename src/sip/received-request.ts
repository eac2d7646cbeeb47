/**
 * What every request handed to the application shares (INVITE through `onInvite`, other methods
 * through `onRequest`): the parsed parties, the called number and read access to the message.
 */
import { EventEmitter } from 'node:events';
import type { NameAddrInfo } from './port.js';
import { parseNameAddr, parseUri } from './header-values.js';
import type { Endpoint, SipRequest } from './message.js';

export function nameAddrInfo(value: string | undefined): NameAddrInfo {
  const na = parseNameAddr(value ?? '');
  if (!na) return { uri: '', user: '' };
  return { uri: na.uri, user: parseUri(na.uri)?.user ?? '', tag: na.tag, displayName: na.displayName };
}

export abstract class ReceivedRequest extends EventEmitter {
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  readonly calledNumber: string;
  finalResponseSent = false;

  constructor(
    readonly request: SipRequest,
    readonly source: Endpoint,
  ) {
    super();
    this.from = nameAddrInfo(request.headers.get('from'));
    this.to = nameAddrInfo(request.headers.get('to'));
    this.calledNumber = parseUri(request.uri)?.user ?? '';
  }

  /** The transport the request came over (RFC 3261 §18). */
  get protocol(): 'udp' | 'tcp' | 'tls' {
    return this.source.transport ?? 'udp';
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

  override on(event: 'cancel', listener: () => void): this {
    return super.on(event, listener);
  }
  override off(event: 'cancel', listener: () => void): this {
    return super.off(event, listener);
  }
}

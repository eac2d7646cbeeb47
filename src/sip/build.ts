/** Pure builders for the messages the UA core originates (RFC 3261 §8.1.1, §8.2.6, §12.1.1, §17.1.1.3). */
import { randomFillSync } from 'node:crypto';
import { BRANCH_COOKIE, reasonPhrase } from './constants.js';
import { formatVia, parseUri, parseVia } from './header-values.js';
import { SipHeaders, isReliable, type Endpoint, type SipRequest, type SipResponse, type SipTransportName } from './message.js';

/**
 * Random bytes drawn from a pool refilled 4 KiB at a time: one call into the CSPRNG per few hundred
 * tags and branches instead of one per token (each call costs far more than the bytes it returns).
 */
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

export function randomToken(bytes = 8): string {
  if (bytes > POOL.length) return randomFillSync(Buffer.alloc(bytes)).toString('hex');
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const token = POOL.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return token;
}

export function newBranch(): string {
  return BRANCH_COOKIE + randomToken(8);
}

export interface ResponseOptions {
  reason?: string;
  /** Added to To when it has none (RFC 3261 §8.2.6.2; not on 100). */
  toTag?: string;
  contact?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  contentType?: string;
  /** Copy Record-Route (dialog-creating responses, §12.1.1). */
  recordRoute?: boolean;
}

/** §8.2.6.2: Via, From, To, Call-ID, CSeq copied from the request. */
export function buildResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.entries()) if (v.key === 'via') h.append('Via', v.value);
  if (opts.recordRoute) for (const v of req.headers.entries()) if (v.key === 'record-route') h.append('Record-Route', v.value);
  // A header the request lacks is left out rather than sent empty (a 400 to RFC 4475 §3.3.1 insuf).
  const copy = (name: string, value: string | undefined) => value !== undefined && h.append(name, value);
  copy('From', req.headers.get('from'));
  let to = req.headers.get('to');
  if (to !== undefined && opts.toTag && status > 100 && !/;\s*tag\s*=/i.test(to)) to += `;tag=${opts.toTag}`;
  copy('To', to);
  copy('Call-ID', req.headers.get('call-id'));
  copy('CSeq', req.headers.get('cseq'));
  if (opts.contact) h.append('Contact', opts.contact);
  for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : (opts.body ?? Buffer.alloc(0));
  if (body.length > 0 && !h.has('content-type')) h.set('Content-Type', opts.contentType ?? 'application/sdp');
  return { kind: 'response', version: 'SIP/2.0', status, reason: opts.reason ?? reasonPhrase(status), headers: h, body };
}

const validPort = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n > 0 && n <= 65535;

/**
 * §18.2.1 and RFC 3581 §4: record where the request came from in the top Via. A `received`
 * or `rport` value the sender wrote itself is replaced, so it cannot steer our responses
 * to a third party (§18.2.2 sends them to `received`).
 */
export function stampReceived(req: SipRequest, source: Endpoint): void {
  const via = parseVia(req.headers.get('via') ?? '');
  if (!via) return;
  let changed = false;
  const sameHost = via.host.replace(/^\[|\]$/g, '') === source.address;
  if (!sameHost && via.params.get('received') !== source.address) {
    via.params.set('received', source.address);
    changed = true;
  } else if (sameHost && via.params.has('received')) {
    via.params.delete('received');
    changed = true;
  }
  if (via.params.has('rport') && via.params.get('rport') !== String(source.port)) {
    via.params.set('rport', String(source.port));
    changed = true;
  }
  if (changed) req.headers.replaceTop('via', formatVia(via));
}

/**
 * §18.2.2: where a response to req goes (after {@link stampReceived}): back over the connection a
 * request came on over TCP or TLS, else to `received`/`rport` or the Via's sent-by.
 */
export function responseDestination(req: SipRequest, source: Endpoint): Endpoint {
  if (isReliable(source)) return source;
  const via = parseVia(req.headers.get('via') ?? '');
  if (!via) return source;
  const received = via.params.get('received');
  const rport = Number(via.params.get('rport') || NaN);
  return {
    address: received || via.host.replace(/^\[|\]$/g, ''),
    port: validPort(rport) ? rport : via.port === undefined ? 5060 : validPort(via.port) ? via.port : source.port,
  };
}

/** The transport a URI asks for (§19.1.1 `transport` parameter, §26.2 `sips:` = TLS); undefined: any (UDP first). */
export function uriTransport(uri: string): SipTransportName | 'other' | undefined {
  const u = parseUri(uri.replace(/^<|>$/g, ''));
  if (!u) return undefined;
  const t = u.params.get('transport')?.toLowerCase();
  if (u.scheme === 'sips') return t === undefined || t === 'tls' || t === 'tcp' ? 'tls' : 'other';
  if (t === undefined) return undefined;
  return t === 'udp' || t === 'tcp' || t === 'tls' ? t : 'other';
}

/** Where a request to `uri` goes: the URI's host, port and transport as written (RFC 3263 location of a host name: src/sip/locate/). */
export function uriDestination(uri: string): Endpoint | undefined {
  const u = parseUri(uri.replace(/^<|>$/g, ''));
  if (!u || !u.host) return undefined;
  const maddr = u.params.get('maddr');
  if (u.port === 0) return undefined;
  const t = uriTransport(uri);
  const transport = t === 'tcp' || t === 'tls' ? t : undefined;
  return { address: (maddr || u.host).replace(/^\[|\]$/g, ''), port: u.port ?? (transport === 'tls' ? 5061 : 5060), ...(transport ? { transport } : {}) };
}

export interface RequestSpec {
  method: string;
  uri: string;
  via: { host: string; port: number; branch: string };
  from: string;
  to: string;
  callId: string;
  cseq: number;
  cseqMethod?: string;
  routes?: string[];
  contact?: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

/** §8.1.1: a request with the mandatory headers. */
export function buildRequest(spec: RequestSpec): SipRequest {
  const h = new SipHeaders();
  h.append('Via', `SIP/2.0/UDP ${spec.via.host}:${spec.via.port};branch=${spec.via.branch};rport`);
  h.append('Max-Forwards', '70');
  for (const r of spec.routes ?? []) h.append('Route', r);
  h.append('From', spec.from);
  h.append('To', spec.to);
  h.append('Call-ID', spec.callId);
  h.append('CSeq', `${spec.cseq} ${spec.cseqMethod ?? spec.method}`);
  if (spec.contact) h.append('Contact', spec.contact);
  for (const [k, v] of Object.entries(spec.headers ?? {})) h.set(k, v);
  const body = Buffer.from(spec.body ?? '', 'utf8');
  if (body.length > 0 && !h.has('content-type')) h.set('Content-Type', spec.contentType ?? 'application/sdp');
  return { kind: 'request', method: spec.method, uri: spec.uri, version: 'SIP/2.0', headers: h, body };
}

/** §17.1.1.3: the ACK for a non-2xx final, inside the INVITE transaction. */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const h = new SipHeaders();
  const topVia = invite.headers.entries().find((r) => r.key === 'via');
  if (topVia) h.append('Via', invite.headers.get('via') ?? topVia.value);
  h.append('Max-Forwards', '70');
  for (const r of invite.headers.getAll('route')) h.append('Route', r);
  h.append('From', invite.headers.get('from') ?? '');
  h.append('To', res.headers.get('to') ?? invite.headers.get('to') ?? '');
  h.append('Call-ID', invite.headers.get('call-id') ?? '');
  const seq = (invite.headers.get('cseq') ?? '1').trim().split(/\s+/)[0];
  h.append('CSeq', `${seq} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}


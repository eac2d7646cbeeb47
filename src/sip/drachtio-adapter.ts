/**
 * SignallingPort over drachtio-srf (production: an operator-deployed drachtio-server does the
 * SIP transport, transactions, 2xx retransmission and CANCEL handling). This file only maps
 * srf's request/response/Dialog onto the port's types.
 */
import { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { TapAddress } from '../util/message-tap.js';
import {
  SipError,
  type CreateUacOptions,
  type CreateUasOptions,
  type AckInfo,
  type DestroyInfo,
  type Dialog,
  type InDialogMethod,
  type InDialogRequestOptions,
  type ModifyOptions,
  type InboundRequest,
  type InviteResponder,
  type HandledMethod,
  type RequestResponder,
  type ResponseSendOptions,
  type NameAddrInfo,
  type RequestOptions,
  type RequestResult,
  type SendOptions,
  type SignallingPort,
} from './port.js';
import { T1 } from './constants.js';
import { parseNameAddr, parseUri } from './header-values.js';
import { splitList } from './message.js';

export interface DrachtioConfig {
  host: string;
  /** drachtio-server's admin port (9022 by default). */
  port: number;
  secret: string;
  logger: Logger;
  /** How long to wait for the server to accept us. */
  connectTimeoutMs?: number;
}

function nameAddrInfo(value: string | undefined): NameAddrInfo {
  const na = parseNameAddr(value ?? '');
  if (!na) return { uri: '', user: '' };
  return { uri: na.uri, user: parseUri(na.uri)?.user ?? '', tag: na.tag, displayName: na.displayName };
}

class DrachtioRequest extends EventEmitter implements InboundRequest {
  readonly from: NameAddrInfo;
  readonly to: NameAddrInfo;
  canceled = false;

  constructor(readonly inner: Srf.SrfRequest) {
    super();
    this.from = nameAddrInfo(inner.get('From'));
    this.to = nameAddrInfo(inner.get('To'));
    inner.on('cancel', () => {
      this.canceled = true;
      this.emit('cancel');
    });
  }
  get method(): string {
    return this.inner.method;
  }
  get uri(): string {
    return this.inner.uri;
  }
  get callId(): string {
    // srf's typings promise req.callId, but its Request has none at run time: read the header.
    return this.inner.callId ?? this.inner.get('Call-ID');
  }
  get calledNumber(): string {
    return parseUri(this.inner.uri)?.user ?? '';
  }
  get body(): string {
    return this.inner.body ?? '';
  }
  get sourceAddress(): string {
    return this.inner.source_address;
  }
  get sourcePort(): number {
    return Number(this.inner.source_port);
  }
  get protocol(): 'udp' | 'tcp' | 'tls' {
    const p = String(this.inner.protocol).toLowerCase();
    return p === 'tcp' || p === 'tls' ? p : 'udp';
  }
  get(name: string): string | undefined {
    return this.inner.has(name) ? this.inner.get(name) : undefined;
  }
  getAll(name: string): string[] {
    const v = this.get(name);
    return v === undefined ? [] : splitList(v);
  }
  override on(event: 'cancel', listener: () => void): this {
    return super.on(event, listener);
  }
  override off(event: 'cancel', listener: () => void): this {
    return super.off(event, listener);
  }
}

/** srf's Response#send with its callbacks: `sent` gets the message as sent, `pracked` the PRACK of a reliable provisional. */
type SendWithCallbacks = (status: number, reason: string | undefined, opts: object, sent: (err: unknown, msg?: Srf.SrfResponse) => void, pracked: () => void) => void;

class DrachtioResponder implements InviteResponder {
  /** Settles once every provisional sent so far is either unreliable or PRACKed (RFC 3262 §3). */
  private provisionalsDone: Promise<void> = Promise.resolve();

  /**
   * `reliable`: the caller supports or requires 100rel (RFC 3262 §3), so provisionals go with
   * Require: 100rel — which is what makes drachtio-server send them through its reliable path and
   * hand the PRACK to us; without it its SIP stack answers the PRACK itself and queues our 2xx.
   */
  constructor(
    readonly inner: Srf.SrfResponse,
    private readonly reliable = false,
  ) {}
  get finalResponseSent(): boolean {
    return this.inner.finalResponseSent;
  }
  send(status: number, reason?: string, opts: SendOptions = {}): void {
    const headers = { ...(opts.headers ?? {}) };
    if (opts.body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/sdp';
    const o = { headers, body: opts.body };
    if (status > 100 && status < 200) {
      if (this.reliable && !Object.keys(headers).some((k) => k.toLowerCase() === 'require')) headers.Require = '100rel';
      // A reliable provisional (RSeq) awaits its PRACK; a 2xx sent before it is queued by the
      // stack and srf cannot build the dialog from it, so createUAS waits (see untilPracked).
      let settle!: () => void;
      const done = new Promise<void>((r) => (settle = r));
      this.provisionalsDone = Promise.all([this.provisionalsDone, done]).then(() => undefined);
      const sent = (err: unknown, msg?: Srf.SrfResponse) => {
        if (err || !msg || typeof msg.has !== 'function' || !msg.has('RSeq')) settle();
      };
      (this.inner.send as unknown as SendWithCallbacks).call(this.inner, status, reason, o, sent, () => settle());
      return;
    }
    if (reason) this.inner.send(status, reason, o);
    else this.inner.send(status, o);
  }
  /** Resolves when no reliable provisional awaits its PRACK, or after `maxMs` (the PRACK never came). */
  untilPracked(maxMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((r) => (timer = setTimeout(r, maxMs)));
    return Promise.race([this.provisionalsDone, cap]).finally(() => clearTimeout(timer));
  }
}

class DrachtioRequestResponder implements RequestResponder {
  constructor(readonly inner: Srf.SrfResponse) {}
  get finalResponseSent(): boolean {
    return this.inner.finalResponseSent;
  }
  send(status: number, reason?: string, opts: ResponseSendOptions = {}): void {
    const headers: Record<string, string | string[]> = { ...(opts.headers ?? {}) };
    if (opts.body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = opts.contentType ?? 'text/plain';
    const o = { headers: headers as Record<string, string>, body: opts.body };
    if (reason) this.inner.send(status, reason, o);
    else this.inner.send(status, o);
  }
}

class DrachtioDialog extends EventEmitter implements Dialog {
  destroyed = false;

  constructor(private readonly inner: Srf.Dialog) {
    super();
    inner.on('destroy', (msg: Srf.SrfRequest) => {
      this.destroyed = true;
      const info: DestroyInfo = { by: 'remote', reason: msg.has('Reason') ? msg.get('Reason') : undefined, get: (n) => (msg.has(n) ? msg.get(n) : undefined) };
      this.emit('destroy', info);
    });
    inner.on('ack', (msg: Srf.SrfRequest) => this.emit('ack', msg?.body ? ({ sdp: msg.body } satisfies AckInfo) : undefined));
    // srf emits 'modify' for a re-INVITE (with or without SDP) and 'update' for an UPDATE once a
    // listener is registered; both reach the port's one 'modify' event.
    inner.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => this.offer(req, res));
    inner.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => this.offer(req, res));
    // RFC 3515: srf emits 'refer' for a REFER in the dialog once a listener is registered.
    inner.on('refer', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      if (this.listenerCount('refer') === 0) return void res.send(405, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK' } });
      this.emit('refer', new DrachtioRequest(req), new DrachtioRequestResponder(res));
    });
  }

  async request(method: InDialogMethod, opts: InDialogRequestOptions = {}): Promise<RequestResult> {
    if (this.destroyed) return { status: 481, reason: 'Call/Transaction Does Not Exist', get: () => undefined };
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = opts.contentType ?? 'text/plain';
    try {
      const res = await this.inner.request({ method, headers, body: opts.body } as unknown as Srf.SrfRequest);
      return { status: res.status, reason: res.reason, get: (n) => (res.has(n) ? res.get(n) : undefined) };
    } catch (err) {
      const e = toSipError(err);
      return e instanceof SipError ? { status: e.status, reason: e.reason, get: () => undefined } : { status: 503, reason: (err as Error).message, get: () => undefined };
    }
  }

  /** An offer from the far end: to the 'modify' listener, or answered with the current SDP when there is none. */
  private offer(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const inner = this.inner as Srf.Dialog & { local: { sdp: string; contact?: string } };
    const responder: InviteResponder = {
      get finalResponseSent() {
        return res.finalResponseSent;
      },
      send: (status, reason, opts = {}) => {
        const body = status >= 200 && status < 300 ? (opts.body ?? inner.local.sdp) : opts.body;
        if (status >= 200 && status < 300 && body) inner.local.sdp = body;
        const headers: Record<string, string> = { ...(opts.headers ?? {}) };
        if (body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/sdp';
        if (status >= 200 && status < 300 && inner.local.contact && !Object.keys(headers).some((k) => k.toLowerCase() === 'contact')) headers.Contact = inner.local.contact;
        if (reason) res.send(status, reason, { headers, body });
        else res.send(status, { headers, body });
      },
    };
    // An UPDATE without SDP only refreshes the dialog (RFC 3311 §5.2): nothing to negotiate.
    if (req.method === 'UPDATE' && !req.body) return void res.send(200, { headers: inner.local.contact ? { Contact: inner.local.contact } : {} });
    if (this.listenerCount('modify') === 0) return responder.send(200);
    this.emit('modify', new DrachtioRequest(req), responder);
  }

  async modify(sdp: string, opts: ModifyOptions = {}): Promise<string> {
    if (this.destroyed) throw new SipError(481, 'Call/Transaction Does Not Exist');
    try {
      if ((opts.method ?? 'INVITE') === 'INVITE') {
        const inner = this.inner as unknown as { modify(sdp: string, o: { headers?: Record<string, string> }): Promise<string> };
        return await inner.modify(sdp, opts.headers ? { headers: { ...opts.headers } } : {});
      }
      const res = await this.inner.request({ method: 'UPDATE', body: sdp, headers: { 'Content-Type': 'application/sdp', ...(opts.headers ?? {}) } } as unknown as Srf.SrfRequest);
      if (res.status >= 300) throw new SipError(res.status, res.reason);
      const inner = this.inner as Srf.Dialog & { local: { sdp: string }; remote: { sdp: string } };
      inner.local.sdp = sdp;
      if (res.body) inner.remote.sdp = res.body;
      return res.body ?? '';
    } catch (err) {
      throw toSipError(err);
    }
  }
  get id(): string {
    return `${this.callId};${this.localTag};${this.remoteTag}`;
  }
  get callId(): string {
    return this.inner.sip.callId;
  }
  get type(): 'uas' | 'uac' {
    return this.inner.type;
  }
  get localTag(): string {
    return this.inner.sip.localTag;
  }
  get remoteTag(): string {
    return this.inner.sip.remoteTag;
  }
  get localSdp(): string {
    return this.inner.local.sdp;
  }
  get remoteSdp(): string {
    return this.inner.remote.sdp;
  }
  destroy(opts: { headers?: Record<string, string> } = {}): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    return new Promise((resolve) => this.inner.destroy({ headers: opts.headers ?? {} }, () => resolve()));
  }
  override on(event: 'destroy', listener: (info: DestroyInfo) => void): this;
  override on(event: 'ack', listener: (info?: AckInfo) => void): this;
  override on(event: 'modify', listener: (req: InboundRequest, res: InviteResponder) => void): this;
  override on(event: 'refer', listener: (req: InboundRequest, res: RequestResponder) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override off(event: string, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}

/** drachtio-server's "udp/127.0.0.1:5060,tcp/127.0.0.1:5060" (or IPv6 "udp/[::1]:5060"): its SIP addresses. */
export function parseHostports(hostport: string): TapAddress[] {
  const out: TapAddress[] = [];
  for (const item of hostport.split(',')) {
    const m = /^[a-z]+\/\[?([^\]]+?)\]?:(\d{1,5})$/i.exec(item.trim());
    if (m && Number(m[2]) < 65536) out.push({ address: m[1], port: Number(m[2]) });
  }
  return out;
}

/** Gives up a connection that never authenticated, so srf does not keep reconnecting. */
function abandon(srf: Srf): void {
  try {
    srf.disconnect();
  } catch {
    // no socket registered yet
  }
}

function toSipError(err: unknown): unknown {
  const e = err as { name?: string; status?: number; reason?: string; res?: { get?(n: string): string } };
  if (e && e.name === 'SipError' && typeof e.status === 'number') return new SipError(e.status, e.reason ?? '');
  return err;
}

export class DrachtioSignallingPort implements SignallingPort {
  private constructor(
    private readonly srf: Srf,
    private readonly logger: Logger,
    /** drachtio-server's SIP listen addresses, as it announced them at connect. */
    readonly sipAddresses: readonly TapAddress[] = [],
  ) {}

  /** Connects to drachtio-server (inbound mode); rejects with SSW_ERR_DRACHTIO_UNAVAILABLE. */
  static async connect(cfg: DrachtioConfig): Promise<DrachtioSignallingPort> {
    const srf = new Srf();
    const logger = cfg.logger.child({ component: 'sip-drachtio' });
    let announced = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        abandon(srf);
        reject(new SoftswitchError('SSW_ERR_DRACHTIO_UNAVAILABLE', `${cfg.host}:${cfg.port}: no answer within ${cfg.connectTimeoutMs ?? 5000} ms`));
      }, cfg.connectTimeoutMs ?? 5000);
      srf.on('connect', (err: Error | null, hostport: string) => {
        clearTimeout(timer);
        if (err) {
          abandon(srf);
          reject(new SoftswitchError('SSW_ERR_DRACHTIO_UNAVAILABLE', `${cfg.host}:${cfg.port}: ${err.message}`, { cause: err }));
          return;
        }
        logger.info({ hostport }, 'connected to drachtio-server');
        announced = hostport ?? '';
        resolve();
      });
      srf.on('error', (err: Error) => logger.warn({ err }, 'drachtio connection error'));
      void srf.connect({ host: cfg.host, port: cfg.port, secret: cfg.secret });
    });
    return new DrachtioSignallingPort(srf, logger, parseHostports(announced));
  }

  onInvite(handler: (req: InboundRequest, res: InviteResponder) => void): void {
    this.srf.invite((req, res) => {
      const request = new DrachtioRequest(req);
      const options = [...request.getAll('Require'), ...request.getAll('Supported'), ...request.getAll('k')].map((t) => t.trim().toLowerCase());
      handler(request, new DrachtioResponder(res, options.includes('100rel')));
    });
  }

  onRequest(method: HandledMethod, handler: (req: InboundRequest, res: RequestResponder) => void): void {
    // drachtio-srf registers a handler per verb as srf.register(), srf.subscribe(), ... (missing from its index.d.ts).
    const verb = (this.srf as unknown as Record<string, (h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void) => void>)[method.toLowerCase()];
    if (typeof verb !== 'function') throw new TypeError(`drachtio-srf has no handler registration for ${method}`);
    verb.call(this.srf, (req, res) => handler(new DrachtioRequest(req), new DrachtioRequestResponder(res)));
  }

  async createUAS(req: InboundRequest, res: InviteResponder, opts: CreateUasOptions): Promise<Dialog> {
    if (!(req instanceof DrachtioRequest) || !(res instanceof DrachtioResponder)) throw new TypeError('createUAS needs a request delivered by this port');
    if (req.canceled) throw new SipError(487, 'Request Terminated');
    // RFC 3262 §3: no 2xx while a reliable provisional is unacknowledged (Timer F bounds the wait).
    await res.untilPracked(64 * T1);
    if (req.canceled) throw new SipError(487, 'Request Terminated');
    try {
      return new DrachtioDialog(await this.srf.createUAS(req.inner, res.inner, { localSdp: opts.localSdp, headers: opts.headers }));
    } catch (err) {
      throw toSipError(err);
    }
  }

  async createUAC(uri: string, opts: CreateUacOptions): Promise<Dialog> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.from) headers.From = opts.from.includes(':') ? `<${opts.from}>` : `<sip:${opts.from}@localhost>`;
    // Without an explicit To, drachtio-server writes the Request-URI's parameters (;transport=udp)
    // outside the brackets, as header parameters of To.
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'to')) headers.To = `<${opts.to ?? uri}>`;
    let sent: Srf.SrfRequest | undefined;
    let abortWanted = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // drachtio-server sends CANCEL only once a provisional has arrived (RFC 3261 §9.1). A string
    // abort reason is the CANCEL's RFC 3326 Reason (e.g. "Call completed elsewhere").
    const cancel = () => {
      const reason = opts.signal?.aborted && typeof opts.signal.reason === 'string' ? opts.signal.reason : undefined;
      // srf's Request#cancel(opts, callback) (its index.d.ts lists only the callback).
      const r = sent as unknown as { cancel(o: { headers?: Record<string, string> }, cb: () => void): void } | undefined;
      r?.cancel(reason ? { headers: { Reason: reason } } : {}, () => undefined);
    };
    const withdraw = () => {
      if (abortWanted) return;
      abortWanted = true;
      cancel();
    };
    opts.signal?.addEventListener('abort', withdraw, { once: true });
    const attempt = this.srf.createUAC(uri, { localSdp: opts.localSdp, headers }, {
      // drachtio-srf 5 calls this as (err, req), though its types and docs say (req).
      cbRequest: ((a: unknown, b?: unknown) => {
        const r = (b ?? a) as Srf.SrfRequest | null;
        if (!r || typeof r.cancel !== 'function') return;
        sent = r;
        if (abortWanted) cancel();
      }) as (req: Srf.SrfRequest) => void,
      cbProvisional: (p) => {
        if (!timedOut) opts.onProvisional?.({ status: p.status, reason: p.reason, sdp: p.body || undefined, get: (n) => (p.has(n) ? p.get(n) : undefined) });
      },
    });
    const timeout = new Promise<never>((_resolve, reject) => {
      if (opts.timeoutMs === undefined) return;
      timer = setTimeout(() => {
        timedOut = true;
        withdraw();
        reject(new SipError(408, 'Request Timeout'));
      }, Math.max(0, opts.timeoutMs));
    });
    // A 2xx after we gave up: the call is up at the far end, so end it.
    attempt.then(
      (d) => {
        if (timedOut) d.destroy();
      },
      () => undefined,
    );
    try {
      return new DrachtioDialog(await Promise.race([attempt, timeout]));
    } catch (err) {
      throw toSipError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  request(uri: string, opts: RequestOptions): Promise<RequestResult> {
    const local = (status: number, reason: string): RequestResult => ({ status, reason, get: () => undefined });
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'text/plain';
    if (opts.inDialog) Object.assign(headers, { 'Call-ID': opts.inDialog.callId, CSeq: `${opts.inDialog.cseq} ${opts.method}` });
    // A preloaded route set (RFC 3327 §5.3 Path): drachtio-server sends to its first hop.
    if (opts.route?.length) headers.Route = opts.route.join(', ');
    return new Promise<RequestResult>((resolve) => {
      let done = false;
      const finish = (r: RequestResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(r);
      };
      // drachtio-server runs the transaction (Timer F) and reports its timeout as a 408 response.
      const timer = setTimeout(() => finish(local(408, 'Request Timeout')), opts.timeoutMs ?? 64 * T1 + 1000);
      const send = this.srf.request as unknown as (
        uri: string,
        o: { method: string; headers: Record<string, string>; body?: string },
        cb: (err: unknown, req: Srf.SrfRequest) => void,
      ) => void;
      try {
        send.call(this.srf, uri, { method: opts.method, headers, body: opts.body }, (err, req) => {
          if (err) {
            this.logger.warn({ err, uri, method: opts.method }, 'drachtio request not sent');
            return finish(local(503, 'Service Unavailable'));
          }
          req.on('response', (res?: Srf.SrfResponse) => {
            if (res && res.status >= 200) finish({ status: res.status, reason: res.reason, get: (n) => (res.has(n) ? res.get(n) : undefined) });
          });
        });
      } catch (err) {
        this.logger.warn({ err, uri, method: opts.method }, 'drachtio request not sent');
        finish(local(503, 'Service Unavailable'));
      }
    });
  }

  async close(): Promise<void> {
    this.logger.debug('disconnecting from drachtio-server');
    this.srf.disconnect();
  }
}

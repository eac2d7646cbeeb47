/**
 * The UA core (RFC 3261 §8, §12–§15) over the transaction layer: one receive pipeline
 * (parse → check mandatory headers → match transaction → dispatch by method) with one error
 * exit that answers 400/505/413 when the request can be answered and drops it otherwise.
 */
import { detachedString } from '../util/detached-string.js';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { perRegistry } from '../util/metrics.js';
import { SipError, type CreateUacOptions, type HandledMethod, type InDialogMethod, type InDialogRequestOptions, type ModifyOptions, type RequestOptions, type RequestResult, type ResponseSendOptions, type SendOptions } from './port.js';
import { buildNon2xxAck, buildRequest, buildResponse, newBranch, randomToken, responseDestination, stampReceived, uriDestination, uriTransport, type ResponseOptions } from './build.js';
import { ALLOWED_METHODS, KNOWN_METHODS, T1, T2 } from './constants.js';
import { SipDialog, dialogId, type DialogState } from './dialog.js';
import { formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseUri, parseVia } from './header-values.js';
import { IncomingInvite, type ReliableProvisional } from './incoming-invite.js';
import { IncomingRequest } from './incoming-request.js';
import { IncomingOffer } from './incoming-offer.js';
import { headerKey, isReliable, type Endpoint, type SipMessage, type SipRequest, type SipResponse, type SipTransportName } from './message.js';
import { parseMessage } from './parser.js';
import { serializeMessage } from './serializer.js';
import { TransactionLayer, serverKey, topViaOf } from './transaction/layer.js';
import { ExpiringFifo } from './transaction/expiring-fifo.js';
import { requestDefect } from './validate.js';
import { DEFAULT_SESSION_TIMER_POLICY, negotiateAsUas, readAnswerAsUac, sessionDeadlineMs, type SessionTimerPolicy, type UasNegotiation } from './session-timer.js';
import { rawHeader } from './raw-request.js';
import { overloadRefusalHeaders, ShedFastPath } from './shed-fast-path.js';
import { bindCounter, BoundCounters } from '../util/bound-counter.js';
import { SampledLog, SourceRateLimiter, type AdmissionHook, type AdmissionVerdict, type RateLimitOptions } from './admission.js';
import type { Transaction, TransactionUser } from './transaction/transaction.js';
import type { LocateResult, TargetLocator } from './locate/locator.js';
import { TargetFailover } from './locate/failover.js';
import type { LocateError, ServerTarget } from './locate/targets.js';
import { isIP } from 'node:net';

/** The SIP stack's metrics, declared on the registry passed in; the gauges sum over the cores counting there. */
export const sipMetrics = perRegistry((registry: Registry) => {
  /** Cores counting into this registry (weakly held: a core that is dropped leaves). */
  const cores = new Set<WeakRef<UaCore>>();
  const sumOverCores = (read: (c: UaCore) => number): number => {
    let n = 0;
    for (const ref of cores) {
      const c = ref.deref();
      if (c) n += read(c);
      else cores.delete(ref);
    }
    return n;
  };
  new Gauge({
    name: 'softswitch_sip_server_transactions',
    help: 'Server transactions held: live (counted by the flood bound), unacknowledged (non-2xx final awaiting ACK), completed (compact, absorbing retransmissions)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'live' }, sumOverCores((c) => c.layer.size.servers));
      this.set({ state: 'unacknowledged' }, sumOverCores((c) => c.layer.size.unacknowledged));
      this.set({ state: 'completed' }, sumOverCores((c) => c.layer.size.completed));
    },
  });
  new Gauge({
    name: 'softswitch_sip_completed_transaction_bytes',
    help: 'Approximate bytes held by finished server transactions kept to absorb retransmissions',
    registers: [registry],
    collect() {
      this.set(sumOverCores((c) => c.layer.size.completedBytes));
    },
  });
  const m = {
    cores,
    received: new Counter({ name: 'softswitch_sip_messages_received_total', help: 'SIP messages received', labelNames: ['kind'], registers: [registry] }),
    rejected: new Counter({ name: 'softswitch_sip_malformed_total', help: 'SIP datagrams that failed to parse or lacked mandatory headers', registers: [registry] }),
    admissionRefused: new Counter({
      name: 'softswitch_sip_admission_refused_total',
      help: 'New requests the admission hook refused before any state was kept (verdict reject: stateless 403, drop: nothing sent)',
      labelNames: ['verdict', 'method'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'softswitch_sip_rate_limited_total',
      help: 'New requests over their source rate limit (action reject: stateless 503 with Retry-After, drop: nothing sent)',
      labelNames: ['action', 'method'],
      registers: [registry],
    }),
    overloaded: new Counter({
      name: 'softswitch_sip_overload_rejected_total',
      help: 'Requests refused with 503 because the server-transaction or dialog bound was reached',
      labelNames: ['method'],
      registers: [registry],
    }),
    responses: new Counter({
      name: 'softswitch_sip_responses_total',
      help: 'SIP responses by class (1xx..6xx) and direction (sent: built and sent by the stack, retransmissions by the transaction layer not included; received: parsed)',
      labelNames: ['class', 'direction'],
      registers: [registry],
    }),
    sessionsExpired: new Counter({
      name: 'softswitch_sip_session_expired_total',
      help: 'Dialogs ended with BYE because their session timer ran out without a refresh (RFC 4028 §10)',
      registers: [registry],
    }),
    shedFastPath: new Counter({
      name: 'softswitch_sip_shed_fast_path_total',
      help: 'Datagrams handled from their raw bytes while shedding: new INVITEs refused, retransmissions of refused INVITEs answered again, ACKs of those refusals absorbed',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    completedEvicted: new Counter({
      name: 'softswitch_sip_completed_evicted_total',
      help: 'Finished server transactions forgotten before their timer because the completed store was full',
      registers: [registry],
    }),
  };
  return {
    ...m,
    /** The fast path's counts, bound once (bound-counter.ts): a refusal costs additions, not label lookups. */
    fast: {
      ackAbsorbed: bindCounter(m.shedFastPath, { kind: 'ack-absorbed' }),
      inviteAgain: bindCounter(m.shedFastPath, { kind: 'invite-again' }),
      inviteRefused: bindCounter(m.shedFastPath, { kind: 'invite-refused' }),
      overloadRefused: bindCounter(m.admissionRefused, { verdict: 'overload', method: 'INVITE' }),
      sent5xx: bindCounter(m.responses, { class: '5xx', direction: 'sent' }),
    },
    /** Messages received by kind, and responses by class and direction, bound on first use. */
    receivedCounts: new BoundCounters(m.received),
    responseCounts: new BoundCounters(m.responses),
  };
});

/** An INVITE answered 2xx, remembered for Timer L: its dialog by id (not by reference) and CSeq. */
interface Accepted {
  dialogId: string;
  seq: number;
  /** §8.2.2.2 merge key of an initial INVITE, released when the entry goes. */
  merge?: string;
}

/** A metric label from a status code: 1xx..6xx (the parser admits only 100..699). */
const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/** A metric label from a wire method: known methods by name, anything else as one value. */
const methodLabel = (method: string): string => (KNOWN_METHODS.has(method) ? method : 'other');

export interface UaCoreOptions {
  clock: Clock;
  logger: Logger;
  /** A message out, over the transport `to` names (UDP when it names none). */
  send(buf: Buffer, to: Endpoint): void;
  /**
   * What the overload fast path sends (a stateless 503 to a new INVITE, again to its
   * retransmissions) where `send` also records each message for the call trail (default: `send`).
   * Those calls never start, so nothing would claim their trail.
   */
  sendUntraced?(buf: Buffer, to: Endpoint): void;
  /**
   * Each datagram the stack takes past the overload fast path, before it is handled (the call
   * trail's record of what arrived); the fast path's INVITEs and ACKs are not passed here.
   */
  traceIn?(buf: Buffer, from: Endpoint): void;
  /** Address and port put in Via and Contact. */
  local: { host: string; port: number };
  /** Ports of the transports open (default: UDP on local.port only). */
  transports?: Partial<Record<SipTransportName, number>>;
  /**
   * RFC 3261 §18.1.1: a request bigger than this that would go over UDP goes over TCP instead
   * when TCP is open (default 1300: path MTU unknown).
   */
  udpMaxRequestBytes?: number;
  /** True while a TCP/TLS connection to that peer is open (in-dialog requests reuse it). */
  connected?(to: Endpoint): boolean;
  userAgent?: string;
  /** An INVITE the application leaves without a final response this long gets 480 (default 300 s). */
  inviteGuardMs?: number;
  /**
   * Live server transactions (Trying/Proceeding: a request not yet finally answered) held at once;
   * past it new requests get 503 (RFC 3261 §21.5.4). Finished ones do not count. Default 20,000.
   */
  maxServerTransactions?: number;
  /** Finished server transactions (and 2xx-answered INVITEs) remembered to absorb retransmissions (default 200,000 each). */
  maxCompletedTransactions?: number;
  /** Bytes those finished transactions may hold, roughly (default 64 MiB). */
  maxCompletedBytes?: number;
  /** INVITE server transactions retransmitting a non-2xx final until the ACK, as full transactions (default 5,000). */
  maxUnacknowledgedFinals?: number;
  /** Dialogs held at once; past it a new INVITE gets 503. Default 50,000. */
  maxDialogs?: number;
  /** Retry-After (seconds) on those 503s. Default 10. */
  overloadRetryAfterS?: number;
  /** Decides what happens to a new request from a source before any state is kept (default: accept all). */
  admit?: AdmissionHook;
  /** Per-source token bucket for new requests (off when absent). */
  rateLimit?: RateLimitOptions;
  /** Shortest time between two log lines about refused sources (default 10 s). */
  refusalLogIntervalMs?: number;
  /** Where messages and refusals are counted (the switch's registry; default: one of the core's own). */
  registry?: Registry;
  /** Session timers (RFC 4028): our Min-SE (smaller requests get 422) and the most we grant. */
  sessionTimer?: Partial<SessionTimerPolicy>;
  /**
   * True while new INVITEs are being refused for overload (a cheap check, nothing counted): the
   * stack then reads new INVITEs over UDP from their raw bytes and refuses them without the full
   * parser (shed-fast-path.ts), asking `admit` as usual.
   */
  shedding?: () => boolean;
  /** Told of each new INVITE over UDP admitted here (the UDP I/O thread may then shed that source's new INVITEs: udp-thread/edge-shed.ts). */
  onInviteAdmitted?: (source: Endpoint) => void;
  /**
   * RFC 3263 server location for requests the stack originates outside a dialog (INVITE,
   * OPTIONS, MESSAGE, ...) to a host name, with failover between its targets (§4.3). Absent: the
   * name's address from the system resolver, port from the URI.
   */
  locator?: TargetLocator;
}


/** Methods `request()` sends outside a dialog. */
const OUT_OF_DIALOG_METHODS: ReadonlySet<string> = new Set(['OPTIONS', 'MESSAGE', 'INFO', 'NOTIFY']);
/** Headers the stack writes itself in a request it originates (§8.1.1); an application's copy is ignored. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set(['via', 'cseq', 'call-id', 'content-length']);


/**
 * The local final response when server location finds nowhere to send a request: 416 for a URI
 * that is not a SIP URI, otherwise 503 (RFC 3263 §4.3: no server could be reached), with the
 * reason the operator needs.
 */
function unlocated(e: LocateError): { status: number; reason: string } {
  if (e.code === 'bad-uri') return { status: 416, reason: 'Unsupported URI Scheme' };
  if (e.code === 'unsupported-transport') return { status: 503, reason: 'Service Unavailable (transport)' };
  return { status: 503, reason: `Service Unavailable (DNS: ${e.code})` };
}

/** §8.2.2.2: what makes two requests the same request arriving by two paths. */
function mergeKey(req: SipRequest): string {
  return `${req.headers.get('call-id') ?? ''}\n${parseNameAddr(req.headers.get('from') ?? '')?.tag ?? ''}\n${req.headers.get('cseq') ?? ''}`;
}
/** Option-tags this stack implements (RFC 3261 §19.2): reliable provisional responses (RFC 3262). */
const SUPPORTED_OPTIONS: ReadonlySet<string> = new Set(['100rel', 'timer']);
/** RFC 3262 §7.2: RAck = response-num CSeq-num Method. */
function parseRAck(v: string | undefined): { rseq: number; cseq: number; method: string } | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(v ?? '');
  return m ? { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3].toUpperCase() } : undefined;
}
const NOT_ASCII = /[^\x00-\x7f]/;
/** RFC 3261 §8.1.1.5: the CSeq of a request outside a dialog is less than 2^31. */
const MAX_INITIAL_CSEQ = 2 ** 31;

export class UaCore {
  readonly layer: TransactionLayer;
  private readonly dialogs = new Map<string, SipDialog>();
  private inviteHandler: ((inv: IncomingInvite) => void) | undefined;
  private readonly requestHandlers = new Map<string, (req: IncomingRequest) => void>();
  private readonly log: Logger;
  private readonly limiter: SourceRateLimiter | undefined;
  private readonly admissionLog: SampledLog;
  private readonly rateLog: SampledLog;
  private readonly hookErrorLog: SampledLog;
  private readonly m: ReturnType<typeof sipMetrics>;
  private readonly fast: ShedFastPath | undefined;
  /** The admission verdict the fast path already took for the datagram being received. */
  private presetVerdict: AdmissionVerdict | undefined;

  constructor(private readonly opts: UaCoreOptions) {
    this.m = sipMetrics(opts.registry ?? new Registry());
    if (opts.shedding) {
      this.fast = new ShedFastPath(opts.clock, overloadRefusalHeaders(opts.overloadRetryAfterS ?? 10, opts.userAgent));
    }
    this.log = opts.logger;
    this.limiter = opts.rateLimit ? new SourceRateLimiter(opts.rateLimit) : undefined;
    const every = opts.refusalLogIntervalMs ?? 10_000;
    this.admissionLog = new SampledLog(every, (f) => this.log.warn(f, 'sip request refused by admission policy (one line per interval; suppressedBefore counts the rest)'));
    this.rateLog = new SampledLog(every, (f) => this.log.warn(f, 'sip source over its rate limit (one line per interval; suppressedBefore counts the rest)'));
    this.hookErrorLog = new SampledLog(every, (f) => this.log.error(f, 'sip admission hook threw; request rejected'));
    this.layer = new TransactionLayer(
      {
        clock: opts.clock,
        send: (msg, to) => this.transmit(msg, to),
        buildAck: buildNon2xxAck,
        encode: (msg) => this.encode(msg),
        sendEncoded: (buf, to) => opts.send(buf, to),
      },
      { maxCompleted: opts.maxCompletedTransactions, maxCompletedBytes: opts.maxCompletedBytes, maxUnacknowledged: opts.maxUnacknowledgedFinals, onEvicted: () => this.m.completedEvicted.inc() },
    );
    this.accepted = new ExpiringFifo<Accepted>({
      clock: opts.clock,
      maxEntries: Math.max(1, opts.maxCompletedTransactions ?? 200_000),
      onRemove: (_key, a, cause) => {
        if (cause !== 'deleted' && a.merge !== undefined) this.ongoing.delete(a.merge);
      },
    });
    this.m.cores.add(new WeakRef(this));
  }

  onInvite(handler: (inv: IncomingInvite) => void): void {
    this.inviteHandler = handler;
  }

  onRequest(method: HandledMethod, handler: (req: IncomingRequest) => void): void {
    this.requestHandlers.set(method, handler);
  }

  /** Methods answered in Allow (§20.5): the stack's own and those an application took over. */
  private get allow(): string {
    return [...new Set<string>([...ALLOWED_METHODS, ...this.requestHandlers.keys()])].join(', ');
  }

  get dialogCount(): number {
    return this.dialogs.size;
  }

  /** Dialogs whose 2xx is still retransmitted for want of an ACK (§13.3.1.4). */
  get unacknowledgedDialogs(): number {
    let n = 0;
    for (const d of this.dialogs.values()) if (d.pending2xx) n++;
    return n;
  }

  private encode(msg: SipMessage): Buffer {
    if (this.opts.userAgent && !msg.headers.has(msg.kind === 'request' ? 'user-agent' : 'server')) {
      msg.headers.append(msg.kind === 'request' ? 'User-Agent' : 'Server', this.opts.userAgent);
    }
    return serializeMessage(msg);
  }

  private transmit(msg: SipMessage, to: Endpoint): void {
    if (msg.kind === 'response') this.countResponse(statusClass(msg.status), 'sent');
    this.opts.send(this.encode(msg), to);
  }

  private get contact(): string {
    return this.contactFor('udp');
  }

  /** Ports of the open transports. */
  private get ports(): Partial<Record<SipTransportName, number>> {
    return this.opts.transports ?? { udp: this.opts.local.port };
  }

  /** Our Contact for a message over transport `t` (§8.1.1.8): TCP and TLS say so, so the peer comes back the same way. */
  private contactFor(t: SipTransportName | undefined, user?: string): string {
    const port = this.ports[t ?? 'udp'] ?? this.opts.local.port;
    const who = `${user ? `${user}@` : ''}${this.opts.local.host}:${port}`;
    return t === 'tcp' || t === 'tls' ? `<sip:${who};transport=${t}>` : `<sip:${who}>`;
  }

  /** §18.1.1: can a request to `uri` be sent over a transport we have? */
  private canCarry(uri: string): boolean {
    const t = uriTransport(uri);
    if (t === 'other') return false;
    if (t === undefined) return this.ports.udp !== undefined || this.ports.tcp !== undefined;
    return this.ports[t] !== undefined;
  }

  /** RFC 3263 §4: located targets for a next hop that names a host (undefined: an address, or no locator). */
  private locateNextHop(nextHop: string): Promise<LocateResult> | undefined {
    if (!this.opts.locator) return undefined;
    const u = parseUri(nextHop.trim().replace(/^<|>$/g, ''));
    const host = (u?.params.get('maddr') || u?.host || '').replace(/^\[|\]$/g, '');
    if (!host || isIP(host)) return undefined;
    const open = (['udp', 'tcp', 'tls'] as const).filter((t) => this.ports[t] !== undefined);
    return this.opts.locator.locate(nextHop, open);
  }

  /** A request over located targets, failing over between them (RFC 3263 §4.3); without targets, one transaction to `dest`. */
  private startLocated(targets: readonly ServerTarget[] | undefined, dest: Endpoint, build: () => SipRequest, tu: TransactionUser, mayFailOver?: () => boolean): { current: Transaction; stop(): void } {
    if (!targets || !this.opts.locator) {
      const tx = this.startClient(build(), dest, tu);
      return { current: tx, stop: () => undefined };
    }
    let last: SipRequest | undefined;
    return new TargetFailover({
      clock: this.opts.clock,
      locator: this.opts.locator,
      targets,
      start: (to, attemptTu) => this.startClient((last = build()), to, attemptTu),
      tu,
      mayFailOver,
      onFailover: (from, to, reason) =>
        this.log.info({ callId: last?.headers.get('call-id'), method: last?.method, from, to, reason }, 'sip request failed over to the next RFC 3263 target'),
    });
  }

  /**
   * The transport a request goes over, written into its top Via (and our Contact): the one the
   * destination names, or UDP; TCP instead of UDP when the request is too big for a datagram
   * (§18.1.1, MTU unknown: over 1300 bytes) or UDP is not open.
   */
  private route(req: SipRequest, dest: Endpoint): Endpoint {
    const asked = dest.transport ?? 'udp';
    let t: SipTransportName = asked;
    if (t === 'udp' && this.ports.tcp !== undefined && (this.ports.udp === undefined || this.tooBigForUdp(req))) t = 'tcp';
    const via = parseVia(req.headers.get('via') ?? '');
    const port = this.ports[t];
    if (via && port !== undefined && via.host === this.opts.local.host && (via.transport.toUpperCase() !== t.toUpperCase() || via.port !== port)) {
      via.transport = t.toUpperCase();
      via.port = port;
      req.headers.replaceTop('via', formatVia(via));
    }
    const contact = req.headers.get('contact');
    if (contact && t !== 'udp') {
      const m = /^<sip:(?:([^@>;]*)@)?([^>;]*)>$/.exec(contact);
      if (m && m[2] === `${this.opts.local.host}:${this.ports.udp ?? this.opts.local.port}`) req.headers.set('Contact', this.contactFor(t, m[1]));
    }
    return t === asked ? dest : { ...dest, transport: t };
  }

  /** §18.1.1: bigger than a datagram may be; serialised only when the size cannot be told from the parts. */
  private tooBigForUdp(req: SipRequest): boolean {
    const limit = this.opts.udpMaxRequestBytes ?? 1300;
    // Start line, each header with its ": " and CRLF, Content-Length, User-Agent, body: exact in ASCII, within a few bytes.
    let chars = req.method.length + req.uri.length + 11 + 28 + (this.opts.userAgent ? this.opts.userAgent.length + 14 : 0);
    let ascii = NOT_ASCII.test(req.uri) === false;
    for (const r of req.headers.entries()) {
      chars += r.name.length + r.value.length + 4;
      if (ascii && NOT_ASCII.test(r.value)) ascii = false;
    }
    if (ascii) return chars + req.body.length > limit;
    return this.encode(req).length > limit;
  }

  /** Starts a client transaction over the transport {@link route} picks. */
  private startClient(req: SipRequest, dest: Endpoint, tu: TransactionUser): Transaction {
    return this.layer.startClient(req, this.route(req, dest), tu);
  }

  /** The transport could not reach `to` (a TCP/TLS connection failed): its transactions fail (503 to their TUs). */
  transportFailed(to: Endpoint): void {
    const n = this.layer.failPeer(to);
    if (n > 0) this.log.info({ to, transactions: n }, 'sip transport failure ended transactions');
  }

  /**
   * A stream the transport could not frame (§18.3: no Content-Length, or too big): the request in
   * its header section, if one can be read, is answered 400/413 before the connection closes.
   */
  refuseUnframed(head: Buffer | undefined, source: Endpoint, status: 400 | 413, reason: string): void {
    this.m.rejected.inc();
    if (!head) return;
    const parsed = parseMessage(head);
    const req = parsed.ok ? (parsed.message.kind === 'request' ? parsed.message : undefined) : parsed.error.partial;
    if (!req || req.method === 'ACK' || !this.answerable(req)) return;
    stampReceived(req, source);
    this.sendStateless(req, source, status, { reason: status === 400 ? `Bad Request (${reason})` : undefined });
  }

  // ---- receive pipeline -------------------------------------------------------------

  receive(buf: Buffer, source: Endpoint): void {
    if (this.fast && (source.transport === undefined || source.transport === 'udp') && this.shedRaw(buf, source)) return;
    this.opts.traceIn?.(buf, source);
    try {
      this.receiveParsed(buf, source);
    } finally {
      this.presetVerdict = undefined;
    }
  }

  /**
   * The fast path while shedding (shed-fast-path.ts): true when the datagram was dealt with from
   * its raw bytes. The admission hook and the source's rate limit apply as in {@link admitNew};
   * a verdict other than overload goes on to the full stack with the hook's answer kept.
   */
  private shedRaw(buf: Buffer, source: Endpoint): boolean {
    const c = this.fast!.classify(buf, source, this.opts.shedding!, (key) => this.layer.holdsServer(key) || this.accepted.has(key));
    if (!c) return false;
    if (c.kind === 'ack') {
      this.m.fast.ackAbsorbed.inc();
      return true;
    }
    if (c.kind === 'again') {
      this.m.fast.inviteAgain.inc();
      this.sendRaw(c);
      return true;
    }
    const raw = c.raw;
    let verdict: AdmissionVerdict = 'accept';
    if (this.opts.admit) {
      try {
        verdict = this.opts.admit({ address: source.address, port: source.port, method: raw.method, transport: 'udp', header: (n) => rawHeader(buf, raw, n) });
      } catch (err) {
        verdict = 'reject';
        this.hookErrorLog.note(this.opts.clock.now(), () => ({ err }));
      }
    }
    if (verdict !== 'overload') {
      // Not refused for overload: the full stack takes it, with this verdict (the hook is not asked twice).
      this.presetVerdict = verdict;
      return false;
    }
    if (this.limiter && !this.limiter.take(source.address, source.port, this.opts.clock.now())) {
      const action = this.opts.rateLimit?.overLimit ?? 'reject';
      this.m.rateLimited.inc({ action, method: 'INVITE' });
      this.rateLog.note(this.opts.clock.now(), () => ({ source, method: 'INVITE', action }));
      if (action === 'reject') this.sendRaw(this.fast!.refuse(raw, source, false, [['Retry-After', String(this.opts.rateLimit?.retryAfterS ?? 5)]]));
      return true;
    }
    this.m.fast.overloadRefused.inc();
    this.m.fast.inviteRefused.inc();
    this.sendRaw(this.fast!.refuse(raw, source, true));
    return true;
  }

  private countResponse(cls: string, direction: 'sent' | 'received'): void {
    this.m.responseCounts.get(cls + direction, () => ({ class: cls, direction })).inc();
  }

  private sendRaw(r: { bytes: Buffer; to: { address: string; port: number } }): void {
    this.m.fast.sent5xx.inc();
    (this.opts.sendUntraced ?? this.opts.send)(r.bytes, r.to);
  }

  private receiveParsed(buf: Buffer, source: Endpoint): void {
    const parsed = parseMessage(buf);
    if (!parsed.ok) {
      this.m.rejected.inc();
      const { partial } = parsed.error;
      if (partial && partial.method !== 'ACK' && this.answerable(partial)) {
        stampReceived(partial, source);
        if (!this.admitNew(partial, source)) return;
        this.sendStateless(partial, source, parsed.error.status, { reason: parsed.error.status === 400 ? `Bad Request (${parsed.error.code})` : undefined });
      } else {
        this.log.debug({ source, code: parsed.error.code, detail: parsed.error.detail }, 'sip datagram dropped');
      }
      return;
    }
    const msg = parsed.message;
    const kind = msg.kind === 'request' ? methodLabel(msg.method) : 'response';
    this.m.receivedCounts.get(kind, () => ({ kind })).inc();
    if (msg.kind === 'response') {
      this.countResponse(statusClass(msg.status), 'received');
      return this.receiveResponse(msg);
    }
    if (!this.answerable(msg)) {
      this.m.rejected.inc();
      this.log.debug({ source }, 'sip request without a usable Via dropped');
      return;
    }
    stampReceived(msg, source);
    // A retransmission, or the ACK of a non-2xx, for a transaction we hold (§17.2.3).
    if (this.layer.receiveRequest(msg)) return;
    // Anything else that would create state passes admission first; an ACK never does (§17.1.1.3:
    // it is never answered), so the ACK for a stateless refusal ends here without a trace.
    const known = msg.method !== 'ACK' && this.knownContext(msg);
    if (msg.method !== 'ACK' && !known && !this.admitNew(msg, source)) return;
    const cseq = parseCSeq(msg.headers.get('cseq') ?? '');
    // §8.2: the CSeq method must match the request method.
    if (!cseq || cseq.method !== msg.method) {
      this.m.rejected.inc();
      if (msg.method !== 'ACK') this.sendStateless(msg, source, 400, { reason: 'Bad Request (CSeq)' });
      return;
    }
    // §8.1.1.5: a request outside a dialog starts its CSeq below 2^31, leaving the dialog room to
    // count up to 2^32-1 (§12.2.1.1). One at or above it never gets a transaction or a dialog.
    if (cseq.seq >= MAX_INITIAL_CSEQ && msg.method !== 'ACK' && !parseNameAddr(msg.headers.get('to') ?? '')?.tag) {
      this.m.rejected.inc();
      this.sendStateless(msg, source, 400, { reason: 'Bad Request (CSeq not below 2^31)' });
      return;
    }
    // Syntax beyond what the parser needed (RFC 4475 §3.1.2, §3.3.1, §3.3.8), for requests that would
    // create state. One matched to a dialog or transaction is taken as it is, so that a peer's odd
    // Date header cannot keep a call up (§15.1.1: a BYE ends the session whatever the answer).
    if (!known && msg.method !== 'ACK') {
      const defect = requestDefect(msg);
      if (defect) {
        this.m.rejected.inc();
        this.sendStateless(msg, source, 400, { reason: `Bad Request (${defect})` });
        return;
      }
    }
    this.dispatchRequest(msg, source, cseq.seq);
  }

  /** State the request refers to: its dialog, the INVITE a CANCEL cancels, or an INVITE answered 2xx (Timer L). */
  private knownContext(req: SipRequest): boolean {
    const toTag = parseNameAddr(req.headers.get('to') ?? '')?.tag;
    if (toTag) {
      const fromTag = parseNameAddr(req.headers.get('from') ?? '')?.tag ?? '';
      if (this.dialogs.has(dialogId(req.headers.get('call-id') ?? '', toTag, fromTag))) return true;
    }
    if (req.method === 'CANCEL') return this.layer.findInviteFor(req) !== undefined;
    if (req.method === 'INVITE') return this.accepted.has(serverKey(req) ?? '');
    return false;
  }

  /**
   * The admission hook, then the source's token bucket, for a request that would create state
   * or be answered. False when it was refused here (stateless 403/503, or dropped).
   */
  private admitNew(req: SipRequest, source: Endpoint): boolean {
    let verdict: AdmissionVerdict = 'accept';
    if (this.presetVerdict !== undefined) {
      verdict = this.presetVerdict;
      this.presetVerdict = undefined;
    } else if (this.opts.admit) {
      try {
        verdict = this.opts.admit({ address: source.address, port: source.port, method: req.method, transport: source.transport ?? 'udp', header: (n) => req.headers.get(n) });
      } catch (err) {
        // Fail closed: a broken policy must not open the switch to everyone.
        verdict = 'reject';
        this.hookErrorLog.note(this.opts.clock.now(), () => ({ err }));
      }
    }
    if (verdict === 'drop') return this.refuseAdmission(req, source, 'drop');
    if (this.limiter && !this.limiter.take(source.address, source.port, this.opts.clock.now())) {
      // A source we refuse anyway is not told about its rate: its refusals just stop.
      const action = verdict === 'reject' ? 'drop' : (this.opts.rateLimit?.overLimit ?? 'reject');
      this.m.rateLimited.inc({ action, method: methodLabel(req.method) });
      this.rateLog.note(this.opts.clock.now(), () => ({ source, method: req.method, action }));
      if (action === 'reject') this.sendStateless(req, source, 503, { headers: { 'Retry-After': String(this.opts.rateLimit?.retryAfterS ?? 5) } });
      return false;
    }
    if (verdict === 'reject') return this.refuseAdmission(req, source, 'reject');
    if (verdict === 'overload') {
      this.m.admissionRefused.inc({ verdict, method: methodLabel(req.method) });
      this.sendStateless(req, source, 503, { headers: { 'Retry-After': String(this.opts.overloadRetryAfterS ?? 10), Reason: 'Q.850;cause=42' } });
      return false;
    }
    if (req.method === 'INVITE' && (source.transport ?? 'udp') === 'udp') this.opts.onInviteAdmitted?.(source);
    return true;
  }

  /** Counts what the UDP I/O thread refused, answered again and absorbed for overload (edge-shed.ts), as the fast path's own. */
  countEdgeShed(d: { refused: number; again: number; acks: number }): void {
    if (d.refused > 0) {
      this.m.fast.overloadRefused.inc(d.refused);
      this.m.fast.inviteRefused.inc(d.refused);
    }
    if (d.again > 0) this.m.fast.inviteAgain.inc(d.again);
    if (d.acks > 0) this.m.fast.ackAbsorbed.inc(d.acks);
    if (d.refused + d.again > 0) this.m.fast.sent5xx.inc(d.refused + d.again);
  }

  private refuseAdmission(req: SipRequest, source: Endpoint, verdict: 'reject' | 'drop'): false {
    this.m.admissionRefused.inc({ verdict, method: methodLabel(req.method) });
    this.admissionLog.note(this.opts.clock.now(), () => ({ source, method: req.method, verdict }));
    // §8.2.6 and §16.11: a stateless response, so the refusal keeps nothing.
    if (verdict === 'reject') this.sendStateless(req, source, 403);
    return false;
  }

  /** A request can be answered when its top Via says where (§18.2.2); missing From/To/Call-ID get a 400 (RFC 4475 §3.3.1). */
  private answerable(req: SipRequest): boolean {
    return topViaOf(req.headers.get('via') ?? '') !== undefined;
  }

  private sendStateless(req: SipRequest, source: Endpoint, status: number, opts: ResponseOptions = {}): void {
    this.transmit(buildResponse(req, status, { toTag: randomToken(), ...opts }), responseDestination(req, source));
  }

  private get atTransactionBound(): boolean {
    return this.layer.size.servers >= (this.opts.maxServerTransactions ?? 20_000);
  }

  /** §21.5.4: 503 with Retry-After, sent without a transaction so an overload adds no state. */
  private refuseOverload(req: SipRequest, source: Endpoint): void {
    this.m.overloaded.inc({ method: methodLabel(req.method) });
    this.sendStateless(req, source, 503, { headers: { 'Retry-After': String(this.opts.overloadRetryAfterS ?? 10) } });
  }

  /** Answers through a fresh non-INVITE server transaction, so retransmissions are absorbed (statelessly at the bound). */
  private answerNonInvite(req: SipRequest, source: Endpoint, status: number, opts: ResponseOptions = {}): void {
    const tx = this.atTransactionBound ? undefined : this.layer.startServer(req, responseDestination(req, source), {});
    const res = buildResponse(req, status, { toTag: randomToken(), ...opts });
    if (tx) this.layer.respond(tx, res);
    else this.transmit(res, responseDestination(req, source));
  }

  private dispatchRequest(req: SipRequest, source: Endpoint, seq: number): void {
    const toTag = parseNameAddr(req.headers.get('to') ?? '')?.tag;
    const fromTag = parseNameAddr(req.headers.get('from') ?? '')?.tag ?? '';
    const callId = req.headers.get('call-id') ?? '';
    const dialog = toTag ? this.dialogs.get(dialogId(callId, toTag, fromTag)) : undefined;
    const handler = this.requestHandlers.get(req.method);
    if (handler && req.method !== 'INVITE' && req.method !== 'ACK' && req.method !== 'CANCEL' && req.method !== 'BYE') return this.handOver(req, source, handler);
    switch (req.method) {
      case 'INVITE': {
        // The INVITE transaction ended with our 2xx: for 64*T1 a retransmitted INVITE is absorbed
        // (the "Accepted" state and Timer L of RFC 6026 §7.1), not taken as a new request.
        const accepted = this.accepted.get(serverKey(req) ?? '');
        if (accepted) {
          const p = this.dialogs.get(accepted.dialogId)?.pending2xx;
          if (p && p.cseq === accepted.seq) this.transmit(p.res, p.dest);
          return;
        }
        if (this.atTransactionBound || (!toTag && this.dialogs.size >= (this.opts.maxDialogs ?? 50_000))) return this.refuseOverload(req, source);
        if (!toTag && this.ongoing.has(mergeKey(req))) {
          // §8.2.2.2: same From tag, Call-ID and CSeq as an ongoing INVITE, other transaction: merged.
          const tx = this.layer.startServer(req, responseDestination(req, source), {});
          if (tx) this.layer.respond(tx, buildResponse(req, 482, { toTag: randomToken() }));
          return;
        }
        if (toTag) return this.reInvite(req, source, dialog, seq);
        return this.newInvite(req, source);
      }
      case 'ACK':
        return this.ackFor2xx(req, dialog, seq);
      case 'UPDATE':
        if (dialog && !dialog.destroyed) return this.update(req, source, dialog, seq);
        break;
      case 'PRACK':
        return this.prack(req, source);
      case 'REFER':
        if (dialog && !dialog.destroyed && dialog.listenerCount('refer') > 0) return this.refer(req, source, dialog, seq);
        break;
      case 'BYE':
        return this.bye(req, source, dialog, seq);
      case 'CANCEL':
        return this.cancel(req, source);
      case 'OPTIONS': {
        if (this.atTransactionBound) return this.refuseOverload(req, source);
        const refusal = toTag ? undefined : this.refuseHeaders(req);
        if (refusal) return this.answerNonInvite(req, source, refusal.status, { headers: refusal.headers });
        return this.answerNonInvite(req, source, 200, { headers: { Allow: this.allow, Accept: 'application/sdp' } });
      }
    }
    if (toTag && !dialog) return this.answerNonInvite(req, source, 481);
    // §8.2.1: 405 for a method we know but do not allow here (an UPDATE outside a dialog), 501 for one we do not know.
    return this.answerNonInvite(req, source, KNOWN_METHODS.has(req.method.toUpperCase()) ? 405 : 501, { headers: { Allow: this.allow } });
  }

  /**
   * A non-INVITE request for an application handler, in its own server transaction (§17.2.2) so
   * retransmissions are absorbed; the application owns any usage (registration, subscription) it creates.
   */
  private handOver(req: SipRequest, source: Endpoint, handler: (req: IncomingRequest) => void): void {
    if (this.atTransactionBound) return this.refuseOverload(req, source);
    const refusal = this.refuseHeaders(req);
    if (refusal) return this.answerNonInvite(req, source, refusal.status, { headers: refusal.headers });
    const dest = responseDestination(req, source);
    const tx = this.layer.startServer(req, dest, {});
    if (!tx) return;
    const toTag = randomToken();
    const incoming = new IncomingRequest(req, source, (status, reason, o: ResponseSendOptions) => {
      const res = buildResponse(req, status, { reason, toTag, body: o.body, contentType: o.contentType ?? 'text/plain' });
      for (const [name, value] of Object.entries(o.headers ?? {})) {
        if (Array.isArray(value)) for (const v of value) res.headers.append(name, v);
        else res.headers.set(name, value);
      }
      if (status === 405 && !res.headers.has('allow')) res.headers.set('Allow', this.allow);
      this.layer.respond(tx, res);
    });
    try {
      handler(incoming);
    } catch (err) {
      this.log.error({ err, method: req.method, callId: incoming.callId }, 'request handler threw');
      if (!incoming.finalResponseSent) incoming.send(500);
    }
  }

  // ---- UAS ------------------------------------------------------------------------------

  private newInvite(req: SipRequest, source: Endpoint): void {
    // Kept while the INVITE is ongoing and then 64*T1 with the accepted entry: a copy that does not hold the message.
    const merge = detachedString(mergeKey(req));
    const tx = this.layer.startServer(req, responseDestination(req, source), {
      timeout: () => this.log.debug({ callId: req.headers.get('call-id') }, 'no ACK for final response (timer H)'),
      // After a 2xx the key lives on with the accepted entry (see `accept`).
      terminated: (t) => {
        const status = t.lastResponse?.status ?? 0;
        if (status < 200 || status >= 300) this.ongoing.delete(merge);
      },
    });
    if (!tx) return;
    this.ongoing.add(merge);
    const inv = new IncomingInvite(req, source, tx, randomToken(), (i, status, reason, o) => this.respondInvite(i, status, reason, o), merge);
    this.pendingInvites.set(tx, inv);
    // §17.2.1: 100 Trying at once, so the caller stops retransmitting.
    this.layer.respond(tx, buildResponse(req, 100));
    const refusal = this.refuseInvite(req);
    if (refusal) return inv.send(refusal.status, undefined, { headers: refusal.headers });
    const guardMs = this.opts.inviteGuardMs ?? 300_000;
    inv.guard = this.opts.clock.setTimeout(() => {
      if (inv.finalResponseSent) return;
      this.log.warn({ callId: inv.callId, guardMs }, 'INVITE left unanswered; sending 480');
      inv.send(480);
    }, guardMs);
    if (!this.inviteHandler) {
      inv.send(480, 'Temporarily Unavailable');
      return;
    }
    try {
      this.inviteHandler(inv);
    } catch (err) {
      this.log.error({ err, callId: inv.callId }, 'invite handler threw');
      if (!inv.finalResponseSent) inv.send(500);
    }
  }

  /** §8.2.2.1 and §8.2.2.3: the Request-URI scheme and Require, for any request the UAS handles. */
  private refuseHeaders(req: SipRequest): { status: number; headers?: Record<string, string> } | undefined {
    const scheme = req.uri.slice(0, req.uri.indexOf(':')).toLowerCase();
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return { status: 416 };
    // §8.2.2.3: 420 naming every required option-tag we do not support.
    const unsupported = req.headers.getAll('require').filter((t) => !SUPPORTED_OPTIONS.has(t.trim().toLowerCase()));
    if (unsupported.length > 0) return { status: 420, headers: { Unsupported: unsupported.join(', ') } };
    return undefined;
  }

  private get sessionPolicy(): SessionTimerPolicy {
    return { ...DEFAULT_SESSION_TIMER_POLICY, ...this.opts.sessionTimer };
  }

  /** RFC 4028 §9: the session timer a request (INVITE or refresh) asks for, against our policy. */
  private negotiateSession(req: SipRequest): UasNegotiation {
    return negotiateAsUas((n) => req.headers.get(n), req.headers.getAll('supported'), this.sessionPolicy);
  }

  /** §8.2.2–§8.2.3: checks a UAS makes before the application sees the INVITE. */
  private refuseInvite(req: SipRequest): { status: number; headers?: Record<string, string> } | undefined {
    const refusal = this.refuseHeaders(req);
    if (refusal) return refusal;
    // RFC 4028 §9: 422 Session Interval Too Small, with our Min-SE.
    const st = this.negotiateSession(req);
    if (st.kind === 'too-small') return { status: 422, headers: { 'Min-SE': String(st.minSeS) } };
    const type = req.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
    if (req.body.length > 0 && type !== 'application/sdp') return { status: 415, headers: { Accept: 'application/sdp' } };
    // §21.4.7: the answer will be SDP; a caller that accepts no SDP cannot take it (RFC 4475 §3.3.15).
    const accept = req.headers.getAll('accept').map((a) => a.split(';')[0].trim().toLowerCase());
    if (req.headers.has('accept') && !accept.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*')) {
      return { status: 406, headers: { Warning: '399 - "only application/sdp can be answered"' } };
    }
    return undefined;
  }

  private respondInvite(inv: IncomingInvite, status: number, reason: string | undefined, o: SendOptions): void {
    if (inv.finalResponseSent) throw new Error(`final response already sent for ${inv.callId}`);
    if (status < 101 || status > 699) throw new RangeError(`status ${status} cannot be sent with send(); use 101–199 or 300–699`);
    if (status >= 200 && status < 300) throw new RangeError('2xx is sent by createUAS so that a dialog exists');
    const res = buildResponse(inv.request, status, {
      reason,
      toTag: inv.toTag,
      contact: status < 200 ? this.contactFor(inv.source.transport) : undefined,
      recordRoute: status < 200,
      headers: o.headers,
      body: o.body,
    });
    if (status >= 300) this.finalize(inv);
    if (status > 100 && status < 200 && inv.reliable) return this.sendReliable(inv, res);
    this.layer.respond(inv.tx, res);
  }

  /** INVITEs with a reliable provisional out, by Call-ID and our To tag, for their PRACKs (RFC 3262 §3). */
  private readonly early = new Map<string, IncomingInvite>();

  /**
   * RFC 3262 §3: a provisional response with Require: 100rel and the next RSeq, retransmitted at
   * T1, 2T1... until its PRACK; one at a time (later ones queue). Without a PRACK for 64*T1 the
   * INVITE is refused with 504 and the application told as by a CANCEL.
   */
  private sendReliable(inv: IncomingInvite, res: SipResponse): void {
    if (inv.unacked) return void inv.queued.push(res);
    const rseq = inv.nextRseq++;
    res.headers.set('Require', '100rel');
    res.headers.set('RSeq', String(rseq));
    const r: ReliableProvisional = { res, rseq, interval: T1, started: this.opts.clock.now() };
    inv.unacked = r;
    inv.lastRseq = rseq;
    this.early.set(`${inv.callId};${inv.toTag}`, inv);
    this.layer.respond(inv.tx, res);
    const again = () => {
      r.timer = this.opts.clock.setTimeout(() => {
        if (inv.unacked !== r || (inv.finalResponseSent && !inv.held2xx)) return;
        if (this.opts.clock.now() - r.started >= 64 * T1) {
          if (inv.held2xx) return this.dropHeld2xx(inv);
          this.log.warn({ callId: inv.callId, rseq }, 'no PRACK for a reliable provisional within 64*T1; refusing the INVITE (RFC 3262 §3)');
          inv.send(504, 'Server Time-out');
          inv.canceled = true;
          inv.emit('cancel');
          return;
        }
        this.transmit(r.res, inv.tx.peer);
        r.interval *= 2;
        again();
      }, Math.min(r.interval, Math.max(0, r.started + 64 * T1 - this.opts.clock.now())));
    };
    again();
  }

  /** RFC 3262 §3: a PRACK acknowledges the reliable provisional its RAck names: 200, then the next queued one goes. */
  private prack(req: SipRequest, source: Endpoint): void {
    const toTag = parseNameAddr(req.headers.get('to') ?? '')?.tag ?? '';
    const inv = this.early.get(`${req.headers.get('call-id') ?? ''};${toTag}`);
    const rack = parseRAck(req.headers.get('rack'));
    const inviteSeq = inv ? parseCSeq(inv.request.headers.get('cseq') ?? '')?.seq : undefined;
    if (!inv || !rack || rack.method !== 'INVITE' || rack.rseq !== inv.lastRseq || rack.cseq !== inviteSeq) {
      return this.answerNonInvite(req, source, 481);
    }
    // A PRACK crossing our final response (or repeated) is still the acknowledgement of that RSeq.
    const r = inv.unacked;
    if (!r) return this.answerNonInvite(req, source, 200);
    this.opts.clock.clearTimeout(r.timer);
    inv.unacked = undefined;
    this.answerNonInvite(req, source, 200);
    const next = inv.queued.shift();
    if (next && !inv.finalResponseSent) this.sendReliable(inv, next);
    else if (inv.held2xx) {
      const held = inv.held2xx;
      inv.held2xx = undefined;
      held.send();
    }
  }

  /** RFC 3262 §3: the PRACK never came for a provisional the held 2xx waited on: 504 instead, and the dialog ends. */
  private dropHeld2xx(inv: IncomingInvite): void {
    const { dialog } = inv.held2xx!;
    inv.held2xx = undefined;
    this.log.warn({ callId: inv.callId }, 'no PRACK for a reliable provisional within 64*T1; the held 2xx is replaced by 504 (RFC 3262 §3)');
    this.finalize(inv);
    this.forget(dialog);
    this.layer.respond(inv.tx, buildResponse(inv.request, 504, { toTag: inv.toTag }));
    try {
      dialog.emit('destroy', { by: 'failure', reason: 'no PRACK' });
    } catch (err) {
      this.log.error({ err, callId: dialog.callId }, 'destroy listener threw');
    }
  }

  /** §13.3.1.4: 200 OK with SDP, a dialog, and 2xx retransmission until ACK. */
  answer(inv: IncomingInvite, localSdp: string, headers: Record<string, string> = {}): SipDialog {
    if (inv.canceled) throw new SipError(487, 'Request Terminated');
    if (inv.finalResponseSent) throw new Error(`final response already sent for ${inv.callId}`);
    const req = inv.request;
    const st = this.negotiateSession(req);
    const res = buildResponse(req, 200, { toTag: inv.toTag, contact: this.contactFor(inv.source.transport), recordRoute: true, headers: st.kind === 'timer' ? { ...headers, ...st.headers } : headers, body: localSdp });
    const from = parseNameAddr(req.headers.get('from') ?? '');
    const contact = parseNameAddr(req.headers.get('contact') ?? '');
    const cseq = parseCSeq(req.headers.get('cseq') ?? '');
    const state: DialogState = {
      type: 'uas',
      callId: inv.callId,
      localTag: inv.toTag,
      remoteTag: from?.tag ?? '',
      localParty: res.headers.get('to') ?? '',
      remoteParty: req.headers.get('from') ?? '',
      remoteTarget: contact?.uri ?? from?.uri ?? '',
      routeSet: req.headers.getAll('record-route'),
      localSeq: Math.floor(Math.random() * 10_000) + 1,
      remoteSeq: cseq?.seq ?? 0,
      localSdp,
      remoteSdp: req.body.toString('utf8'),
      flow: isReliable(inv.source) ? inv.source : undefined,
    };
    const dialog = new SipDialog(state, this.dialogOps);
    this.dialogs.set(dialog.id, dialog);
    const send = () => {
      this.finalize(inv, false);
      this.layer.respond(inv.tx, res);
      dialog.pending2xx = { res, dest: inv.tx.peer, cseq: state.remoteSeq, interval: T1, started: this.opts.clock.now() };
      this.accept(req, dialog, state.remoteSeq, inv.mergeKey);
      this.schedule2xx(dialog);
      if (st.kind === 'timer') this.armSession(dialog, st.seS, st.refresher === 'uas');
    };
    // RFC 3262 §3: no 2xx while a reliable provisional that carried a session description is
    // unacknowledged; it goes when the PRACK comes. Provisionals still queued are not sent any more.
    if (inv.unacked && inv.unacked.res.body.length > 0) {
      inv.finalResponseSent = true;
      inv.queued.length = 0;
      inv.held2xx = { send, dialog };
      return dialog;
    }
    send();
    return dialog;
  }

  // ---- session timers (RFC 4028) ------------------------------------------------------------

  /** §10: the refresher refreshes at half the interval; the other side sends BYE when it runs out. */
  private armSession(dialog: SipDialog, seS: number, weRefresh: boolean): void {
    this.opts.clock.clearTimeout(dialog.session?.timer);
    const session: NonNullable<SipDialog['session']> = { seS, weRefresh };
    dialog.session = session;
    session.timer = this.opts.clock.setTimeout(() => {
      if (dialog.session !== session || dialog.destroyed) return;
      if (weRefresh) this.refreshSession(dialog);
      else this.expireSession(dialog);
    }, sessionDeadlineMs(seS, weRefresh));
  }

  /** The session timer a request we sent and its 2xx agreed (or none, §7.4); `weSent` tells whose roles "uac"/"uas" name. */
  private sessionFromAnswer(dialog: SipDialog, res: SipResponse): void {
    const st = readAnswerAsUac((n) => res.headers.get(n));
    if (!st) {
      this.opts.clock.clearTimeout(dialog.session?.timer);
      dialog.session = undefined;
      return;
    }
    this.armSession(dialog, st.seS, st.refresher === 'uac');
  }

  /** §10: a session refresh with the current SDP (unchanged, same version, RFC 3264 §8); glare is retried shortly. */
  private refreshSession(dialog: SipDialog): void {
    const session = dialog.session;
    if (!session) return;
    this.sendOffer(dialog, dialog.state.localSdp, {}).catch((err: unknown) => {
      if (dialog.destroyed || dialog.session !== session) return;
      const status = err instanceof SipError ? err.status : 500;
      // §10: 408 or 481 to a refresh: the session is gone.
      if (status === 408 || status === 481) return this.expireSession(dialog);
      const retryMs = status === 491 ? 500 + Math.floor(Math.random() * 1500) : (session.seS * 1000) / 4;
      this.log.info({ callId: dialog.callId, status, retryMs }, 'session refresh refused; trying again');
      session.timer = this.opts.clock.setTimeout(() => dialog.session === session && !dialog.destroyed && this.refreshSession(dialog), retryMs);
    });
  }

  /** §10: no refresh in time: BYE, and the application hears the dialog end as a failure. */
  private expireSession(dialog: SipDialog): void {
    this.m.sessionsExpired.inc();
    this.log.info({ callId: dialog.callId, seS: dialog.session?.seS }, 'session timer expired without a refresh; sending BYE (RFC 4028 §10)');
    void this.sendBye(dialog, { Reason: 'SIP;cause=408;text="Session expired"' });
    try {
      dialog.emit('destroy', { by: 'failure', reason: 'session expired' });
    } catch (err) {
      this.log.error({ err, callId: dialog.callId }, 'destroy listener threw');
    }
  }

  /**
   * RFC 6026 §7.1: remembers an INVITE answered 2xx for 64*T1 (Timer L) so its retransmissions
   * are absorbed; the merge key of an initial INVITE is released with it (§8.2.2.2). `merge` is
   * the detached key the `ongoing` set holds: one string for both.
   */
  private accept(req: SipRequest, dialog: SipDialog, seq: number, merge?: string): void {
    const key = serverKey(req);
    if (!key) {
      if (merge !== undefined) this.ongoing.delete(merge);
      return;
    }
    // 64*T1 of keys: copies that do not hold the request's text (util/detached-string.ts).
    this.accepted.set(detachedString(key), { dialogId: detachedString(dialog.id), seq, merge }, 64 * T1);
  }

  private schedule2xx(dialog: SipDialog): void {
    const p = dialog.pending2xx;
    if (!p) return;
    const left = p.started + 64 * T1 - this.opts.clock.now();
    p.timer = this.opts.clock.setTimeout(() => {
      if (dialog.pending2xx !== p) return;
      if (this.opts.clock.now() - p.started >= 64 * T1) {
        // §13.3.1.4: no ACK within 64*T1: confirm the dialog, then end it with BYE.
        this.clearPending2xx(dialog);
        this.log.info({ callId: dialog.callId }, 'no ACK for 2xx within 64*T1; sending BYE');
        void this.sendBye(dialog, {});
        try {
          dialog.emit('destroy', { by: 'failure', reason: 'no ACK' });
        } catch (err) {
          this.log.error({ err, callId: dialog.callId }, 'destroy listener threw');
        }
        return;
      }
      this.transmit(p.res, p.dest);
      p.interval = Math.min(p.interval * 2, T2);
      this.schedule2xx(dialog);
    }, Math.min(p.interval, left));
  }

  private ackFor2xx(req: SipRequest, dialog: SipDialog | undefined, seq: number): void {
    const p = dialog?.pending2xx;
    if (!dialog || !p || p.cseq !== seq) return;
    this.clearPending2xx(dialog);
    // RFC 3264 §4: after an offer in our 2xx (a re-INVITE without SDP), the ACK brings the answer.
    const sdp = req.body.length > 0 ? req.body.toString('utf8') : undefined;
    if (dialog.awaitingAnswerInAck) {
      dialog.awaitingAnswerInAck = false;
      if (sdp) dialog.state.remoteSdp = sdp;
    }
    dialog.emit('ack', sdp ? { sdp } : undefined);
  }

  /**
   * A re-INVITE (§14.2): glare and ordering answered here (491 while an offer of ours is pending or
   * our last 2xx awaits its ACK, 500 + Retry-After while an earlier re-INVITE is unanswered), a target
   * refresh applied, then the offer goes to the dialog's 'modify' listener. Without one, the current
   * local SDP answers (a refresh that changes nothing).
   */
  private reInvite(req: SipRequest, source: Endpoint, dialog: SipDialog | undefined, seq: number): void {
    const dest = responseDestination(req, source);
    const tx = this.layer.startServer(req, dest, {});
    if (!tx) return;
    if (!dialog || dialog.destroyed) return void this.layer.respond(tx, buildResponse(req, 481));
    if (seq <= dialog.state.remoteSeq) return void this.layer.respond(tx, buildResponse(req, 500, { reason: 'CSeq Out of Order' }));
    dialog.state.remoteSeq = seq;
    if (dialog.offerIn) return void this.layer.respond(tx, buildResponse(req, 500, { headers: { 'Retry-After': String(1 + Math.floor(Math.random() * 10)) } }));
    if (dialog.offerOut || dialog.pending2xx) return void this.layer.respond(tx, buildResponse(req, 491));
    const refusal = this.refuseOffer(req);
    if (refusal) return void this.layer.respond(tx, buildResponse(req, refusal.status, { headers: refusal.headers }));
    const contact = parseNameAddr(req.headers.get('contact') ?? '');
    if (contact) dialog.state.remoteTarget = contact.uri;
    dialog.offerIn = true;
    const st = this.negotiateSession(req);
    const offer = new IncomingOffer(req, source, (status, reason, o) => {
      if (status >= 200) dialog.offerIn = false;
      if (dialog.destroyed) return;
      if (status >= 300 || status < 200) {
        this.layer.respond(tx, buildResponse(req, status, { reason, headers: o.headers, body: o.body, contact: status < 200 ? this.contactFor(source.transport) : undefined }));
        return;
      }
      const body = o.body ?? dialog.state.localSdp;
      const res = buildResponse(req, status, { reason, contact: this.contactFor(source.transport), headers: st.kind === 'timer' ? { ...o.headers, ...st.headers } : o.headers, body });
      this.sessionAfterRefresh(dialog, st);
      dialog.state.localSdp = body;
      if (req.body.length > 0) dialog.state.remoteSdp = req.body.toString('utf8');
      else dialog.awaitingAnswerInAck = true;
      this.layer.respond(tx, res);
      dialog.pending2xx = { res, dest, cseq: seq, interval: T1, started: this.opts.clock.now() };
      this.accept(req, dialog, seq);
      this.schedule2xx(dialog);
    });
    if (st.kind === 'too-small') return offer.send(422, undefined, { headers: { 'Min-SE': String(st.minSeS) } });
    this.deliverOffer(dialog, offer);
  }

  /** RFC 4028 §9–§10: a 2xx to a refresh (re-INVITE or UPDATE) restarts the session timer with what it agreed, or ends it. */
  private sessionAfterRefresh(dialog: SipDialog, st: UasNegotiation): void {
    if (st.kind === 'timer') this.armSession(dialog, st.seS, st.refresher === 'uas');
    else if (dialog.session) {
      this.opts.clock.clearTimeout(dialog.session.timer);
      dialog.session = undefined;
    }
  }

  /** RFC 3311 §5.2: an UPDATE in a confirmed dialog; its offer is answered in the 200, glare gets 491. */
  private update(req: SipRequest, source: Endpoint, dialog: SipDialog, seq: number): void {
    if (seq <= dialog.state.remoteSeq) return this.answerNonInvite(req, source, 500, { reason: 'CSeq Out of Order', toTag: dialog.localTag });
    dialog.state.remoteSeq = seq;
    const dest = responseDestination(req, source);
    const tx = this.layer.startServer(req, dest, {});
    if (!tx) return;
    const hasOffer = req.body.length > 0;
    if (hasOffer && (dialog.offerOut || dialog.offerIn || dialog.awaitingAnswerInAck)) return void this.layer.respond(tx, buildResponse(req, 491));
    const refusal = this.refuseOffer(req);
    if (refusal) return void this.layer.respond(tx, buildResponse(req, refusal.status, { headers: refusal.headers }));
    const contact = parseNameAddr(req.headers.get('contact') ?? '');
    if (contact) dialog.state.remoteTarget = contact.uri;
    const st = this.negotiateSession(req);
    if (st.kind === 'too-small') return void this.layer.respond(tx, buildResponse(req, 422, { headers: { 'Min-SE': String(st.minSeS) } }));
    const stHeaders = st.kind === 'timer' ? st.headers : undefined;
    if (!hasOffer) {
      this.sessionAfterRefresh(dialog, st);
      return void this.layer.respond(tx, buildResponse(req, 200, { contact: this.contactFor(source.transport), headers: stHeaders }));
    }
    dialog.offerIn = true;
    const offer = new IncomingOffer(req, source, (status, reason, o) => {
      if (status < 200) return; // §5.2: no provisional responses to UPDATE are needed
      dialog.offerIn = false;
      if (dialog.destroyed) return;
      if (status < 300) {
        const body = o.body ?? dialog.state.localSdp;
        dialog.state.localSdp = body;
        dialog.state.remoteSdp = req.body.toString('utf8');
        this.sessionAfterRefresh(dialog, st);
        this.layer.respond(tx, buildResponse(req, status, { reason, contact: this.contactFor(source.transport), headers: { ...o.headers, ...stHeaders }, body }));
      } else {
        this.layer.respond(tx, buildResponse(req, status, { reason, headers: o.headers }));
      }
    });
    this.deliverOffer(dialog, offer);
  }

  /** Hands an offer to the dialog's 'modify' listener, or answers it with the current SDP when there is none. */
  private deliverOffer(dialog: SipDialog, offer: IncomingOffer): void {
    // An offer the application leaves unanswered would block every later one (§14.2: 500): answer it 500 after 64*T1.
    const guard = this.opts.clock.setTimeout(() => {
      if (offer.finalResponseSent || dialog.destroyed) return;
      this.log.warn({ callId: dialog.callId, method: offer.method }, 'offer inside the dialog left unanswered; sending 500');
      offer.send(500, undefined, { headers: { 'Retry-After': '5' } });
    }, 64 * T1);
    offer.once('final', () => this.opts.clock.clearTimeout(guard));
    // RFC 3264 §8: an offer identical to the last one (a session refresh, RFC 4028) changes nothing: our SDP answers it.
    if (dialog.listenerCount('modify') === 0 || (offer.body !== '' && offer.body === dialog.state.remoteSdp)) return offer.send(200);
    try {
      dialog.emit('modify', offer, offer);
    } catch (err) {
      this.log.error({ err, callId: dialog.callId }, 'modify listener threw');
      if (!offer.finalResponseSent) offer.send(500);
    }
  }

  /** §8.2.3 and RFC 3311 §5.2: a body in an offer inside a dialog must be SDP. */
  private refuseOffer(req: SipRequest): { status: number; headers?: Record<string, string> } | undefined {
    const unsupported = req.headers.getAll('require').filter((t) => !SUPPORTED_OPTIONS.has(t.trim().toLowerCase()));
    if (unsupported.length > 0) return { status: 420, headers: { Unsupported: unsupported.join(', ') } };
    const type = req.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
    if (req.body.length > 0 && type !== 'application/sdp') return { status: 415, headers: { Accept: 'application/sdp' } };
    return undefined;
  }

  /**
   * RFC 3515 §2.4.2: a REFER inside a dialog, in its own non-INVITE server transaction, to the
   * dialog's 'refer' listener (which answers 202 or refuses). §12.2.2: CSeq order as for any request.
   */
  private refer(req: SipRequest, source: Endpoint, dialog: SipDialog, seq: number): void {
    if (this.atTransactionBound) return this.refuseOverload(req, source);
    if (seq <= dialog.state.remoteSeq) return this.answerNonInvite(req, source, 500, { reason: 'CSeq Out of Order', toTag: dialog.localTag });
    dialog.state.remoteSeq = seq;
    const tx = this.layer.startServer(req, responseDestination(req, source), {});
    if (!tx) return;
    const incoming = new IncomingRequest(req, source, (status, reason, o: ResponseSendOptions) => {
      const res = buildResponse(req, status, { reason, body: o.body, contentType: o.contentType ?? 'text/plain', contact: status < 300 ? this.contact : undefined });
      for (const [name, value] of Object.entries(o.headers ?? {})) {
        if (Array.isArray(value)) for (const v of value) res.headers.append(name, v);
        else res.headers.set(name, value);
      }
      this.layer.respond(tx, res);
    });
    try {
      dialog.emit('refer', incoming, incoming);
    } catch (err) {
      this.log.error({ err, callId: dialog.callId }, 'refer listener threw');
      if (!incoming.finalResponseSent) incoming.send(500);
    }
  }

  private bye(req: SipRequest, source: Endpoint, dialog: SipDialog | undefined, seq: number): void {
    if (!dialog || dialog.destroyed) return this.answerNonInvite(req, source, 481);
    // §12.2.2: a lower CSeq than the last one seen is out of order.
    if (seq < dialog.state.remoteSeq) return this.answerNonInvite(req, source, 500, { reason: 'CSeq Out of Order' });
    dialog.state.remoteSeq = seq;
    this.answerNonInvite(req, source, 200);
    this.forget(dialog);
    const reasons = req.headers.getAll('reason');
    const reason = reasons.length ? reasons.join(', ') : undefined;
    dialog.emit('destroy', { by: 'remote', reason, get: (n: string) => req.headers.get(n) });
  }

  /** §9.2: 200 to the CANCEL, then 487 to the INVITE if it has no final response yet. */
  private cancel(req: SipRequest, source: Endpoint): void {
    const inviteTx = this.layer.findInviteFor(req);
    if (!inviteTx) return this.answerNonInvite(req, source, 481);
    const inv = this.pendingInvites.get(inviteTx);
    const toTag = inv?.toTag;
    this.answerNonInvite(req, source, 200, { toTag });
    if (!inv || inv.finalResponseSent) return;
    this.finalize(inv);
    inv.canceled = true;
    this.layer.respond(inviteTx, buildResponse(inv.request, 487, { toTag }));
    inv.emit('cancel');
  }

  private readonly pendingInvites = new WeakMap<Transaction, IncomingInvite>();

  private finalize(inv: IncomingInvite, failure = true): void {
    // A refused INVITE no longer merges (§8.2.2.2): a UAC may retry at once, e.g. after a 3xx.
    if (failure) this.ongoing.delete(inv.mergeKey);
    inv.finalResponseSent = true;
    this.opts.clock.clearTimeout(inv.guard);
    inv.guard = undefined;
    // RFC 3262 §3: a final response ends the retransmission of reliable provisionals.
    this.opts.clock.clearTimeout(inv.unacked?.timer);
    inv.unacked = undefined;
    inv.queued.length = 0;
    const key = `${inv.callId};${inv.toTag}`;
    // A PRACK may still be on its way (it crossed our final response): keep the match for 64*T1.
    if (this.early.get(key) === inv) this.opts.clock.setTimeout(() => this.early.get(key) === inv && this.early.delete(key), 64 * T1);
  }
  /** Answered INVITEs for 64*T1 after their 2xx, by server-transaction key (RFC 6026 Timer L), bounded. */
  private readonly accepted: ExpiringFifo<Accepted>;
  /** §8.2.2.2: From tag, Call-ID and CSeq of INVITEs in progress or accepted. */
  private readonly ongoing = new Set<string>();

  private clearPending2xx(dialog: SipDialog): void {
    if (dialog.pending2xx) this.opts.clock.clearTimeout(dialog.pending2xx.timer);
    dialog.pending2xx = undefined;
  }

  private forget(dialog: SipDialog): void {
    dialog.destroyed = true;
    this.opts.clock.clearTimeout(dialog.session?.timer);
    dialog.session = undefined;
    this.clearPending2xx(dialog);
    this.dialogs.delete(dialog.id);
  }

  // ---- in-dialog requests we send -------------------------------------------------------

  private dialogDestination(state: DialogState): Endpoint | undefined {
    // The connection the dialog came up over, while it lasts (a peer behind NAT or a TCP-only
    // client is reachable on no other way; RFC 5923 reuses connections the same way).
    if (state.flow && this.opts.connected?.(state.flow)) return state.flow;
    const first = state.routeSet[0];
    if (first) {
      const na = parseNameAddr(first);
      // §12.2.1.1: a strict router (no lr) would take the Request-URI; only loose routing is done here.
      if (na) return uriDestination(na.uri);
    }
    return uriDestination(state.remoteTarget);
  }

  /** §12.2.1.1: a request within the dialog: its route set, remote target, parties and the next local CSeq. */
  private inDialogRequest(s: DialogState, method: string, cseq: number, extra: { headers?: Record<string, string>; body?: string; contentType?: string; contact?: boolean }): SipRequest {
    return buildRequest({
      method,
      uri: s.remoteTarget,
      via: { host: this.opts.local.host, port: this.opts.local.port, branch: newBranch() },
      from: s.localParty,
      to: s.remoteParty,
      callId: s.callId,
      cseq,
      routes: s.routeSet,
      ...(extra.contact ? { contact: this.contact } : {}),
      headers: extra.headers,
      ...(extra.body !== undefined ? { body: extra.body } : {}),
      ...(extra.contentType !== undefined ? { contentType: extra.contentType } : {}),
    });
  }

  private sendBye(dialog: SipDialog, headers: Record<string, string>): Promise<void> {
    const s = dialog.state;
    this.forget(dialog);
    const dest = this.dialogDestination(s);
    if (!dest) return Promise.resolve();
    s.localSeq += 1;
    const req = this.inDialogRequest(s, 'BYE', s.localSeq, { headers });
    return new Promise((resolve) => {
      this.startClient(req, dest, {
        passUp: (res) => {
          if (res.kind === 'response' && res.status >= 200) resolve();
        },
        timeout: () => resolve(),
        transportError: () => resolve(),
      });
    });
  }

  /** §12.2.1.1: a non-INVITE request in the dialog (NOTIFY, INFO); resolves with its final response, a local 408 or 481. */
  private sendInDialog(dialog: SipDialog, method: InDialogMethod, o: InDialogRequestOptions): Promise<RequestResult> {
    const local = (status: number, reason: string): RequestResult => ({ status, reason, get: () => undefined });
    if (dialog.destroyed) return Promise.resolve(local(481, 'Call/Transaction Does Not Exist'));
    const s = dialog.state;
    const dest = this.dialogDestination(s);
    if (!dest) return Promise.resolve(local(416, 'Unsupported URI Scheme'));
    s.localSeq += 1;
    const req = this.inDialogRequest(s, method, s.localSeq, { headers: o.headers, body: o.body, contentType: o.contentType ?? 'text/plain', contact: true });
    return new Promise((resolve) => {
      this.startClient(req, dest, {
        passUp: (res) => {
          if (res.kind === 'response' && res.status >= 200) resolve({ status: res.status, reason: res.reason, get: (n) => res.headers.get(n) });
        },
        timeout: () => resolve(local(408, 'Request Timeout')),
        transportError: () => resolve(local(503, 'Service Unavailable')),
      });
    });
  }

  /** The core's side of a dialog's own requests (BYE, re-INVITE, UPDATE, NOTIFY/INFO). */
  private readonly dialogOps = {
    terminate: (d: SipDialog, h: Record<string, string>) => this.sendBye(d, h),
    modify: (d: SipDialog, sdp: string, o: ModifyOptions) => this.sendOffer(d, sdp, o),
    request: (d: SipDialog, method: InDialogMethod, o: InDialogRequestOptions) => this.sendInDialog(d, method, o),
  };

  /**
   * §14.1 and RFC 3311 §5.1: a new offer in the dialog; resolves with the answer SDP. Glare is
   * refused locally with 491 (an offer of either side pending) so the dialog never holds two.
   */
  private sendOffer(dialog: SipDialog, sdp: string, o: ModifyOptions): Promise<string> {
    const method = o.method ?? 'INVITE';
    if (dialog.destroyed) return Promise.reject(new SipError(481, 'Call/Transaction Does Not Exist'));
    if (dialog.offerOut || dialog.offerIn || dialog.awaitingAnswerInAck || (method === 'INVITE' && dialog.pending2xx)) {
      return Promise.reject(new SipError(491, 'Request Pending'));
    }
    const s = dialog.state;
    const dest = this.dialogDestination(s);
    if (!dest) return Promise.reject(new SipError(416, 'Unsupported URI Scheme'));
    s.localSeq += 1;
    const cseq = s.localSeq;
    const headers: Record<string, string> = { ...o.headers };
    const session = dialog.session;
    if (session && !Object.keys(headers).some((k) => headerKey(k) === 'session-expires')) {
      // RFC 4028 §7.4: every refresh says the interval and who refreshes, in this request's roles.
      headers['Session-Expires'] = `${session.seS};refresher=${session.weRefresh ? 'uac' : 'uas'}`;
      headers.Supported = 'timer';
    }
    const req = this.inDialogRequest(s, method, cseq, { headers, body: sdp, contact: true });
    dialog.offerOut = true;
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        dialog.offerOut = false;
        fn();
      };
      this.startClient(req, dest, {
        passUp: (res) => {
          if (res.kind !== 'response' || res.status < 200) return;
          if (res.status >= 300) return finish(() => reject(new SipError(res.status, res.reason, res.headers.get('reason'))));
          // §12.2.1.2: a 2xx to a target refresh updates the remote target.
          const contact = parseNameAddr(res.headers.get('contact') ?? '');
          if (contact) s.remoteTarget = contact.uri;
          if (method === 'INVITE') {
            // §13.2.2.4: the ACK in its own transaction, kept to answer a retransmitted 2xx.
            const ack = this.inDialogRequest(s, 'ACK', cseq, {});
            dialog.ack = { req: ack, dest: this.route(ack, this.dialogDestination(s) ?? dest) };
            this.transmit(ack, dialog.ack.dest);
          }
          const answer = res.body.toString('utf8');
          s.localSdp = sdp;
          if (answer) s.remoteSdp = answer;
          if (dialog.session || res.headers.has('session-expires')) this.sessionFromAnswer(dialog, res);
          finish(() => resolve(answer));
        },
        timeout: () => finish(() => reject(new SipError(408, 'Request Timeout'))),
        transportError: () => finish(() => reject(new SipError(503, 'Service Unavailable'))),
      });
    });
  }

  // ---- UAC --------------------------------------------------------------------------------

  /**
   * §8.1.1: the From, To and Call-ID of a new request outside a dialog. A From or To in the
   * caller's headers takes the place of ours (From gets our tag when it has none); Via, CSeq,
   * Call-ID and Content-Length are always the stack's own.
   */
  private outOfDialogParties(uri: string, o: { from?: string; to?: string; headers?: Record<string, string>; inDialog?: { callId: string; cseq: number } }) {
    const host = this.opts.local.host;
    const headers: Record<string, string> = {};
    let fromHeader: string | undefined;
    let toHeader: string | undefined;
    for (const [name, value] of Object.entries(o.headers ?? {})) {
      const key = headerKey(name);
      if (key === 'from') fromHeader = value;
      else if (key === 'to') toHeader = value;
      else if (!RESERVED_HEADERS.has(key)) headers[name] = value;
    }
    const fromUri = o.from ? (o.from.includes(':') ? o.from : `sip:${o.from}@${host}`) : `sip:softswitch@${host}`;
    const localTag = randomToken();
    let from = `${formatNameAddr({ uri: fromUri })};tag=${localTag}`;
    if (fromHeader) {
      const na = parseNameAddr(fromHeader);
      if (na) from = na.tag ? fromHeader : `${fromHeader};tag=${localTag}`;
    }
    const to = toHeader && parseNameAddr(toHeader) ? toHeader : formatNameAddr({ uri: o.to ?? uri });
    const fromUser = parseUri(parseNameAddr(from)?.uri ?? fromUri)?.user;
    return { from, to, headers, callId: o.inDialog?.callId ?? `${randomToken(12)}@${host}`, cseq: o.inDialog?.cseq ?? Math.floor(Math.random() * 10_000) + 1, fromUser };
  }

  /** §8.1 and §17.1.2: one non-INVITE request outside a dialog; resolves with its final response, a local 408 or 503. */
  request(uri: string, o: RequestOptions): Promise<RequestResult> {
    const local = (status: number, reason: string): RequestResult => ({ status, reason, get: () => undefined });
    const method = String(o.method).toUpperCase();
    if (!OUT_OF_DIALOG_METHODS.has(method)) return Promise.reject(new RangeError(`request() sends ${[...OUT_OF_DIALOG_METHODS].join('/')}, not ${o.method}`));
    // RFC 3327 §5.3 / RFC 3261 §8.1.2: with a route set the request goes to its first (loose) router.
    const route = (o.route ?? []).filter((r) => r.trim() !== '');
    const nextHop = route.length > 0 ? parseNameAddr(route[0])?.uri : uri;
    const dest = nextHop ? uriDestination(nextHop) : undefined;
    if (!dest) return Promise.resolve(local(416, 'Unsupported URI Scheme'));
    if (!this.canCarry(nextHop!)) return Promise.resolve(local(503, 'Service Unavailable (transport)'));
    const located = this.locateNextHop(nextHop!);
    if (!located) return this.requestTo(uri, o, method, route, dest, undefined);
    return located.then((r) => {
      if (!r.ok) {
        const e = unlocated(r.error);
        return local(e.status, e.reason);
      }
      return this.requestTo(uri, o, method, route, dest, r.targets);
    });
  }

  private requestTo(uri: string, o: RequestOptions, method: string, route: string[], dest: Endpoint, targets: ServerTarget[] | undefined): Promise<RequestResult> {
    const local = (status: number, reason: string): RequestResult => ({ status, reason, get: () => undefined });
    const p = this.outOfDialogParties(uri, o);
    const build = () => buildRequest({
      method,
      uri,
      via: { host: this.opts.local.host, port: this.opts.local.port, branch: newBranch() },
      from: p.from,
      to: p.to,
      callId: p.callId,
      cseq: p.cseq,
      routes: route,
      headers: p.headers,
      body: o.body,
      contentType: 'text/plain',
    });
    return new Promise<RequestResult>((resolve) => {
      let done = false;
      let guard: TimerHandle | undefined;
      const finish = (r: RequestResult) => {
        if (done) return;
        done = true;
        this.opts.clock.clearTimeout(guard);
        attempts?.stop();
        resolve(r);
      };
      let attempts: { current: Transaction; stop(): void } | undefined;
      attempts = this.startLocated(targets, dest, build, {
        passUp: (msg) => {
          if (msg.kind === 'response' && msg.status >= 200) finish({ status: msg.status, reason: msg.reason, get: (n) => msg.headers.get(n) });
        },
        // §8.1.3.1: a transaction timeout is treated as 408, a transport error as 503.
        timeout: () => finish(local(408, 'Request Timeout')),
        transportError: () => finish(local(503, 'Service Unavailable')),
      }, () => !done);
      if (o.timeoutMs !== undefined && !done) {
        guard = this.opts.clock.setTimeout(() => {
          attempts?.current.abort();
          finish(local(408, 'Request Timeout'));
        }, Math.max(0, o.timeoutMs));
      }
    });
  }

  /** §13.2.1: sends INVITE; resolves with the dialog on 2xx (ACK sent), rejects with SipError. */
  invite(uri: string, o: CreateUacOptions): Promise<SipDialog> {
    const dest = uriDestination(uri);
    if (!dest) return Promise.reject(new SipError(416, 'Unsupported URI Scheme'));
    if (!this.canCarry(uri)) return Promise.reject(new SipError(503, 'Service Unavailable (transport)'));
    if (o.signal?.aborted) return Promise.reject(new SipError(487, 'Request Terminated'));
    const located = this.locateNextHop(uri);
    if (!located) return this.inviteTo(uri, o, dest, undefined);
    return located.then((r) => {
      if (!r.ok) {
        const e = unlocated(r.error);
        this.log.warn({ uri, code: r.error.code, detail: r.error.detail }, 'sip INVITE target not located (check the DNS records of the target host and sip.dns.servers)');
        throw new SipError(e.status, e.reason);
      }
      if (o.signal?.aborted) throw new SipError(487, 'Request Terminated');
      return this.inviteTo(uri, o, dest, r.targets);
    });
  }

  private inviteTo(uri: string, o: CreateUacOptions, dest: Endpoint, targets: ServerTarget[] | undefined): Promise<SipDialog> {
    const host = this.opts.local.host;
    const { from, to, headers, callId, cseq, fromUser } = this.outOfDialogParties(uri, o);
    const contact = `<sip:${fromUser ? `${fromUser}@` : ''}${host}:${this.opts.local.port}>`;
    // RFC 3262 §4: we take reliable provisional responses (and PRACK them).
    if (!Object.keys(headers).some((k) => headerKey(k) === 'supported')) headers.Supported = '100rel, timer';
    /** Each attempt (RFC 3263 §4.3: one per target) is a new transaction with a new branch. */
    let req!: SipRequest;
    const build = () =>
      (req = buildRequest({
        method: 'INVITE',
        uri,
        via: { host, port: this.opts.local.port, branch: newBranch() },
        from,
        to,
        callId,
        cseq,
        contact,
        headers,
        body: o.localSdp,
      }));
    build();
    return new Promise<SipDialog>((resolve, reject) => {
      let settled = false;
      let provisional = false;
      let cancelWanted = false;
      let giveUp: TimerHandle | undefined;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          this.opts.clock.clearTimeout(giveUp);
          attempts?.stop();
          fn();
        }
      };
      const sendCancel = () => {
        const c = buildRequest({
          method: 'CANCEL',
          uri,
          via: { host, port: this.opts.local.port, branch: parseVia(req.headers.get('via') ?? '')?.branch ?? newBranch() },
          from,
          to,
          callId,
          cseq,
          cseqMethod: 'CANCEL',
          // RFC 3326 §2: why the INVITE is withdrawn, when the caller of createUAC says.
          headers: typeof o.signal?.reason === 'string' ? { Reason: o.signal.reason } : undefined,
        });
        // §9.1: the CANCEL's Via is the INVITE's top Via, and it goes where the INVITE went, the same way.
        c.headers.set('Via', req.headers.get('via') ?? '');
        const inviteTx = attempts!.current;
        this.layer.startClient(c, inviteTx.peer, {});
        // §9.1: with no final response 64*T1 after the CANCEL, the INVITE is considered cancelled.
        this.opts.clock.setTimeout(() => {
          if (!inviteTx.terminated) inviteTx.abort();
          settle(() => reject(new SipError(487, 'Request Terminated')));
        }, 64 * T1);
      };
      /** Gives the attempt up: CANCEL now or at the first provisional (§9.1). */
      const withdraw = () => {
        if (cancelWanted) return;
        cancelWanted = true;
        if (provisional) sendCancel();
      };
      o.signal?.addEventListener('abort', () => {
        if (!settled) withdraw();
      }, { once: true });
      /** RFC 3262 §4: the highest RSeq PRACKed per early dialog (To tag), and the CSeq our PRACKs took. */
      const rseqSeen = new Map<string, number>();
      let seq = cseq;
      const prack = (msg: SipResponse) => {
        const rseq = Number(msg.headers.get('rseq'));
        const toHeader = msg.headers.get('to') ?? '';
        const tag = parseNameAddr(toHeader)?.tag;
        if (!tag || !Number.isInteger(rseq) || rseq < 1) return;
        const last = rseqSeen.get(tag);
        // A retransmission (same RSeq) or one out of order is not PRACKed again (§4).
        if (last !== undefined && rseq !== last + 1) return;
        rseqSeen.set(tag, rseq);
        seq += 1;
        const target = parseNameAddr(msg.headers.get('contact') ?? '')?.uri ?? uri;
        const routes = msg.headers.getAll('record-route').reverse();
        const p = buildRequest({
          method: 'PRACK',
          uri: target,
          via: { host, port: this.opts.local.port, branch: newBranch() },
          from,
          to: toHeader,
          callId,
          cseq: seq,
          routes,
          headers: { RAck: `${rseq} ${cseq} INVITE` },
        });
        const first = routes[0] ? parseNameAddr(routes[0])?.uri : undefined;
        this.startClient(p, (first ? uriDestination(first) : uriDestination(target)) ?? dest, {});
      };
      let attempts: { current: Transaction; stop(): void } | undefined;
      let firstAttempt = true;
      /** A provisional beyond 100 from the current target: it took the call, so no failover (§4.3 is about reaching a server). */
      let progressed = false;
      attempts = this.startLocated(targets, dest, () => (firstAttempt ? ((firstAttempt = false), req) : ((provisional = false), build())), {
        passUp: (msg) => {
          if (msg.kind !== 'response') return;
          if (msg.status > 100 && msg.status < 200 && msg.headers.getAll('require').some((t) => t.trim().toLowerCase() === '100rel')) prack(msg);
          if (msg.status < 200) {
            if (msg.status > 100 || !provisional) {
              const first = !provisional;
              provisional = true;
              if (first && cancelWanted) sendCancel();
            }
            if (msg.status > 100) progressed = true;
            if (msg.status > 100 && !settled) {
              const sdp = msg.body.length > 0 ? msg.body.toString('utf8') : undefined;
              o.onProvisional?.({ status: msg.status, reason: msg.reason, sdp, get: (n) => msg.headers.get(n) });
            }
            return;
          }
          if (msg.status < 300) {
            const dialog = this.uacDialog(req, msg, o.localSdp ?? '', attempts!.current.peer);
            // PRACKs sent in the early dialog used CSeq numbers past the INVITE's.
            if (seq > dialog.state.localSeq) dialog.state.localSeq = seq;
            // RFC 4028 §7.2: a Session-Expires in the 2xx starts the session timer.
            if (msg.headers.has('session-expires')) this.sessionFromAnswer(dialog, msg);
            if (cancelWanted) {
              // §9.1: the 2xx crossed our CANCEL (or came after we gave up); the call is up, so end it.
              void dialog.destroy();
              return settle(() => reject(new SipError(487, 'Request Terminated')));
            }
            return settle(() => resolve(dialog));
          }
          settle(() => reject(new SipError(msg.status, msg.reason, msg.headers.get('reason'))));
        },
        timeout: () => settle(() => reject(new SipError(408, 'Request Timeout'))),
        transportError: () => settle(() => reject(new SipError(503, 'Service Unavailable'))),
        // RFC 3263 §4.3 moves on only while nothing but 100 came back and the caller still wants the call.
      }, () => !settled && !progressed && !cancelWanted);
      if (o.timeoutMs !== undefined && !settled) {
        giveUp = this.opts.clock.setTimeout(() => {
          if (settled) return;
          withdraw();
          settle(() => reject(new SipError(408, 'Request Timeout')));
        }, Math.max(0, o.timeoutMs));
      }
    });
  }

  /** §12.1.2 and §13.2.2.4: dialog from the 2xx, and the ACK sent in a new transaction. */
  private uacDialog(invite: SipRequest, res: SipResponse, localSdp: string, fallback: Endpoint): SipDialog {
    const to = parseNameAddr(res.headers.get('to') ?? '');
    const contact = parseNameAddr(res.headers.get('contact') ?? '');
    const cseq = parseCSeq(invite.headers.get('cseq') ?? '')?.seq ?? 1;
    const state: DialogState = {
      type: 'uac',
      callId: invite.headers.get('call-id') ?? '',
      localTag: parseNameAddr(invite.headers.get('from') ?? '')?.tag ?? '',
      remoteTag: to?.tag ?? '',
      localParty: invite.headers.get('from') ?? '',
      remoteParty: res.headers.get('to') ?? '',
      remoteTarget: contact?.uri ?? invite.uri,
      routeSet: res.headers.getAll('record-route').reverse(),
      localSeq: cseq,
      remoteSeq: 0,
      localSdp,
      remoteSdp: res.body.toString('utf8'),
      flow: isReliable(fallback) ? fallback : undefined,
    };
    const dialog = new SipDialog(state, this.dialogOps);
    const ack = this.inDialogRequest(state, 'ACK', cseq, {});
    dialog.ack = { req: ack, dest: this.route(ack, this.dialogDestination(state) ?? fallback) };
    this.transmit(ack, dialog.ack.dest);
    this.dialogs.set(dialog.id, dialog);
    return dialog;
  }

  private receiveResponse(res: SipResponse): void {
    if (this.layer.receiveResponse(res)) return;
    // §13.2.2.4: a retransmitted 2xx after the INVITE transaction ended gets the same ACK again.
    const cseq = parseCSeq(res.headers.get('cseq') ?? '');
    if (!cseq || cseq.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    const id = dialogId(res.headers.get('call-id') ?? '', parseNameAddr(res.headers.get('from') ?? '')?.tag ?? '', parseNameAddr(res.headers.get('to') ?? '')?.tag ?? '');
    const d = this.dialogs.get(id);
    if (d?.ack) this.transmit(d.ack.req, d.ack.dest);
  }

  /** Sources the rate limiter currently tracks (0 when it is off). */
  get rateLimitedSources(): number {
    return this.limiter?.size ?? 0;
  }

  close(): void {
    for (const ref of this.m.cores) if (ref.deref() === this) this.m.cores.delete(ref);
    this.limiter?.clear();
    this.fast?.clear();
    for (const d of this.dialogs.values()) this.forget(d);
    this.accepted.clear();
    this.early.clear();
    this.layer.closeAll();
    this.ongoing.clear();
  }
}

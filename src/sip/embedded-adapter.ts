/** SignallingPort over the embedded RFC 3261 stack: UDP/TCP/TLS transports + transaction layer + UA core. */
import { Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import {
  SipError,
  type CreateUacOptions,
  type CreateUasOptions,
  type Dialog,
  type InboundRequest,
  type HandledMethod,
  type InviteResponder,
  type RequestResponder,
  type RequestOptions,
  type RequestResult,
  type SignallingPort,
} from './port.js';
import { IncomingInvite } from './incoming-invite.js';
import { TransportSet, type StreamLimits } from './transport-set.js';
import type { TlsFiles } from './transport-stream.js';
import { UaCore } from './ua-core.js';
import { overloadRefusalHeaders } from './shed-fast-path.js';
import { ThreadedUdpTransport } from './udp-thread/transport.js';
import type { EdgeShedControl } from './udp-thread/edge-shed.js';
import type { AdmissionHook, RateLimitOptions } from './admission.js';
import type { Endpoint, SipTransportName } from './message.js';
import { peekCallId } from './call-id-peek.js';
import { tapKey, type MessageTap } from '../util/message-tap.js';
import { locatorFromConfig, type SipDnsConfig } from './locate/from-config.js';
import type { ServerLocator } from './locate/locator.js';

export interface EmbeddedSipConfig {
  /** Address to bind, e.g. '127.0.0.1' or '0.0.0.0'. */
  address: string;
  /** UDP port, and TCP's; 0 lets the OS choose (read it back from `port`). */
  port: number;
  /** Transports to open (RFC 3261 §18; default udp and tcp). */
  transports?: readonly SipTransportName[];
  /** TLS certificate and key (needed with 'tls'), and its port (default port + 1; OS-chosen when port is 0). */
  tls?: TlsFiles & { port?: number };
  /** TCP/TLS connection bounds: idle timeout, per-source cap, largest message, connect timeout. */
  stream?: StreamLimits;
  /** The UDP socket on an I/O thread of its own (default true; transport-set.ts). */
  udpIoThread?: boolean;
  /** RFC 3261 §18.1.1: requests bigger than this go over TCP rather than UDP when TCP is open (default 1300). */
  udpMaxRequestBytes?: number;
  /** Address written in Via and Contact when it differs from the bound one (e.g. behind 1:1 NAT, or bound to 0.0.0.0). */
  publicAddress?: string;
  logger: Logger;
  clock: Clock;
  userAgent?: string;
  /** An INVITE left without a final response this long is answered 480 (default 300 s). */
  inviteGuardMs?: number;
  /**
   * Live server transactions (requests not yet finally answered) before new requests get 503 +
   * Retry-After (default 20,000). Finished transactions do not count: see maxCompletedTransactions.
   */
  maxServerTransactions?: number;
  /** Finished server transactions kept compact to absorb retransmissions for Timer J/I (default 200,000; also the cap for 2xx-answered INVITEs under Timer L). */
  maxCompletedTransactions?: number;
  /** Approximate bytes those may hold (default 64 MiB); the oldest are forgotten first. */
  maxCompletedBytes?: number;
  /** INVITEs answered with a failure and retransmitting it until the ACK, kept as full transactions (default 5,000). */
  maxUnacknowledgedFinals?: number;
  /** Dialogs held at once before a new INVITE gets 503 + Retry-After (default 50,000). */
  maxDialogs?: number;
  /** Retry-After seconds on those 503s (default 10). */
  overloadRetryAfterS?: number;
  /**
   * Admission of a new request (one that matches no transaction, dialog or pending INVITE), asked
   * before any state is kept: 'accept', 'reject' (stateless 403) or 'drop' (nothing sent). ACKs are
   * never asked about. A hook that throws counts as 'reject'. Default: accept everything.
   */
  admit?: AdmissionHook;
  /**
   * Per-source token bucket over the same new requests, after `admit` (off when absent). An
   * accepted source over its rate gets a stateless 503 + Retry-After (or nothing, `overLimit: 'drop'`);
   * a rejected one over its rate gets nothing, so refusals cannot be used to reflect a flood.
   */
  rateLimit?: RateLimitOptions;
  /**
   * True while new INVITEs are being refused for overload (cheap, nothing counted): they are then
   * refused from their raw bytes, before the full parser (shed-fast-path.ts). Off when absent.
   */
  shedding?: () => boolean;
  /** Shortest time between two warn lines about refused or rate-limited sources (default 10 s). */
  refusalLogIntervalMs?: number;
  /** Sees every datagram sent and received, keyed by its Call-ID (the call trail). */
  tap?: MessageTap;
  /** Where the stack counts (the switch's registry; default: one of its own). */
  registry?: Registry;
  /** Session timers (RFC 4028): Min-SE (default 90 s) and the most granted (default 1800 s). */
  sessionTimer?: { minSeS?: number; maxSeS?: number };
  /** RFC 3263 server location (the `sip.dns` section); absent: host names by the system resolver, no SRV. */
  dns?: SipDnsConfig;
}

/** A datagram to the tap, keyed by its Call-ID; datagrams without one are not passed on. */
function tapDatagram(tap: MessageTap, dir: 'in' | 'out', bytes: Buffer, local: Endpoint, remote: Endpoint): void {
  const callId = peekCallId(bytes);
  if (callId !== undefined) tap({ key: tapKey.sip(callId), protocol: 'sip', dir, bytes, local, remote });
}

export class EmbeddedSignallingPort implements SignallingPort {
  private constructor(
    private readonly transport: TransportSet,
    readonly core: UaCore,
    private readonly locator?: ServerLocator,
  ) {}

  static async create(config: EmbeddedSipConfig): Promise<EmbeddedSignallingPort> {
    const logger = config.logger.child({ component: 'sip' });
    const registry = config.registry ?? new Registry();
    const transport = await TransportSet.open({
      address: config.address,
      port: config.port,
      transports: config.transports,
      tls: config.tls,
      tlsPort: config.tls?.port,
      stream: config.stream,
      logger,
      registry,
      udpIoThread: config.udpIoThread,
      // While shedding, the I/O thread refuses new INVITEs itself (edge-shed.ts) with the 503 the UA core would send.
      edgeShedHeaders: config.shedding ? overloadRefusalHeaders(config.overloadRetryAfterS ?? 10, config.userAgent) : undefined,
    });
    const edgeUdp = transport.udp instanceof ThreadedUdpTransport && transport.udp.edge ? transport.udp : undefined;
    const host = config.publicAddress ?? (config.address === '0.0.0.0' || config.address === '::' ? '127.0.0.1' : config.address);
    const tap = config.tap;
    const locator = config.dns && locatorFromConfig(config.dns, { clock: config.clock, registry, ipv6Socket: config.address.includes(':') });
    const local: Endpoint = { address: host, port: transport.port };
    const sendUntraced = (buf: Buffer, to: Endpoint) => transport.send(buf, to);
    const core = new UaCore({
      clock: config.clock,
      logger,
      send: tap
        ? (buf, to) => {
            transport.send(buf, to);
            tapDatagram(tap, 'out', buf, local, to);
          }
        : sendUntraced,
      sendUntraced,
      traceIn: tap && ((buf, from) => tapDatagram(tap, 'in', buf, local, from)),
      local: { host, port: transport.port },
      transports: { udp: transport.portOf('udp'), tcp: transport.portOf('tcp'), tls: transport.portOf('tls') },
      udpMaxRequestBytes: config.udpMaxRequestBytes,
      connected: (to) => transport.connected(to),
      userAgent: config.userAgent,
      inviteGuardMs: config.inviteGuardMs,
      maxServerTransactions: config.maxServerTransactions,
      maxCompletedTransactions: config.maxCompletedTransactions,
      maxCompletedBytes: config.maxCompletedBytes,
      maxUnacknowledgedFinals: config.maxUnacknowledgedFinals,
      maxDialogs: config.maxDialogs,
      overloadRetryAfterS: config.overloadRetryAfterS,
      admit: config.admit,
      rateLimit: config.rateLimit,
      refusalLogIntervalMs: config.refusalLogIntervalMs,
      shedding: config.shedding,
      onInviteAdmitted: edgeUdp && ((source) => edgeUdp.sourceAdmitted(source)),
      registry,
      sessionTimer: config.sessionTimer,
      locator,
    });
    transport.onMessage((buf, from) => core.receive(buf, from));
    transport.onFramingError((head, from, status, reason) => core.refuseUnframed(head, from, status, reason));
    transport.onSendFailure((to) => core.transportFailed(to));
    return new EmbeddedSignallingPort(transport, core, locator);
  }

  /** The bound UDP port (TCP listens on the same number). */
  get port(): number {
    return this.transport.port;
  }

  /** The port a transport listens on, undefined when it is not open. */
  portOf(t: SipTransportName): number | undefined {
    return this.transport.portOf(t);
  }

  /**
   * How long a datagram arriving now waits in the UDP socket's receive queue before the stack
   * reads it (ms, from probes: receive-queue-probe.ts); undefined without UDP.
   */
  receiveQueueDelayMs(): number | undefined {
    return this.transport.udp?.queueDelayMs();
  }

  /**
   * Overload refusals on the UDP I/O thread (udp-thread/edge-shed.ts): where the admitted fraction
   * is published; undefined when they are not made there.
   */
  get edgeShed(): EdgeShedControl | undefined {
    return this.transport.udp instanceof ThreadedUdpTransport ? this.transport.udp.edge : undefined;
  }

  /** Counts what the I/O thread refused for overload since the last call (as the fast path's own); returns the refusals. */
  foldEdgeShedCounts(): number {
    const edge = this.edgeShed;
    if (!edge) return 0;
    const d = edge.take();
    this.core.countEdgeShed(d);
    return d.refused;
  }

  /** Open TCP and TLS connections. */
  get connections(): { tcp: number; tls: number } {
    return { tcp: this.transport.tcp?.size ?? 0, tls: this.transport.tls?.size ?? 0 };
  }

  get address(): string {
    return this.transport.address;
  }

  onInvite(handler: (req: InboundRequest, res: InviteResponder) => void): void {
    this.core.onInvite((inv) => handler(inv, inv));
  }

  onRequest(method: HandledMethod, handler: (req: InboundRequest, res: RequestResponder) => void): void {
    this.core.onRequest(method, (r) => handler(r, r));
  }

  async createUAS(req: InboundRequest, _res: InviteResponder, opts: CreateUasOptions): Promise<Dialog> {
    if (!(req instanceof IncomingInvite)) throw new TypeError('createUAS needs a request delivered by this port');
    if (req.canceled) throw new SipError(487, 'Request Terminated');
    return this.core.answer(req, opts.localSdp, opts.headers);
  }

  createUAC(uri: string, opts: CreateUacOptions): Promise<Dialog> {
    return this.core.invite(uri, opts);
  }

  request(uri: string, opts: RequestOptions): Promise<RequestResult> {
    return this.core.request(uri, opts);
  }

  async close(): Promise<void> {
    this.core.close();
    this.locator?.close();
    await this.transport.close();
  }
}

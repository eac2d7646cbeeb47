/**
 * The MGC side of H.248 (H.248.1 §7.2.8, §11): media gateways register with ServiceChange and
 * are known by their mId; the controller answers ServiceChange and Notify, sends commands to a
 * registered gateway's address, and follows each gateway's health (last message heard, an
 * AuditValue on ROOT when it goes quiet, requests given up). It knows nothing of calls or
 * connections: {@link H248BearerPort} builds those on top.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { MessageTap } from '../../util/message-tap.js';
import type { TextEncoding } from './codec.js';
import { ERR, H248_VERSION } from './constants.js';
import { H248Error } from './errors.js';
import {
  errorDescriptor,
  midKey,
  midToString,
  type ActionReply,
  type ActionRequest,
  type AuditItem,
  type CommandReply,
  type Descriptor,
  type Mid,
  type ObservedEvent,
  type RequestId,
  type ServiceChangeMethod,
  type ServiceChangeParams,
  type TransactionReply,
} from './messages.js';
import type { H248Metrics } from './metrics.js';
import type { RetransmitPolicy } from './transaction-fsm.js';
import type { ReassemblyLimits } from './segment-reassembly.js';
import { h248Tap } from './tap.js';
import { TransactionLayer, type IncomingRequest, type RequestAnswer } from './transaction-layer.js';
import { openUdpTransport, type H248Transport, type Peer } from './transport.js';

export interface MediaGateway {
  /** Name in the configuration (BearerPort `gateway`). */
  readonly name: string;
  /** The mId the gateway writes in its messages. */
  readonly mid: Mid;
  /** When set, messages from this mId are only accepted from this IP address. */
  readonly address?: string;
  /** Encoding towards this gateway; by default the one it uses. */
  readonly encoding?: TextEncoding;
  /**
   * Highest H.248 version agreed with this gateway at ServiceChange (default 1). 3 lets it send
   * large replies in segments (H.248.1 v3 §8.1.1); v3 messages are read as far as they use the
   * v1 grammar plus segmentation.
   */
  readonly maxVersion?: number;
}

export type GatewayState = 'unregistered' | 'registered' | 'out-of-service' | 'unreachable';

export interface GatewayStatus {
  readonly name: string;
  readonly mid: string;
  readonly state: GatewayState;
  /** Where commands go: the source of its last ServiceChange (or the address it asked for). */
  readonly peer?: Peer;
  readonly version: number;
  readonly lastHeardAt?: number;
  readonly registeredAt?: number;
  /** ServiceChange Restart/Failover/Disconnected/HandOff registrations seen. */
  readonly registrations: number;
}

/** A ServiceChange from a gateway (§7.2.8), after it was answered. */
export interface ServiceChangeEvent {
  readonly gateway: string;
  readonly mid: Mid;
  readonly from: Peer;
  /** The terminations it names ("ROOT" for the whole gateway). */
  readonly terminationIds: readonly string[];
  readonly method: ServiceChangeMethod;
  readonly reason?: string;
  readonly delaySeconds?: number;
  /** The gateway (re-)registered: ROOT with Restart, Failover, Disconnected or HandOff. */
  readonly registration: boolean;
}

export interface NotifyEvent {
  readonly gateway: string;
  readonly contextId: ActionRequest['contextId'];
  readonly terminationId: string;
  readonly requestId: RequestId;
  readonly events: readonly ObservedEvent[];
}

export interface UnreachableEvent {
  readonly gateway: string;
  readonly reason: string;
}

export interface ControllerEvents {
  serviceChange: [ServiceChangeEvent];
  notify: [NotifyEvent];
  unreachable: [UnreachableEvent];
}

export interface ControllerOptions {
  /** Our mId (default `<softswitch>`). */
  mid?: Mid;
  clock?: Clock;
  log?: Logger;
  metrics?: H248Metrics;
  policy?: Partial<RetransmitPolicy>;
  /** Encoding towards gateways that have not written to us yet. */
  encoding?: TextEncoding;
  /** Register gateways whose mId is not configured (named after the mId). */
  acceptUnknownGateways?: boolean;
  /** A gateway silent this long is audited (AuditValue on ROOT); 0 turns the audit off. */
  inactivityAuditMs?: number;
  /** The call trail: messages of requests sent for a call (with their replies and the gateway's Notifies in its contexts). */
  tap?: MessageTap;
  replyCacheMs?: number;
  pendingAfterMs?: number;
  ackDelayMs?: number;
  requestAcks?: boolean;
  mtuBytes?: number;
  /** v3 segmented replies: segmentation timer and reassembly bounds (TransactionLayerOptions). */
  segmentTimerMs?: number;
  reassembly?: Partial<ReassemblyLimits>;
}

interface Gw {
  readonly config: MediaGateway;
  state: GatewayState;
  peer?: Peer;
  version: number;
  lastHeardAt?: number;
  registeredAt?: number;
  registrations: number;
  auditTimer?: TimerHandle;
  auditing: boolean;
}

const REGISTRATION_METHODS = new Set<ServiceChangeMethod>(['restart', 'failover', 'disconnected', 'handOff']);

export class H248Controller extends EventEmitter<ControllerEvents> {
  private readonly layer: TransactionLayer;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly byMid = new Map<string, Gw>();
  private readonly byName = new Map<string, Gw>();
  readonly mid: Mid;
  private closed = false;

  constructor(
    private readonly transport: H248Transport,
    gateways: readonly MediaGateway[],
    private readonly opts: ControllerOptions = {},
  ) {
    super();
    this.log = opts.log ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.mid = opts.mid ?? { kind: 'domain', name: 'softswitch' };
    for (const g of gateways) this.add(g);
    this.layer = new TransactionLayer({
      mid: this.mid,
      send: (d, to) => transport.send(d, to),
      onRequest: (req) => this.onRequest(req),
      onMessage: (msg, from) => this.heard(msg.mid, from),
      encodingFor: (peer) => this.gatewayAt(peer)?.config.encoding,
      gatewayName: (peer) => this.gatewayAt(peer)?.config.name,
      versionFor: (peer) => this.gatewayAt(peer)?.version,
      encoding: opts.encoding,
      clock: this.clock,
      log: this.log,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      policy: opts.policy,
      replyCacheMs: opts.replyCacheMs,
      pendingAfterMs: opts.pendingAfterMs,
      ackDelayMs: opts.ackDelayMs,
      requestAcks: opts.requestAcks,
      mtuBytes: opts.mtuBytes,
      segmentTimerMs: opts.segmentTimerMs,
      reassembly: opts.reassembly,
      ...(opts.tap ? { tap: h248Tap(opts.tap, () => transport.local) } : {}),
      onGiveUp: (peer) => {
        const g = this.gatewayAt(peer);
        if (g) this.markUnreachable(g, 'no reply to a request within the retransmission budget');
      },
    });
    transport.onDatagram((d, from) => this.layer.receive(d, from));
  }

  /** Opens a UDP socket (port 0: any free port) and a controller on it. */
  static async open(gateways: readonly MediaGateway[], listen: { port?: number; address?: string } = {}, opts: ControllerOptions = {}): Promise<H248Controller> {
    return new H248Controller(await openUdpTransport(listen.port ?? 0, listen.address ?? '0.0.0.0'), gateways, opts);
  }

  get local(): Peer {
    return this.transport.local;
  }

  /** Requests outstanding towards gateways, and replies kept for their duplicates. */
  get transactions(): { pendingRequests: number; cachedReplies: number } {
    return { pendingRequests: this.layer.pending, cachedReplies: this.layer.cachedAnswers };
  }

  private add(config: MediaGateway): Gw {
    const g: Gw = { config, state: 'unregistered', version: H248_VERSION, registrations: 0, auditing: false };
    this.byMid.set(midKey(config.mid), g);
    this.byName.set(config.name, g);
    return g;
  }

  private gatewayAt(peer: Peer): Gw | undefined {
    for (const g of this.byName.values()) if (g.peer && g.peer.address === peer.address && g.peer.port === peer.port) return g;
    return undefined;
  }

  status(name: string): GatewayStatus | undefined {
    const g = this.byName.get(name);
    return g ? this.statusOf(g) : undefined;
  }

  gateways(): GatewayStatus[] {
    return [...this.byName.values()].map((g) => this.statusOf(g));
  }

  private statusOf(g: Gw): GatewayStatus {
    return {
      name: g.config.name,
      mid: midToString(g.config.mid),
      state: g.state,
      version: g.version,
      registrations: g.registrations,
      ...(g.peer ? { peer: g.peer } : {}),
      ...(g.lastHeardAt !== undefined ? { lastHeardAt: g.lastHeardAt } : {}),
      ...(g.registeredAt !== undefined ? { registeredAt: g.registeredAt } : {}),
    };
  }

  // ---------------------------------------------------------------- requests to gateways

  /**
   * Sends one transaction to a registered gateway and resolves with its reply; rejects with
   * H248Error `rejected` when the whole transaction failed (its error descriptor), `timeout`
   * when the gateway did not answer, `invalid` when the gateway is not registered.
   */
  async request(gateway: string, actions: readonly ActionRequest[], tapKey?: string): Promise<TransactionReply> {
    const g = this.byName.get(gateway);
    if (!g) throw new H248Error('invalid', undefined, `no gateway named ${gateway}`);
    if (!g.peer || g.state === 'unregistered') throw new H248Error('timeout', undefined, `gateway ${gateway} has not registered (no ServiceChange yet)`);
    const reply = await this.layer.request(g.peer, actions, tapKey);
    if (reply.error) throw new H248Error('rejected', reply.error.code, reply.error.text ?? '', reply.id);
    return reply;
  }

  /** Modify of one termination, e.g. to request events or play signals (§7.2.2). */
  async modify(gateway: string, contextId: ActionRequest['contextId'], terminationId: string, descriptors: readonly Descriptor[]): Promise<CommandReply | undefined> {
    const reply = await this.request(gateway, [{ contextId, commands: [{ command: 'modify', terminationId, descriptors }] }]);
    const a = reply.actions[0];
    if (a?.error) throw new H248Error('rejected', a.error.code, a.error.text ?? '', reply.id);
    return a?.replies[0];
  }

  /** AuditValue or AuditCapabilities of one termination (§7.2.5, §7.2.6): the context it is in and what it returns. */
  async audit(
    gateway: string,
    command: 'auditValue' | 'auditCapabilities',
    terminationId: string,
    items: readonly AuditItem[] = [],
    contextId: ActionRequest['contextId'] = '-',
  ): Promise<{ contextId: ActionRequest['contextId']; reply?: CommandReply }> {
    const reply = await this.request(gateway, [{ contextId, commands: [{ command, terminationId, audit: items }] }]);
    const a = reply.actions[0];
    if (!a) throw new H248Error('invalid', undefined, 'reply without an action reply', reply.id);
    if (a.error) throw new H248Error('rejected', a.error.code, a.error.text ?? '', reply.id);
    return { contextId: a.contextId, ...(a.replies[0] ? { reply: a.replies[0] } : {}) };
  }

  // ---------------------------------------------------------------- health

  private heard(mid: Mid, from: Peer): void {
    const g = this.byMid.get(midKey(mid));
    if (!g || (g.config.address && g.config.address !== from.address)) return;
    g.lastHeardAt = this.clock.now();
    if (g.state === 'unreachable' && g.peer && g.peer.address === from.address && g.peer.port === from.port) {
      g.state = 'registered';
      this.log.info({ gateway: g.config.name }, 'h248 gateway heard from again');
    }
    this.scheduleAudit(g);
  }

  private scheduleAudit(g: Gw): void {
    const ms = this.opts.inactivityAuditMs ?? 0;
    if (ms <= 0 || this.closed || !g.peer) return;
    this.clock.clearTimeout(g.auditTimer);
    g.auditTimer = this.clock.setTimeout(() => {
      g.auditTimer = undefined;
      void this.auditIdle(g);
    }, ms);
  }

  /** AuditValue on ROOT with an empty Audit descriptor: the cheapest command every gateway answers. */
  private async auditIdle(g: Gw): Promise<void> {
    if (g.auditing || !g.peer || this.closed) return;
    g.auditing = true;
    try {
      // No answer at all is reported by the layer's give-up (onGiveUp → markUnreachable).
      await this.layer.request(g.peer, [{ contextId: '-', commands: [{ command: 'auditValue', terminationId: 'ROOT', audit: [] }] }]);
    } catch {
      // Answered with an error, abandoned at a restart, or closed: the gateway is not silent for those.
    } finally {
      g.auditing = false;
      this.scheduleAudit(g);
    }
  }

  private markUnreachable(g: Gw, reason: string): void {
    if (g.state === 'unreachable' || this.closed) return;
    g.state = 'unreachable';
    this.log.error({ gateway: g.config.name, reason }, 'h248 media gateway unreachable: check the gateway and the network path; it is used again when it answers or registers');
    this.emit('unreachable', { gateway: g.config.name, reason });
  }

  // ---------------------------------------------------------------- requests from gateways

  private onRequest(req: IncomingRequest): RequestAnswer {
    let g = this.byMid.get(midKey(req.mid));
    if (!g && this.opts.acceptUnknownGateways) g = this.add({ name: midToString(req.mid), mid: req.mid });
    if (!g || (g.config.address && g.config.address !== req.from.address)) {
      this.log.warn({ mid: midToString(req.mid), from: req.from }, 'h248 request from an unknown media gateway refused (add it to the configured gateways)');
      return { error: errorDescriptor(ERR.UNAUTHORIZED_ENTITY, 'Command Received from unauthorized entity') };
    }
    const gw = g;
    // §11.3: the version is negotiated by ServiceChange; any other request in a version we do not speak is 406.
    const negotiating = req.request.actions.every((a) => a.commands.every((c) => c.command === 'serviceChange'));
    if (req.version > (gw.config.maxVersion ?? H248_VERSION) && !negotiating) {
      this.log.info({ gateway: gw.config.name, version: req.version }, 'h248 request in a version the MGC does not speak refused with 406');
      return { error: errorDescriptor(ERR.VERSION_NOT_SUPPORTED, 'Version Not Supported') };
    }
    const actions: ActionReply[] = req.request.actions.map((a) => {
      const replies: CommandReply[] = [];
      for (const c of a.commands) {
        switch (c.command) {
          case 'serviceChange':
            replies.push(this.onServiceChange(gw, req, c.terminationId, c.params));
            break;
          case 'notify':
            replies.push({ command: 'notify', terminationId: c.terminationId });
            this.emit('notify', {
              gateway: gw.config.name,
              contextId: a.contextId,
              terminationId: c.terminationId,
              requestId: c.observedEvents.requestId,
              events: c.observedEvents.events,
            });
            break;
          default:
            // §7.2: Add/Modify/Subtract/Move/Audit go from the MGC to the MG only.
            return { contextId: a.contextId, replies, error: errorDescriptor(ERR.UNSUPPORTED_COMMAND, `${c.command} is not accepted by the MGC`) };
        }
      }
      return { contextId: a.contextId, replies };
    });
    return { actions };
  }

  private onServiceChange(g: Gw, req: IncomingRequest, terminationId: string, p: ServiceChangeParams): CommandReply {
    const method = p.method ?? 'restart';
    const root = terminationId.toUpperCase() === 'ROOT';
    const registration = root && REGISTRATION_METHODS.has(method);
    const now = this.clock.now();
    if (registration) {
      // A gateway that restarted will not answer what was sent to it before.
      if (g.peer && (method === 'restart' || g.peer.address !== req.from.address || g.peer.port !== req.from.port)) {
        const n = this.layer.abandon(g.peer, `gateway ${g.config.name} re-registered (ServiceChange ${method})`);
        if (n > 0) this.log.warn({ gateway: g.config.name, abandoned: n }, 'h248 requests outstanding at a gateway restart given up');
      }
      // §11.2/§7.2.8.1.5: later commands go where the gateway says, or where it wrote from.
      const addr = p.address;
      g.peer =
        typeof addr === 'number'
          ? { address: req.from.address, port: addr }
          : addr && (addr.kind === 'ip4' || addr.kind === 'ip6') && addr.port !== undefined
            ? { address: addr.address, port: addr.port }
            : req.from;
      g.state = 'registered';
      g.registrations++;
      g.registeredAt = now;
      // §11.3: the controller answers with the highest version both support.
      g.version = Math.min(p.version ?? req.version, g.config.maxVersion ?? H248_VERSION);
      this.scheduleAudit(g);
    } else if (root && (method === 'forced' || method === 'graceful')) {
      g.state = 'out-of-service';
    }
    this.log.info({ gateway: g.config.name, terminationId, method, reason: p.reason, from: req.from }, 'h248 service change');
    const event: ServiceChangeEvent = {
      gateway: g.config.name,
      mid: req.mid,
      from: req.from,
      terminationIds: [terminationId],
      method,
      registration,
      ...(p.reason !== undefined ? { reason: p.reason } : {}),
      ...(p.delay !== undefined ? { delaySeconds: p.delay } : {}),
    };
    // Listeners hear of it once the reply is on its way.
    queueMicrotask(() => {
      try {
        this.emit('serviceChange', event);
      } catch (err) {
        this.log.error({ err, gateway: g.config.name }, 'h248 serviceChange listener failed');
      }
    });
    const offerVersion = p.version !== undefined || req.version !== H248_VERSION;
    return { command: 'serviceChange', terminationId, ...(offerVersion ? { params: { version: g.version } } : {}) };
  }

  /** Stops retransmissions and audits, rejects pending requests and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const g of this.byName.values()) this.clock.clearTimeout(g.auditTimer);
    this.layer.close();
    await this.transport.close();
  }
}

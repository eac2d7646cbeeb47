/**
 * The MGCP Call Agent (RFC 3435 §2.3): typed commands towards gateways and the answers to what
 * gateways send (RSIP, NTFY; anything else 504). Non-2xx finals reject with MgcpError `rejected`.
 * Commands are taken only from configured gateways (command-screen.ts); with no gateway
 * configured, every command is refused.
 */
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { mgcpMetrics, type MgcpMetrics } from './metrics.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { CommandScreen } from './command-screen.js';
import { isSuccess, PARAM, RC, RESTART_METHODS, type ConnectionMode } from './constants.js';
import { MgcpError } from './errors.js';
import type { TrustedGateway } from './gateway-acl.js';
import { paramValue, response, type MgcpCommand, type MgcpParam, type MgcpResponse } from './messages.js';
import type { RetransmitPolicy } from './transaction-fsm.js';
import { TransactionLayer, type CommandRequest, type Peer } from './transaction-layer.js';
import { openUdpTransport, type MgcpTransport } from './transport.js';
import { mgcpTap } from './tap.js';
import type { MessageTap } from '../../util/message-tap.js';

export type RestartMethod = (typeof RESTART_METHODS)[number];

export interface RestartEvent {
  readonly from: Peer;
  /** Name of the configured gateway it came from. */
  readonly gateway: string;
  readonly endpoint: string;
  /** RFC 3435 §2.3.12 RestartMethod (RM), "restart" when absent. */
  readonly method: RestartMethod;
  readonly delaySeconds?: number;
  readonly reasonCode?: string;
}

export interface NotifyEvent {
  readonly from: Peer;
  readonly gateway: string;
  readonly endpoint: string;
  readonly requestId?: string;
  readonly observedEvents?: string;
}

export interface UnreachableEvent {
  readonly peer: Peer;
  readonly verb: string;
  readonly endpoint: string;
}

export interface CallAgentEvents {
  restart: [RestartEvent];
  notify: [NotifyEvent];
  unreachable: [UnreachableEvent];
}

export interface CallAgentOptions {
  /** The gateways whose commands (RSIP, NTFY) are accepted; none by default. */
  gateways?: readonly TrustedGateway[];
  /** At most one log line per refusal reason per this many ms (default 10 s). */
  rejectLogIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
  policy?: Partial<RetransmitPolicy>;
  responseCacheMs?: number;
  piggybackResponseAcks?: boolean;
  /** Sees every datagram that carries a call id, or answers a command that did (the call trail). */
  tap?: MessageTap;
  /** Where transactions and refusals are counted (the switch's registry; default: one of the agent's own). */
  registry?: Registry;
}

export interface CrcxRequest {
  readonly endpoint: string;
  readonly callId: string;
  readonly mode: ConnectionMode;
  /** LocalConnectionOptions (L:), e.g. "p:20, a:PCMU". */
  readonly localOptions?: string;
  readonly remoteSdp?: string;
  readonly notifiedEntity?: string;
  readonly extraParams?: readonly MgcpParam[];
}

export interface CrcxResult {
  /** The specific endpoint (Z: when the request named a wildcard, RFC 3435 §2.3.5). */
  readonly endpoint: string;
  readonly connectionId: string;
  readonly localSdp?: string;
  readonly response: MgcpResponse;
}

export interface MdcxRequest {
  readonly endpoint: string;
  readonly callId: string;
  readonly connectionId: string;
  readonly mode?: ConnectionMode;
  readonly localOptions?: string;
  readonly remoteSdp?: string;
}

export interface DlcxRequest {
  readonly endpoint: string;
  readonly callId?: string;
  readonly connectionId?: string;
}

export interface RqntRequest {
  readonly endpoint: string;
  readonly requestId: string;
  readonly requestedEvents?: string;
  readonly signalRequests?: string;
  readonly notifiedEntity?: string;
  readonly digitMap?: string;
}

/** A NotificationRequest with every parameter a line or trunk endpoint needs (RFC 3435 §2.3.3). */
export interface NotificationRequest extends RqntRequest {
  /** QuarantineHandling (Q:), e.g. "process,loop" (RFC 3435 §3.2.2.12). */
  readonly quarantine?: string;
}

function p(name: string, value: string | undefined): MgcpParam[] {
  return value === undefined ? [] : [{ name, value }];
}

/** Appends the parameter when it has a value (the hot path's form of `...p(name, value)`). */
function put(params: MgcpParam[], name: string, value: string | undefined): void {
  if (value !== undefined) params.push({ name, value });
}

/** Rejects a non-2xx final with MgcpError `rejected`. */
function successOf(r: MgcpResponse): MgcpResponse {
  if (!isSuccess(r.code)) throw new MgcpError('rejected', r.code, r.comment, r.transactionId);
  return r;
}

export class MgcpCallAgent extends EventEmitter<CallAgentEvents> {
  readonly layer: TransactionLayer;
  readonly clock: Clock;
  private readonly log: Logger;
  private readonly screen: CommandScreen;
  private readonly metrics: MgcpMetrics;

  constructor(
    private readonly transport: MgcpTransport,
    opts: CallAgentOptions = {},
  ) {
    super();
    this.log = opts.log ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    const tap = opts.tap && mgcpTap(opts.tap, () => transport.local);
    const metrics = mgcpMetrics(opts.registry ?? new Registry());
    this.metrics = metrics;
    this.zeroSeries(opts.gateways ?? []);
    this.screen = new CommandScreen(opts.gateways ?? [], this.clock, this.log, opts.rejectLogIntervalMs, metrics);
    this.layer = new TransactionLayer({
      admit: this.screen.admit,
      responseFrom: this.screen.responseFrom,
      send: tap
        ? (d, to) => {
            transport.send(d, to);
            tap.sent(d, to);
          }
        : (d, to) => transport.send(d, to),
      onCommand: (c, from) => this.onCommand(c, from),
      clock: this.clock,
      log: this.log,
      policy: opts.policy,
      responseCacheMs: opts.responseCacheMs,
      piggybackResponseAcks: opts.piggybackResponseAcks,
      metrics,
      onGiveUp: (peer, verb, endpoint) => this.emit('unreachable', { peer, verb, endpoint }),
    });
    transport.onDatagram(
      tap
        ? (d, from) => {
            tap.received(d, from);
            this.layer.receive(d, from);
          }
        : (d, from) => this.layer.receive(d, from),
    );
  }

  /** Opens a UDP socket (port 0: any free port) and a call agent on it. */
  static async open(port = 0, address = '0.0.0.0', opts: CallAgentOptions = {}): Promise<MgcpCallAgent> {
    return new MgcpCallAgent(await openUdpTransport(port, address), opts);
  }

  get local(): Peer {
    return this.transport.local;
  }

  /** Replaces the gateways whose commands are accepted. */
  setGateways(gateways: readonly TrustedGateway[]): void {
    this.screen.setGateways(gateways);
    this.zeroSeries(gateways);
  }

  /** Each configured gateway's retransmission series exists from the start (0), so rate() and alerts see it. */
  private zeroSeries(gateways: readonly TrustedGateway[]): void {
    for (const g of gateways) this.metrics.mgcpRetransmissions.inc({ gateway: g.domain.toLowerCase() }, 0);
  }

  /** Sends any command and resolves with the final response, whatever its code. */
  send(gateway: Peer, req: CommandRequest): Promise<MgcpResponse> {
    return this.layer.request(gateway, req);
  }

  private expectSuccess(gateway: Peer, req: CommandRequest): Promise<MgcpResponse> {
    return this.layer.request(gateway, req).then(successOf);
  }

  /** CreateConnection (RFC 3435 §2.3.5). */
  async crcx(gateway: Peer, req: CrcxRequest): Promise<CrcxResult> {
    const params: MgcpParam[] = [];
    put(params, PARAM.CallId, req.callId);
    put(params, PARAM.NotifiedEntity, req.notifiedEntity);
    put(params, PARAM.LocalConnectionOptions, req.localOptions);
    put(params, PARAM.ConnectionMode, req.mode);
    if (req.extraParams) for (const x of req.extraParams) params.push(x);
    const r = await this.expectSuccess(gateway, { verb: 'CRCX', endpoint: req.endpoint, params, sdp: req.remoteSdp });
    const connectionId = paramValue(r, PARAM.ConnectionId);
    if (!connectionId) throw new MgcpError('rejected', RC.PROTOCOL_ERROR, 'CRCX answer without ConnectionId', r.transactionId);
    const endpoint = paramValue(r, PARAM.SpecificEndpointId) ?? req.endpoint;
    return r.sdp ? { endpoint, connectionId, localSdp: r.sdp, response: r } : { endpoint, connectionId, response: r };
  }

  /** ModifyConnection (RFC 3435 §2.3.6). */
  async mdcx(gateway: Peer, req: MdcxRequest): Promise<{ localSdp?: string; response: MgcpResponse }> {
    const r = await this.expectSuccess(gateway, {
      verb: 'MDCX',
      endpoint: req.endpoint,
      params: [
        ...p(PARAM.CallId, req.callId),
        ...p(PARAM.ConnectionId, req.connectionId),
        ...p(PARAM.LocalConnectionOptions, req.localOptions),
        ...p(PARAM.ConnectionMode, req.mode),
      ],
      sdp: req.remoteSdp,
    });
    return { ...(r.sdp ? { localSdp: r.sdp } : {}), response: r };
  }

  /** DeleteConnection (RFC 3435 §2.3.7); resolves with the ConnectionParameters (P:) when given. */
  async dlcx(gateway: Peer, req: DlcxRequest): Promise<{ connectionParameters?: string; response: MgcpResponse }> {
    const params: MgcpParam[] = [];
    put(params, PARAM.CallId, req.callId);
    put(params, PARAM.ConnectionId, req.connectionId);
    const r = await this.expectSuccess(gateway, { verb: 'DLCX', endpoint: req.endpoint, params });
    const cp = paramValue(r, PARAM.ConnectionParameters);
    return cp !== undefined ? { connectionParameters: cp, response: r } : { response: r };
  }

  /** AuditEndpoint (RFC 3435 §2.3.10); `requestedInfo` is the F: list, e.g. "I,M". */
  auep(gateway: Peer, endpoint: string, requestedInfo?: string): Promise<MgcpResponse> {
    return this.expectSuccess(gateway, { verb: 'AUEP', endpoint, params: p(PARAM.RequestedInfo, requestedInfo) });
  }

  /** NotificationRequest (RFC 3435 §2.3.3). */
  rqnt(gateway: Peer, req: RqntRequest): Promise<MgcpResponse> {
    return this.notificationRequest(gateway, req);
  }

  /**
   * NotificationRequest with QuarantineHandling (RFC 3435 §2.3.3): N:, X:, R:, S:, Q:, D: in the
   * order RFC 3435 §3.2.2 lists them. An empty `signalRequests` is sent as "S:" (stop all signals).
   */
  notificationRequest(gateway: Peer, req: NotificationRequest): Promise<MgcpResponse> {
    return this.expectSuccess(gateway, {
      verb: 'RQNT',
      endpoint: req.endpoint,
      params: [
        ...p(PARAM.NotifiedEntity, req.notifiedEntity),
        ...p(PARAM.RequestIdentifier, req.requestId),
        ...p(PARAM.RequestedEvents, req.requestedEvents),
        ...p(PARAM.SignalRequests, req.signalRequests),
        ...p(PARAM.QuarantineHandling, req.quarantine),
        ...p(PARAM.DigitMap, req.digitMap),
      ],
    });
  }

  private onCommand(c: MgcpCommand, from: Peer): MgcpResponse {
    // The screen admitted it, so the source is a configured gateway serving this endpoint's domain.
    const gateway = this.screen.gatewayOf(from, c.endpoint)?.name ?? '';
    // RFC 3435 §3.2.2: an "X+" extension parameter must be understood; "X-" and others are ignored.
    const mandatory = c.params.find((x) => x.name.startsWith('X+'));
    if (mandatory) return response(RC.UNRECOGNIZED_EXTENSION, c.transactionId, `${mandatory.name} not supported`);
    // One parameter given twice (e.g. RM: restart and RM: forced) leaves the command ambiguous: 510 protocol error (§2.4).
    const twice = c.params.find((x, i) => c.params.findIndex((y) => y.name === x.name) !== i);
    if (twice) return response(RC.PROTOCOL_ERROR, c.transactionId, `parameter ${twice.name} given twice`);
    switch (c.verb) {
      case 'RSIP': {
        // RFC 3435 §2.3.12: acknowledge, then let the owner release, re-audit or re-create connections.
        const rm = (paramValue(c, PARAM.RestartMethod) ?? 'restart').toLowerCase();
        if (!(RESTART_METHODS as readonly string[]).includes(rm))
          return response(RC.UNKNOWN_RESTART_METHOD, c.transactionId, 'Unknown RestartMethod');
        const rd = paramValue(c, PARAM.RestartDelay);
        const delay = rd !== undefined && /^[0-9]{1,9}$/.test(rd) ? Number(rd) : undefined;
        const e = paramValue(c, PARAM.ReasonCode);
        this.log.info({ gateway, endpoint: c.endpoint, method: rm, from }, 'mgcp restart in progress');
        this.emit('restart', {
          from,
          gateway,
          endpoint: c.endpoint,
          method: rm as RestartMethod,
          ...(delay !== undefined ? { delaySeconds: delay } : {}),
          ...(e !== undefined ? { reasonCode: e } : {}),
        });
        return response(RC.OK, c.transactionId, 'OK');
      }
      case 'NTFY': {
        const x = paramValue(c, PARAM.RequestIdentifier);
        const o = paramValue(c, PARAM.ObservedEvents);
        this.emit('notify', {
          from,
          gateway,
          endpoint: c.endpoint,
          ...(x !== undefined ? { requestId: x } : {}),
          ...(o !== undefined ? { observedEvents: o } : {}),
        });
        return response(RC.OK, c.transactionId, 'OK');
      }
      default:
        // Gateway-side commands sent to a call agent (RFC 3435 §2.3: CA → gateway only).
        return response(RC.UNKNOWN_COMMAND, c.transactionId, `${c.verb} not supported by the call agent`);
    }
  }

  /** Stops retransmissions, rejects pending commands and closes the socket. */
  async close(): Promise<void> {
    this.layer.close();
    await this.transport.close();
  }
}

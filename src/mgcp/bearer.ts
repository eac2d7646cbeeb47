/**
 * {@link BearerPort} over MGCP: endpoints are routed to gateways by their domain name (RFC 3435
 * §2.1.1); only the configured gateways' addresses may send commands (RSIP, NTFY) to the call
 * agent. An RSIP becomes a restart notice, and for "restart" and "disconnected" an audit of the
 * endpoint follows (RFC 3435 §2.3.12, §4.4.7).
 */
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { SoftswitchError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import {
  BearerError,
  type BearerConnection,
  type BearerPort,
  type BearerPortEvents,
  type ConnectionChange,
  type CreateConnectionRequest,
  type EndpointAudit,
  type RestartNotice,
} from './bearer-port.js';
import { MgcpCallAgent, type CallAgentOptions, type RestartEvent } from './mgcp/call-agent.js';
import { rejectCauseOf } from './mgcp/causes.js';
import { PARAM } from './mgcp/constants.js';
import { MgcpError } from './mgcp/errors.js';
import type { TrustedGateway } from './mgcp/gateway-acl.js';
import type { Peer } from './mgcp/transaction-layer.js';

export interface GatewayConfig {
  readonly name: string;
  /** Where commands are sent. */
  readonly address: string;
  /** Addresses the gateway may send from (a multi-homed gateway); default `[address]`. */
  readonly addresses?: readonly string[];
  readonly port: number;
  /** The domain part of its endpoint names ("tgw1.example.net" in "ds/ds1-1/1@tgw1.example.net"). */
  readonly domain: string;
}

/** The call agent's view of which sources may send commands for which domain. */
export function trustedGateways(gateways: readonly GatewayConfig[]): TrustedGateway[] {
  return gateways.map((g) => ({
    name: g.name,
    domain: g.domain,
    addresses: g.addresses && g.addresses.length > 0 ? g.addresses : [g.address],
    port: g.port,
  }));
}

/** Host names in `address`/`addresses` resolved to the IP addresses datagrams will come from. */
async function resolveAddresses(gateways: readonly GatewayConfig[]): Promise<GatewayConfig[]> {
  return Promise.all(
    gateways.map(async (g, i) => {
      const names = g.addresses && g.addresses.length > 0 ? g.addresses : [g.address];
      const resolved: string[] = [];
      for (const n of names) {
        if (isIP(n)) resolved.push(n);
        else {
          try {
            resolved.push(...(await lookup(n, { all: true, family: 4 })).map((r) => r.address));
          } catch (err) {
            throw new SoftswitchError('SSW_ERR_CONFIG_INVALID', `mgcp.gateways.${i} (${g.name}): cannot resolve "${n}"; give IP addresses in addresses`, { cause: err });
          }
        }
      }
      return { ...g, addresses: resolved };
    }),
  );
}

/** RFC 3435 §2.3.12: methods after which the endpoint's connections are gone. */
const CONNECTIONS_LOST = new Set<RestartNotice['method']>(['restart', 'forced']);
/** A RestartDelay longer than this (RD allows nine digits) still gets its audit after an hour. */
const MAX_AUDIT_DELAY_S = 3600;
/** Methods after which the endpoint is audited to learn its state. */
const AUDITED = new Set<RestartNotice['method']>(['restart', 'disconnected']);

export interface MgcpBearerOptions {
  /** LocalConnectionOptions for CRCX, e.g. "p:20, a:PCMA". */
  readonly localOptions?: string;
  /** RequestedInfo (F:) for AUEP; osmo-mgw ignores it, others answer I: with the connections. */
  readonly auditInfo?: string;
  /** Audit endpoints after RSIP restart/disconnected (default true). */
  readonly auditAfterRestart?: boolean;
}

export class MgcpBearerPort extends EventEmitter<BearerPortEvents> implements BearerPort {
  private readonly byDomain = new Map<string, GatewayConfig>();
  /** Pending post-restart audits by endpoint: a newer RSIP for the same endpoint replaces the older's. */
  private readonly audits = new Map<string, TimerHandle>();
  private closed = false;

  constructor(
    readonly agent: MgcpCallAgent,
    gateways: readonly GatewayConfig[],
    private readonly opts: MgcpBearerOptions = {},
  ) {
    super();
    for (const g of gateways) this.byDomain.set(g.domain.toLowerCase(), g);
    agent.setGateways(trustedGateways(gateways));
    agent.on('restart', (e) => this.onRestart(e));
    agent.on('unreachable', (e) => {
      const g = this.gatewayFor(e.endpoint) ?? this.gatewayAt(e.peer);
      if (g) this.emit('unreachable', { gateway: g.name, endpoint: e.endpoint });
    });
  }

  private onRestart(e: RestartEvent): void {
    const g = [...this.byDomain.values()].find((x) => x.name === e.gateway);
    if (!g || this.closed) return;
    this.emit('restart', {
      gateway: g.name,
      endpoint: e.endpoint,
      method: e.method,
      ...(e.delaySeconds !== undefined ? { delaySeconds: e.delaySeconds } : {}),
      connectionsLost: CONNECTIONS_LOST.has(e.method),
    });
    if (this.opts.auditAfterRestart === false || !AUDITED.has(e.method)) return;
    // The audit goes after the RSIP's answer (a gateway may hold commands until its RSIP is
    // answered), and for "restart" once the endpoint is back, RestartDelay seconds later.
    const delayMs = e.method === 'restart' ? Math.min(e.delaySeconds ?? 0, MAX_AUDIT_DELAY_S) * 1000 : 0;
    const key = `${g.name}|${e.endpoint.toLowerCase()}`;
    this.agent.clock.clearTimeout(this.audits.get(key));
    const timer = this.agent.clock.setTimeout(() => {
      this.audits.delete(key);
      void this.auditAfterRestart(g, e);
    }, delayMs);
    this.audits.set(key, timer);
  }

  private async auditAfterRestart(g: GatewayConfig, e: RestartEvent): Promise<void> {
    const base = { gateway: g.name, endpoint: e.endpoint, method: e.method };
    try {
      const audit = await this.auditEndpoint(e.endpoint);
      if (!this.closed) this.emit('audited', { ...base, audit });
    } catch (err) {
      if (!this.closed && err instanceof BearerError && err.kind !== 'closed') this.emit('audited', { ...base, error: err });
    }
  }

  /** Opens a call agent on a UDP port (0: any free port) serving these gateways; host names are resolved once here. */
  static async open(
    gateways: readonly GatewayConfig[],
    listen: { port?: number; address?: string } = {},
    agentOpts: CallAgentOptions = {},
    opts: MgcpBearerOptions = {},
  ): Promise<MgcpBearerPort> {
    const resolved = await resolveAddresses(gateways);
    const agent = await MgcpCallAgent.open(listen.port ?? 0, listen.address ?? '0.0.0.0', agentOpts);
    return new MgcpBearerPort(agent, resolved, opts);
  }

  /** Where commands for `endpoint` go (its gateway's address and port), by the endpoint's domain. */
  peerOf(endpoint: string): { name: string; peer: Peer } | undefined {
    const g = this.gatewayFor(endpoint);
    return g && { name: g.name, peer: { address: g.address, port: g.port } };
  }

  private gatewayFor(endpoint: string): GatewayConfig | undefined {
    const at = endpoint.lastIndexOf('@');
    return at < 0 ? undefined : this.byDomain.get(endpoint.slice(at + 1).toLowerCase());
  }

  private gatewayAt(peer: Peer): GatewayConfig | undefined {
    for (const g of this.byDomain.values()) if (g.address === peer.address && g.port === peer.port) return g;
    return undefined;
  }

  private route(endpoint: string): GatewayConfig {
    const g = this.gatewayFor(endpoint);
    if (!g) throw new BearerError('unknown-gateway', 'no gateway configured for this domain', undefined, undefined, endpoint);
    return g;
  }

  private static wrap(e: unknown, g: GatewayConfig, endpoint: string): BearerError {
    if (!(e instanceof MgcpError)) return e instanceof BearerError ? e : new BearerError('invalid', String(e), undefined, g.name, endpoint);
    const kind = e.kind === 'timeout' ? 'unreachable' : e.kind;
    const cause = kind === 'rejected' && e.code !== undefined ? rejectCauseOf(e.code) : undefined;
    return new BearerError(kind, e.text, e.code, g.name, endpoint, cause);
  }

  async createConnection(req: CreateConnectionRequest): Promise<BearerConnection> {
    const g = this.route(req.endpoint);
    try {
      const r = await this.agent.crcx(g, {
        endpoint: req.endpoint,
        callId: req.callId,
        mode: req.mode,
        ...(this.opts.localOptions ? { localOptions: this.opts.localOptions } : {}),
        ...(req.remoteSdp ? { remoteSdp: req.remoteSdp } : {}),
      });
      return {
        endpoint: r.endpoint,
        connectionId: r.connectionId,
        callId: req.callId,
        mode: req.mode,
        gateway: g.name,
        ...(r.localSdp ? { localSdp: r.localSdp } : {}),
      };
    } catch (e) {
      throw MgcpBearerPort.wrap(e, g, req.endpoint);
    }
  }

  async modifyConnection(conn: BearerConnection, change: ConnectionChange): Promise<BearerConnection> {
    const g = this.route(conn.endpoint);
    try {
      const r = await this.agent.mdcx(g, {
        endpoint: conn.endpoint,
        callId: conn.callId,
        connectionId: conn.connectionId,
        // Always the mode the call engine believes the connection has (RFC 3435 §2.3.6 would keep
        // the gateway's when absent): a gateway that lost a previous MDCX's effect is put right.
        mode: change.mode ?? conn.mode,
        ...(change.remoteSdp ? { remoteSdp: change.remoteSdp } : {}),
      });
      const localSdp = r.localSdp ?? conn.localSdp;
      return { ...conn, mode: change.mode ?? conn.mode, ...(localSdp ? { localSdp } : {}) };
    } catch (e) {
      throw MgcpBearerPort.wrap(e, g, conn.endpoint);
    }
  }

  async deleteConnection(conn: BearerConnection): Promise<void> {
    const g = this.route(conn.endpoint);
    try {
      await this.agent.dlcx(g, { endpoint: conn.endpoint, callId: conn.callId, connectionId: conn.connectionId });
    } catch (e) {
      throw MgcpBearerPort.wrap(e, g, conn.endpoint);
    }
  }

  async auditEndpoint(endpoint: string): Promise<EndpointAudit> {
    const g = this.route(endpoint);
    try {
      const r = await this.agent.auep(g, endpoint, this.opts.auditInfo);
      const connectionIds: string[] = [];
      const details: Record<string, string> = {};
      for (const p of r.params) {
        // RFC 3435 §2.3.10: connection ids come as one or more I: lines of comma-separated ids.
        if (p.name === PARAM.ConnectionId) {
          for (const id of p.value.split(',')) if (id.trim()) connectionIds.push(id.trim());
        } else if (!(p.name in details)) details[p.name] = p.value;
      }
      return { endpoint, gateway: g.name, connectionIds, details };
    } catch (e) {
      throw MgcpBearerPort.wrap(e, g, endpoint);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.audits.values()) this.agent.clock.clearTimeout(t);
    this.audits.clear();
    await this.agent.close();
  }
}

/** {@link BearerPort} over MGCP: endpoints are routed to gateways by their domain name (RFC 3435 §2.1.1). */
import { EventEmitter } from 'node:events';
import {
  BearerError,
  type BearerConnection,
  type BearerPort,
  type BearerPortEvents,
  type ConnectionChange,
  type CreateConnectionRequest,
  type EndpointAudit,
} from './bearer-port.js';
import { MgcpCallAgent, type CallAgentOptions } from './mgcp/call-agent.js';
import { PARAM } from './mgcp/constants.js';
import { MgcpError } from './mgcp/errors.js';
import type { Peer } from './mgcp/transaction-layer.js';

export interface GatewayConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The domain part of its endpoint names ("tgw1.example.net" in "ds/ds1-1/1@tgw1.example.net"). */
  readonly domain: string;
}

export interface MgcpBearerOptions {
  /** LocalConnectionOptions for CRCX, e.g. "p:20, a:PCMA". */
  readonly localOptions?: string;
  /** RequestedInfo (F:) for AUEP; osmo-mgw ignores it, others answer I: with the connections. */
  readonly auditInfo?: string;
}

export class MgcpBearerPort extends EventEmitter<BearerPortEvents> implements BearerPort {
  private readonly byDomain = new Map<string, GatewayConfig>();

  constructor(
    readonly agent: MgcpCallAgent,
    gateways: readonly GatewayConfig[],
    private readonly opts: MgcpBearerOptions = {},
  ) {
    super();
    for (const g of gateways) this.byDomain.set(g.domain.toLowerCase(), g);
    agent.on('restart', (e) => {
      const g = this.gatewayFor(e.endpoint) ?? this.gatewayAt(e.from);
      if (!g) return;
      this.emit('restart', {
        gateway: g.name,
        endpoint: e.endpoint,
        method: e.method,
        ...(e.delaySeconds !== undefined ? { delaySeconds: e.delaySeconds } : {}),
      });
    });
    agent.on('unreachable', (e) => {
      const g = this.gatewayFor(e.endpoint) ?? this.gatewayAt(e.peer);
      if (g) this.emit('unreachable', { gateway: g.name, endpoint: e.endpoint });
    });
  }

  /** Opens a call agent on a UDP port (0: any free port) serving these gateways. */
  static async open(
    gateways: readonly GatewayConfig[],
    listen: { port?: number; address?: string } = {},
    agentOpts: CallAgentOptions = {},
    opts: MgcpBearerOptions = {},
  ): Promise<MgcpBearerPort> {
    const agent = await MgcpCallAgent.open(listen.port ?? 0, listen.address ?? '0.0.0.0', agentOpts);
    return new MgcpBearerPort(agent, gateways, opts);
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
    return new BearerError(kind, e.text, e.code, g.name, endpoint);
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
        ...(change.mode ? { mode: change.mode } : {}),
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
    await this.agent.close();
  }
}

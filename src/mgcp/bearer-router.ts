/**
 * One bearer port over several gateway protocols: each request goes to the port that controls the
 * endpoint's domain (MGCP or H.248, per gateway in the configuration), and the ports' restart and
 * unreachable notices come out of this one. Call control never knows which protocol a gateway speaks.
 */
import { EventEmitter } from 'node:events';
import {
  BearerError,
  type BearerConnection,
  type BearerPort,
  type BearerPortEvents,
  type ConnectionChange,
  type CreateConnectionRequest,
  type EndpointAudit,
  type RestartNotice,
  type UnreachableNotice,
} from './bearer-port.js';

export class BearerRouter extends EventEmitter implements BearerPort {
  private readonly byDomain = new Map<string, BearerPort>();

  /** `routes`: each port with the endpoint domains of its gateways. */
  constructor(private readonly routes: Array<{ port: BearerPort; domains: string[] }>) {
    super();
    for (const r of routes) {
      for (const d of r.domains) this.byDomain.set(d.toLowerCase(), r.port);
      r.port.on('restart', (n: RestartNotice) => this.emit('restart', n));
      r.port.on('unreachable', (n: UnreachableNotice) => this.emit('unreachable', n));
    }
  }

  private portFor(endpoint: string): BearerPort {
    const at = endpoint.lastIndexOf('@');
    const port = at >= 0 ? this.byDomain.get(endpoint.slice(at + 1).toLowerCase()) : undefined;
    if (!port) throw new BearerError('unknown-gateway', 'no MGCP or H.248 gateway has this domain (mgcp.gateways[].domain, h248.gateways[].domain)', undefined, undefined, endpoint);
    return port;
  }

  async createConnection(req: CreateConnectionRequest): Promise<BearerConnection> {
    return this.portFor(req.endpoint).createConnection(req);
  }

  async modifyConnection(conn: BearerConnection, change: ConnectionChange): Promise<BearerConnection> {
    return this.portFor(conn.endpoint).modifyConnection(conn, change);
  }

  async deleteConnection(conn: BearerConnection): Promise<void> {
    return this.portFor(conn.endpoint).deleteConnection(conn);
  }

  async auditEndpoint(endpoint: string): Promise<EndpointAudit> {
    return this.portFor(endpoint).auditEndpoint(endpoint);
  }

  override on<K extends keyof BearerPortEvents>(event: K, listener: (...args: BearerPortEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof BearerPortEvents>(event: K, listener: (...args: BearerPortEvents[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  async close(): Promise<void> {
    await Promise.all(this.routes.map((r) => r.port.close()));
  }
}

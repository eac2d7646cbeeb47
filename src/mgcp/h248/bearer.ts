/**
 * {@link BearerPort} over H.248 (mirrors the MGCP port in ../bearer.ts). An endpoint
 * "tdm/1/17@mg1" is the physical termination tdm/1/17 of the gateway whose domain is mg1; a
 * connection is a context holding it and an ephemeral RTP termination:
 *   createConnection = Context=$ { Add=tdm/1/17, Add=$ { Media { Stream=1 { LocalControl, Local, Remote } } } }
 *   modifyConnection = Context=N { Modify=rtp/x { Media { Stream=1 { LocalControl, Remote } } } }
 *   deleteConnection = Context=N { Subtract=tdm/1/17, Subtract=rtp/x }
 *   auditEndpoint    = Context=* { AuditValue=tdm/1/17 { Audit { Media } } }
 * A ServiceChange from a gateway becomes a 'restart' notice naming the connections it takes
 * down, so calls on them can be released.
 */
import { EventEmitter } from 'node:events';
import {
  BearerError,
  type BearerConnection,
  type BearerPort,
  type BearerPortEvents,
  type ConnectionChange,
  type ConnectionMode,
  type CreateConnectionRequest,
  type EndpointAudit,
  type RestartNotice,
} from '../bearer-port.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { tapKey } from '../../util/message-tap.js';
import { ERR } from './constants.js';
import { H248Error } from './errors.js';
import type { ActionReply, CommandReply, Descriptor, LocalControl, MediaDescriptor, StreamMode, TransactionReply } from './messages.js';
import { H248Controller, type ServiceChangeEvent } from './controller.js';
import { isTerminationId } from './text-scanner.js';

export interface H248GatewayRoute {
  /** Gateway name (as given to the controller). */
  readonly name: string;
  /** Domain part of its endpoint names: "tdm/1/17@<domain>". */
  readonly domain: string;
}

export interface H248BearerOptions {
  /** Local descriptor sent with the ephemeral Add: what the gateway may choose from ($ = its choice). */
  readonly localTemplate?: string;
  /** The termination the gateway chooses for RTP (default "$", an ephemeral termination). */
  readonly rtpTermination?: string;
  readonly log?: Logger;
}

/** A ServiceChange seen through the bearer port: the terminations named and the connections they take down. */
export interface H248RestartNotice extends RestartNotice {
  readonly terminationIds: readonly string[];
  /** Connections on those terminations; for Restart and Forced they are gone and forgotten here. */
  readonly connections: readonly BearerConnection[];
  readonly reason?: string;
}

interface Conn {
  readonly gateway: string;
  readonly contextId: number;
  readonly tdm: string;
  readonly rtp: string;
  readonly key: string;
  readonly callId: string;
  mode: ConnectionMode;
}

const MODES: Record<ConnectionMode, StreamMode> = {
  sendrecv: 'sendRecv',
  sendonly: 'sendOnly',
  recvonly: 'recvOnly',
  inactive: 'inactive',
  loopback: 'loopback',
};

const DEFAULT_LOCAL_TEMPLATE = 'v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8 0';

/** SDP as the rest of the softswitch writes it: CRLF line ends, a final CRLF. */
function normalizeSdp(s: string): string {
  const lines = s.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.join('\r\n') + '\r\n';
}

/** The session description for the wire: no trailing line end (the octet string is trimmed anyway). */
function wireSdp(s: string): string {
  return s.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '');
}

export class H248BearerPort extends EventEmitter<BearerPortEvents> implements BearerPort {
  private readonly byDomain = new Map<string, H248GatewayRoute>();
  private readonly byName = new Map<string, H248GatewayRoute>();
  /** Live connections by `${gateway}|${connectionId}`. */
  private readonly conns = new Map<string, Conn>();
  /** Registrations seen per gateway: part of every connection id so ids from before a restart never alias new contexts. */
  private readonly epoch = new Map<string, number>();
  private readonly log: Logger;

  constructor(
    readonly controller: H248Controller,
    routes: readonly H248GatewayRoute[],
    private readonly opts: H248BearerOptions = {},
  ) {
    super();
    this.log = opts.log ?? silentLogger;
    for (const r of routes) {
      this.byDomain.set(r.domain.toLowerCase(), r);
      this.byName.set(r.name, r);
    }
    controller.on('serviceChange', (e) => this.onServiceChange(e));
    controller.on('unreachable', (e) => {
      const r = this.byName.get(e.gateway);
      this.emit('unreachable', { gateway: e.gateway, endpoint: `*@${r?.domain ?? e.gateway}` });
    });
  }

  /** Connections this port holds (for tests and metrics). */
  get connectionCount(): number {
    return this.conns.size;
  }

  private route(endpoint: string): { r: H248GatewayRoute; termination: string } {
    const at = endpoint.lastIndexOf('@');
    const r = at < 0 ? undefined : this.byDomain.get(endpoint.slice(at + 1).toLowerCase());
    if (!r) throw new BearerError('unknown-gateway', 'no gateway configured for this domain', undefined, undefined, endpoint);
    const termination = endpoint.slice(0, at);
    if (!isTerminationId(termination) || termination === '*' || termination.toUpperCase() === 'ROOT')
      throw new BearerError('invalid', 'not a termination id (H.248.1 §B.2 pathNAME: letters, digits, "_", "/", "$", "*")', undefined, r.name, endpoint);
    return { r, termination };
  }

  private epochOf(gateway: string): number {
    return this.epoch.get(gateway) ?? 0;
  }

  private find(conn: BearerConnection): Conn | undefined {
    return this.conns.get(`${conn.gateway}|${conn.connectionId}`);
  }

  private static wrap(e: unknown, gateway: string | undefined, endpoint: string): BearerError {
    if (e instanceof BearerError) return e;
    if (!(e instanceof H248Error)) return new BearerError('invalid', String(e), undefined, gateway, endpoint);
    const kind = e.kind === 'timeout' ? 'unreachable' : e.kind;
    return new BearerError(kind, e.text, e.code, gateway, endpoint);
  }

  /** The first action's error, as a rejection. */
  private static firstAction(reply: TransactionReply): ActionReply {
    const a = reply.actions[0];
    if (!a) throw new H248Error('invalid', undefined, 'reply without an action reply', reply.id);
    if (a.error) throw new H248Error('rejected', a.error.code, a.error.text ?? '', reply.id);
    return a;
  }

  async createConnection(req: CreateConnectionRequest): Promise<BearerConnection> {
    const { r, termination } = this.route(req.endpoint);
    const localControl: LocalControl = { mode: MODES[req.mode] };
    const media: MediaDescriptor = {
      type: 'media',
      streams: [
        {
          id: 1,
          localControl,
          local: this.opts.localTemplate ?? DEFAULT_LOCAL_TEMPLATE,
          ...(req.remoteSdp ? { remote: wireSdp(req.remoteSdp) } : {}),
        },
      ],
    };
    try {
      const reply = await this.controller.request(r.name, [
        {
          contextId: '$',
          commands: [
            { command: 'add', terminationId: termination, descriptors: [] },
            { command: 'add', terminationId: this.opts.rtpTermination ?? '$', descriptors: [media] },
          ],
        },
      ], tapKey.mgcp(req.callId));
      const a = H248BearerPort.firstAction(reply);
      const [tdmReply, rtpReply] = a.replies;
      if (typeof a.contextId !== 'number' || tdmReply?.command !== 'add' || rtpReply?.command !== 'add' || !tdmReply.terminationId || !rtpReply.terminationId)
        throw new H248Error('invalid', undefined, 'Add reply without a context id and the two terminations', reply.id);
      const localSdp = localOf(rtpReply);
      const connectionId = `${a.contextId}.${this.epochOf(r.name)}`;
      const conn: Conn = {
        gateway: r.name,
        contextId: a.contextId,
        tdm: tdmReply.terminationId,
        rtp: rtpReply.terminationId,
        key: `${r.name}|${connectionId}`,
        callId: req.callId,
        mode: req.mode,
      };
      this.conns.set(conn.key, conn);
      if (this.log.isLevelEnabled('debug')) this.log.debug({ gateway: r.name, contextId: a.contextId, tdm: conn.tdm, rtp: conn.rtp, callId: req.callId }, 'h248 context created');
      return {
        endpoint: `${conn.tdm}@${r.domain}`,
        connectionId,
        callId: req.callId,
        mode: req.mode,
        gateway: r.name,
        ...(localSdp ? { localSdp: normalizeSdp(localSdp) } : {}),
      };
    } catch (e) {
      throw H248BearerPort.wrap(e, r.name, req.endpoint);
    }
  }

  async modifyConnection(conn: BearerConnection, change: ConnectionChange): Promise<BearerConnection> {
    const c = this.find(conn);
    if (!c) throw new BearerError('invalid', 'unknown connection (released, or from before a gateway restart)', undefined, conn.gateway, conn.endpoint);
    if (!change.mode && !change.remoteSdp) return conn;
    try {
      const reply = await this.controller.request(c.gateway, [
        {
          contextId: c.contextId,
          commands: [
            {
              command: 'modify',
              terminationId: c.rtp,
              descriptors: [
                {
                  type: 'media',
                  streams: [
                    {
                      id: 1,
                      ...(change.mode ? { localControl: { mode: MODES[change.mode] } } : {}),
                      ...(change.remoteSdp ? { remote: wireSdp(change.remoteSdp) } : {}),
                    },
                  ],
                },
              ],
            },
          ],
        },
      ], tapKey.mgcp(c.callId));
      const a = H248BearerPort.firstAction(reply);
      if (change.mode) c.mode = change.mode;
      const local = a.replies[0] ? localOf(a.replies[0]) : undefined;
      const localSdp = local ? normalizeSdp(local) : conn.localSdp;
      return { ...conn, mode: change.mode ?? conn.mode, ...(localSdp ? { localSdp } : {}) };
    } catch (e) {
      throw H248BearerPort.wrap(e, c.gateway, conn.endpoint);
    }
  }

  async deleteConnection(conn: BearerConnection): Promise<void> {
    const c = this.find(conn);
    if (!c) {
      // Released already, or lost with a gateway restart: nothing left to subtract.
      this.log.debug({ gateway: conn.gateway, connectionId: conn.connectionId }, 'h248 delete of a connection not held');
      return;
    }
    try {
      const reply = await this.controller.request(c.gateway, [
        {
          contextId: c.contextId,
          commands: [
            { command: 'subtract', terminationId: c.tdm },
            { command: 'subtract', terminationId: c.rtp },
          ],
        },
      ], tapKey.mgcp(c.callId));
      const a = reply.actions[0];
      // 411: the gateway no longer has the context, which is what we wanted.
      if (a?.error && a.error.code !== ERR.UNKNOWN_CONTEXT) throw new H248Error('rejected', a.error.code, a.error.text ?? '', reply.id);
      this.conns.delete(c.key);
    } catch (e) {
      if (e instanceof H248Error && e.kind === 'rejected' && e.code === ERR.UNKNOWN_CONTEXT) {
        this.conns.delete(c.key);
        return;
      }
      throw H248BearerPort.wrap(e, c.gateway, conn.endpoint);
    }
  }

  async auditEndpoint(endpoint: string): Promise<EndpointAudit> {
    const { r, termination } = this.route(endpoint);
    try {
      const reply = await this.controller.request(r.name, [{ contextId: '*', commands: [{ command: 'auditValue', terminationId: termination, audit: ['media'] }] }]);
      const a = H248BearerPort.firstAction(reply);
      const details: Record<string, string> = { context: String(a.contextId) };
      const audit = a.replies[0] && 'audit' in a.replies[0] ? a.replies[0].audit : undefined;
      for (const d of audit ?? []) addDetails(d, details);
      const connectionIds: string[] = [];
      if (typeof a.contextId === 'number') {
        const held = [...this.conns.values()].find((c) => c.gateway === r.name && c.contextId === a.contextId);
        connectionIds.push(held ? held.key.slice(r.name.length + 1) : `${a.contextId}.${this.epochOf(r.name)}`);
      }
      return { endpoint, gateway: r.name, connectionIds, details };
    } catch (e) {
      throw H248BearerPort.wrap(e, r.name, endpoint);
    }
  }

  private onServiceChange(e: ServiceChangeEvent): void {
    const r = this.byName.get(e.gateway);
    const domain = r?.domain ?? e.gateway;
    const root = e.terminationIds.some((t) => t.toUpperCase() === 'ROOT');
    const named = new Set(e.terminationIds.map((t) => t.toLowerCase()));
    const hit = [...this.conns.values()].filter((c) => c.gateway === e.gateway && (root || named.has(c.tdm.toLowerCase()) || named.has(c.rtp.toLowerCase())));
    // §7.2.8.1.1: Restart and Forced lose the terminations' state; Graceful, Disconnected, Failover and HandOff keep it.
    const lost = e.method === 'restart' || e.method === 'forced';
    const connections: BearerConnection[] = hit.map((c) => ({
      endpoint: `${c.tdm}@${domain}`,
      connectionId: c.key.slice(e.gateway.length + 1),
      callId: c.callId,
      mode: c.mode,
      gateway: e.gateway,
    }));
    if (lost) for (const c of hit) this.conns.delete(c.key);
    if (root && e.method === 'restart') this.epoch.set(e.gateway, this.epochOf(e.gateway) + 1);
    const notice: H248RestartNotice = {
      gateway: e.gateway,
      endpoint: root ? `*@${domain}` : `${e.terminationIds[0]}@${domain}`,
      method: (e.method === 'handOff' ? 'handoff' : e.method.toLowerCase()) as H248RestartNotice['method'],
      ...(e.delaySeconds !== undefined ? { delaySeconds: e.delaySeconds } : {}),
      terminationIds: e.terminationIds,
      connections,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
    };
    this.log.info({ gateway: e.gateway, method: notice.method, connections: connections.length, lost }, 'h248 gateway service change');
    this.emit('restart', notice);
  }

  async close(): Promise<void> {
    await this.controller.close();
  }
}

/** The Local descriptor a gateway returned for a termination (its RTP address and codecs). */
function localOf(r: CommandReply): string | undefined {
  const audit = 'audit' in r ? r.audit : undefined;
  for (const d of audit ?? []) if (d.type === 'media') for (const s of d.streams) if (s.local) return s.local;
  return undefined;
}

function addDetails(d: Descriptor, out: Record<string, string>): void {
  if (d.type === 'media') {
    const s = d.streams[0];
    if (s?.localControl?.mode && !('mode' in out)) out.mode = s.localControl.mode;
    if (d.termState?.serviceState && !('serviceState' in out)) out.serviceState = d.termState.serviceState;
  } else if (d.type === 'packages' && !('packages' in out)) out.packages = d.packages.map((p) => `${p.name}-${p.version}`).join(',');
  else if (d.type === 'error' && !('error' in out)) out.error = `${d.code}${d.text ? ` ${d.text}` : ''}`;
}

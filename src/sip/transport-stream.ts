/**
 * SIP over TCP or TLS (RFC 3261 §18): a listener and the connections to and from peers, the only
 * file here that touches stream sockets. Connections are reused, keyed by the peer's address and
 * port (§18.1.1, §18.2.2: a response goes back over the connection its request came on; a request
 * to a peer with an open connection uses it). Each connection frames its bytes with
 * {@link StreamFramer}, closes after an idle time, and inbound ones are capped per source address.
 */
import { createServer, connect as tcpConnect, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { lookup } from 'node:dns/promises';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { perRegistry } from '../util/metrics.js';
import type { Endpoint, StreamTransportName } from './message.js';
import { StreamFramer } from './stream-framer.js';

export type CloseReason = 'idle' | 'remote' | 'error' | 'framing' | 'limit' | 'connect-failed' | 'shutdown';

export const streamMetrics = perRegistry((registry: Registry) => ({
  open: new Gauge({ name: 'softswitch_sip_connections', help: 'SIP stream connections open (TCP, TLS)', labelNames: ['transport'], registers: [registry] }),
  opened: new Counter({
    name: 'softswitch_sip_connections_total',
    help: 'SIP stream connections opened, by transport and direction (inbound: accepted; outbound: connected by us)',
    labelNames: ['transport', 'direction'],
    registers: [registry],
  }),
  closed: new Counter({
    name: 'softswitch_sip_connections_closed_total',
    help: 'SIP stream connections closed, by reason (idle, remote, error, framing: unframeable bytes answered 400/413, limit: over the per-source cap, connect-failed, shutdown)',
    labelNames: ['transport', 'reason'],
    registers: [registry],
  }),
  pings: new Counter({ name: 'softswitch_sip_keepalive_pings_total', help: 'CRLFCRLF keep-alive pings answered with CRLF (RFC 5626 §4.4.1)', labelNames: ['transport'], registers: [registry] }),
}));

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Inbound: ask for a client certificate and refuse connections without a valid one. */
  requireClientCert?: boolean;
}

export interface StreamTransportOptions {
  kind: StreamTransportName;
  address: string;
  /** 0 lets the OS choose. */
  port: number;
  logger: Logger;
  registry: Registry;
  /** Required for kind 'tls'. */
  tls?: TlsFiles;
  /** A connection with no traffic this long is closed (default 600 s). */
  idleTimeoutMs?: number;
  /** Inbound connections held from one address (default 64); more are closed at once. */
  maxConnectionsPerSource?: number;
  /** The most one message may take; more is answered 413 and the connection closed (default 65,535). */
  maxMessageBytes?: number;
  /** Outbound connection set-up bound (default 5 s). */
  connectTimeoutMs?: number;
}

/** Bytes of a message the framer could not frame, for the core to answer (400/413) before the close. */
export type FramingErrorHandler = (head: Buffer | undefined, from: Endpoint, status: 400 | 413, reason: string) => void;

class Connection {
  readonly framer: StreamFramer;
  /** Writes waiting for an outbound connection to come up. */
  pending: Buffer[] | undefined;
  closing = false;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    readonly remote: Endpoint,
    readonly direction: 'inbound' | 'outbound',
    maxMessageBytes: number,
  ) {
    this.framer = new StreamFramer(maxMessageBytes);
  }
}

const keyOf = (address: string, port: number): string => `${address}:${port}`;

export class StreamTransport {
  private readonly connections = new Map<string, Connection>();
  private readonly perSource = new Map<string, number>();
  private handler: ((buf: Buffer, from: Endpoint) => void) | undefined;
  private framingHandler: FramingErrorHandler | undefined;
  private failureHandler: ((to: Endpoint) => void) | undefined;
  private closed = false;
  private readonly m: ReturnType<typeof streamMetrics>;

  private constructor(
    private readonly server: Server,
    private readonly opts: StreamTransportOptions,
  ) {
    this.m = streamMetrics(opts.registry);
    this.m.open.set({ transport: opts.kind }, 0);
  }

  static async open(opts: StreamTransportOptions): Promise<StreamTransport> {
    if (opts.kind === 'tls' && !opts.tls) throw new TypeError('a TLS transport needs a certificate and key');
    let self: StreamTransport | undefined;
    const onSocket = (socket: Socket) => self?.accept(socket);
    const server =
      opts.kind === 'tls'
        ? createTlsServer(
            { cert: opts.tls!.cert, key: opts.tls!.key, ca: opts.tls!.ca, requestCert: opts.tls!.requireClientCert === true, rejectUnauthorized: opts.tls!.requireClientCert === true },
            onSocket,
          )
        : createServer(onSocket);
    if (opts.kind === 'tls') server.on('tlsClientError', (err) => opts.logger.debug({ err: err.message }, 'sip tls handshake failed'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `SIP ${opts.kind.toUpperCase()} ${opts.address}:${opts.port}`, { cause: err }) : err);
      };
      server.once('error', onError);
      server.listen({ port: opts.port, host: opts.address, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => opts.logger.warn({ err, transport: opts.kind }, 'sip stream listener error'));
    self = new StreamTransport(server, opts);
    return self;
  }

  get kind(): StreamTransportName {
    return this.opts.kind;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** Connections open now. */
  get size(): number {
    return this.connections.size;
  }

  onMessage(handler: (buf: Buffer, from: Endpoint) => void): void {
    this.handler = handler;
  }

  onFramingError(handler: FramingErrorHandler): void {
    this.framingHandler = handler;
  }

  /** Told when bytes for `to` could not be delivered (no connection could be made, or it broke with writes pending). */
  onSendFailure(handler: (to: Endpoint) => void): void {
    this.failureHandler = handler;
  }

  /** True while a connection to or from that address and port is open. */
  has(to: Endpoint): boolean {
    return this.connections.has(keyOf(to.address, to.port));
  }

  /** Writes a message to the peer, over its open connection or a new one (a host name is resolved first). */
  send(buf: Buffer, to: Endpoint): void {
    if (this.closed) return;
    const c = this.connections.get(keyOf(to.address, to.port));
    if (c) return this.write(c, buf);
    if (!isIP(to.address)) {
      lookup(to.address).then(
        (r) => this.send(buf, { ...to, address: r.address }),
        (err: unknown) => {
          this.opts.logger.warn({ err, to }, 'sip destination does not resolve');
          this.failureHandler?.(to);
        },
      );
      return;
    }
    if (!Number.isInteger(to.port) || to.port < 1 || to.port > 65535) {
      this.opts.logger.warn({ to }, 'sip stream send refused: bad port');
      return void this.failureHandler?.(to);
    }
    const c2 = this.dial(to);
    c2.pending!.push(buf);
  }

  private write(c: Connection, buf: Buffer): void {
    if (c.closing) return;
    if (c.pending) c.pending.push(buf);
    else c.socket.write(buf);
  }

  /** A new outbound connection; writes queue until it is up (TLS: until the handshake is done). */
  private dial(to: Endpoint): Connection {
    const { kind, tls, connectTimeoutMs = 5_000 } = this.opts;
    const socket: Socket =
      kind === 'tls'
        ? // The server is verified against caFile (or the system CAs); our certificate is offered for peers that ask for one.
          tlsConnect({ host: to.address, port: to.port, ca: tls?.ca, cert: tls?.cert, key: tls?.key })
        : tcpConnect({ host: to.address, port: to.port });
    const c = new Connection(socket, keyOf(to.address, to.port), { address: to.address, port: to.port, transport: kind }, 'outbound', this.opts.maxMessageBytes ?? 65_535);
    c.pending = [];
    this.connections.set(c.key, c);
    const guard = setTimeout(() => socket.destroy(new Error('connect timeout')), connectTimeoutMs);
    guard.unref?.();
    const up = () => {
      clearTimeout(guard);
      this.m.opened.inc({ transport: kind, direction: 'outbound' });
      this.m.open.inc({ transport: kind });
      const queued = c.pending ?? [];
      c.pending = undefined;
      for (const b of queued) socket.write(b);
    };
    if (kind === 'tls') (socket as TLSSocket).once('secureConnect', up);
    else socket.once('connect', up);
    this.attach(c);
    return c;
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const port = socket.remotePort ?? 0;
    const kind = this.opts.kind;
    this.m.opened.inc({ transport: kind, direction: 'inbound' });
    const held = this.perSource.get(address) ?? 0;
    if (held >= (this.opts.maxConnectionsPerSource ?? 64)) {
      this.m.closed.inc({ transport: kind, reason: 'limit' });
      this.opts.logger.warn({ address, held, transport: kind }, 'sip connection refused: source over its connection cap (sip.stream.maxConnectionsPerSource)');
      return void socket.destroy();
    }
    this.perSource.set(address, held + 1);
    const c = new Connection(socket, keyOf(address, port), { address, port, transport: kind }, 'inbound', this.opts.maxMessageBytes ?? 65_535);
    // A second connection from the same address and port replaces the first as the way back.
    this.connections.set(c.key, c);
    this.m.open.inc({ transport: kind });
    this.attach(c);
  }

  /** Reading, idle timeout and teardown, for both directions. */
  private attach(c: Connection): void {
    const { socket } = c;
    const kind = this.opts.kind;
    let reason: CloseReason | undefined;
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.idleTimeoutMs ?? 600_000);
    socket.on('timeout', () => {
      reason ??= 'idle';
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.receive(c, chunk, (r) => (reason ??= r)));
    socket.on('end', () => {
      reason ??= 'remote';
      socket.end();
    });
    socket.on('error', (err) => {
      reason ??= c.direction === 'outbound' && c.pending ? 'connect-failed' : 'error';
      this.opts.logger.debug({ err: err.message, peer: c.remote, transport: kind }, 'sip connection error');
    });
    socket.on('close', () => {
      const wasUp = !(c.direction === 'outbound' && c.pending);
      const undelivered = c.pending !== undefined && c.pending.length > 0;
      c.pending = undefined;
      if (this.connections.get(c.key) === c) this.connections.delete(c.key);
      if (c.direction === 'inbound') {
        const n = (this.perSource.get(c.remote.address) ?? 1) - 1;
        if (n <= 0) this.perSource.delete(c.remote.address);
        else this.perSource.set(c.remote.address, n);
      }
      if (wasUp) this.m.open.dec({ transport: kind });
      this.m.closed.inc({ transport: kind, reason: reason ?? (this.closed ? 'shutdown' : 'remote') });
      if (undelivered || reason === 'connect-failed') {
        this.opts.logger.warn({ peer: c.remote, transport: kind }, 'sip connection could not be made; requests to it fail with 503');
        this.failureHandler?.(c.remote);
      }
    });
  }

  private receive(c: Connection, chunk: Buffer, setReason: (r: CloseReason) => void): void {
    for (const ev of c.framer.push(chunk)) {
      switch (ev.type) {
        case 'message':
          try {
            this.handler?.(ev.bytes, c.remote);
          } catch (err) {
            this.opts.logger.error({ err, from: c.remote }, 'sip stream message handler threw');
          }
          break;
        case 'ping':
          this.m.pings.inc({ transport: this.opts.kind });
          c.socket.write('\r\n');
          break;
        case 'pong':
          break;
        case 'error':
          setReason('framing');
          this.opts.logger.info({ peer: c.remote, status: ev.status, reason: ev.reason, transport: this.opts.kind }, 'sip stream cannot be framed; answering and closing the connection');
          try {
            this.framingHandler?.(ev.head, c.remote, ev.status, ev.reason);
          } catch (err) {
            this.opts.logger.error({ err }, 'sip framing error handler threw');
          }
          c.closing = true;
          c.socket.end();
          break;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.values()) c.socket.destroy();
    await done;
  }
}

/** The SIP stack's only socket: one UDP socket (RFC 3261 §18) bound to a configured or OS-chosen port. */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { literalFirstLookup } from '../util/literal-first-lookup.js';
import { ReceiveQueueProbe } from './receive-queue-probe.js';
import { SoftswitchError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { Endpoint } from './message.js';

export interface UdpTransportOptions {
  address: string;
  /** 0 lets the OS choose. */
  port: number;
  logger: Logger;
  /** SO_RCVBUF request (default 4 MiB). */
  recvBufferBytes?: number;
  /**
   * How often a probe datagram measures the receive queue's delay (ms, default 20; 0: never).
   * See receive-queue-probe.ts.
   */
  probeEveryMs?: number;
  /** Bytes of each shared ring between the I/O thread and the main thread (udp-thread/, default 8 MiB). */
  ringBytes?: number;
  /**
   * The 503's header lines when overload refusals are made on the I/O thread (udp-thread/edge-shed.ts);
   * absent: none are. Only the I/O-thread transport has such a thread.
   */
  edgeShedHeaders?: Array<[string, string]>;
}

/** What the SIP stack needs of its UDP transport, on the main thread (this file) or an I/O thread (udp-thread/). */
export interface SipUdpTransport {
  readonly address: string;
  readonly port: number;
  onMessage(handler: (buf: Buffer, from: Endpoint) => void): void;
  send(buf: Buffer, to: Endpoint): void;
  /** How long a datagram arriving now waits before it is read (ms); undefined when not measured. */
  queueDelayMs(): number | undefined;
  readonly probesLost: number;
  close(): Promise<void>;
}

/** A probe: magic, this transport's nonce, sequence number. No SIP message starts with a NUL. */
const PROBE_MAGIC = Buffer.from([0x00, 0x53, 0x51, 0x50]);
const PROBE_LEN = 16;

/** Sends probes from a socket of its own to the SIP socket and recognises them when they are read. */
class QueueProber {
  readonly probe = new ReceiveQueueProbe();
  private readonly nonce = randomBytes(8);
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sender: Socket,
    private readonly to: { address: string; port: number },
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.send(), everyMs);
    this.timer.unref();
  }

  private send(): void {
    const buf = Buffer.allocUnsafe(PROBE_LEN);
    PROBE_MAGIC.copy(buf, 0);
    this.nonce.copy(buf, 4);
    buf.writeUInt32BE(this.probe.sent(performance.now()) >>> 0, 12);
    this.sender.send(buf, this.to.port, this.to.address, () => undefined);
  }

  /** True when `buf` is one of our probes (and takes its time); false for anything else. */
  take(buf: Buffer, from: { address: string; port: number }): boolean {
    if (buf.length !== PROBE_LEN || buf[0] !== 0 || from.port !== this.sender.address().port) return false;
    if (buf.compare(PROBE_MAGIC, 0, 4, 0, 4) !== 0 || buf.compare(this.nonce, 0, 8, 4, 12) !== 0) return false;
    this.probe.received(buf.readUInt32BE(12), performance.now());
    return true;
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return new Promise<void>((resolve) => this.sender.close(() => resolve()));
  }
}

/** Sends to `to` once its host name resolves (left only by in-dialog requests: the UA core locates others by RFC 3263, src/sip/locate/). */
export function sendOnceResolved(to: Endpoint, logger: Logger, send: (to: Endpoint) => void): void {
  lookup(to.address).then(
    (r) => send({ ...to, address: r.address }),
    (err: unknown) => logger.warn({ err, to }, 'sip destination does not resolve'),
  );
}

export class UdpTransport implements SipUdpTransport {
  private handler: ((buf: Buffer, from: Endpoint) => void) | undefined;
  private closed = false;
  private prober: QueueProber | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly logger: Logger,
  ) {
    socket.on('message', (buf, rinfo) => {
      if (buf[0] === 0 && this.prober?.take(buf, rinfo)) return;
      // Whatever a datagram (or an application listener it triggers) throws must not end the process.
      try {
        this.handler?.(buf, { address: rinfo.address, port: rinfo.port });
      } catch (err) {
        logger.error({ err, from: { address: rinfo.address, port: rinfo.port } }, 'sip datagram handler threw');
      }
    });
    socket.on('error', (err) => logger.warn({ err }, 'sip udp socket error'));
  }

  static async open(opts: UdpTransportOptions): Promise<UdpTransport> {
    // A larger receive buffer rides out bursts while the event loop is busy (the kernel caps it at net.core.rmem_max).
    const socket = createSocket({ type: isIP(opts.address) === 6 ? 'udp6' : 'udp4', lookup: literalFirstLookup, recvBufferSize: opts.recvBufferBytes ?? 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `SIP UDP ${opts.address}:${opts.port}`, { cause: err }) : err);
      };
      socket.once('error', onError);
      socket.bind(opts.port, opts.address, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const transport = new UdpTransport(socket, opts.logger);
    const every = opts.probeEveryMs ?? 20;
    if (every > 0) await transport.startProbe(every);
    return transport;
  }

  private async startProbe(everyMs: number): Promise<void> {
    const bound = this.socket.address();
    const v6 = bound.family === 'IPv6';
    // Probes go to the socket's own address; a wildcard bind is reached on loopback.
    const address = bound.address === '0.0.0.0' ? '127.0.0.1' : bound.address === '::' ? '::1' : bound.address;
    const sender = createSocket({ type: v6 ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        sender.once('error', reject);
        sender.bind(0, address, () => {
          sender.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // Without probes the overload guard falls back to its other signals.
      this.logger.warn({ err, address }, 'sip receive-queue probe could not bind; the receive-queue delay is not measured');
      try {
        sender.close();
      } catch {
        // never bound: nothing to close
      }
      return;
    }
    sender.on('error', (err) => this.logger.warn({ err }, 'sip receive-queue probe socket error'));
    this.prober = new QueueProber(sender, { address, port: bound.port }, everyMs);
  }

  /**
   * How long a datagram arriving now waits in the kernel before it is read (ms), from the probes;
   * undefined when probing is off.
   */
  queueDelayMs(): number | undefined {
    return this.prober?.probe.delayMs(performance.now());
  }

  /** Probes the kernel dropped (its receive buffer was full) or that never came back. */
  get probesLost(): number {
    return this.prober?.probe.lost ?? 0;
  }

  get address(): string {
    return this.socket.address().address;
  }

  get port(): number {
    return this.socket.address().port;
  }

  onMessage(handler: (buf: Buffer, from: Endpoint) => void): void {
    this.handler = handler;
  }

  /** Sends one datagram; a host name (left only by in-dialog requests: the UA core locates others by RFC 3263, src/sip/locate/) gets an address lookup first. */
  send(buf: Buffer, to: Endpoint): void {
    if (this.closed) return;
    if (isIP(to.address)) {
      try {
        this.socket.send(buf, to.port, to.address, (err) => {
          if (err) this.logger.warn({ err, to }, 'sip udp send failed');
        });
      } catch (err) {
        // dgram throws synchronously for a port outside 1–65535 (ERR_SOCKET_BAD_PORT).
        this.logger.warn({ err, to }, 'sip udp send refused');
      }
      return;
    }
    sendOnceResolved(to, this.logger, (resolved) => this.send(buf, resolved));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.prober?.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

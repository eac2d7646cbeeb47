/** The SIP stack's only socket: one UDP socket (RFC 3261 §18) bound to a configured or OS-chosen port. */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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
}

export class UdpTransport {
  private handler: ((buf: Buffer, from: Endpoint) => void) | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly logger: Logger,
  ) {
    socket.on('message', (buf, rinfo) => {
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
    const socket = createSocket({ type: isIP(opts.address) === 6 ? 'udp6' : 'udp4', recvBufferSize: opts.recvBufferBytes ?? 4 * 1024 * 1024 });
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
    return new UdpTransport(socket, opts.logger);
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
    lookup(to.address).then(
      (r) => this.send(buf, { address: r.address, port: to.port }),
      (err: unknown) => this.logger.warn({ err, to }, 'sip destination does not resolve'),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** The UDP socket of the call agent (RFC 3435 §3.5): the only MGCP file that touches sockets. */
import { createSocket, type Socket } from 'node:dgram';
import { SoftswitchError } from '../../errors.js';
import type { Peer } from './transaction-layer.js';

export interface MgcpTransport {
  send(datagram: Buffer, to: Peer): void;
  onDatagram(handler: (datagram: Buffer, from: Peer) => void): void;
  readonly local: Peer;
  close(): Promise<void>;
}

/** Binds a UDP socket; port 0 asks the OS for a free port (the call agent's default is 2727). */
export async function openUdpTransport(port = 0, address = '0.0.0.0'): Promise<MgcpTransport> {
  const socket: Socket = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `MGCP UDP ${address}:${port}`, { cause: err })
          : err,
      );
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  let handler: (datagram: Buffer, from: Peer) => void = () => {};
  socket.on('message', (msg, rinfo) => handler(msg, { address: rinfo.address, port: rinfo.port }));
  // A peer's ICMP port-unreachable surfaces as a socket error on some systems; retransmission covers it.
  socket.on('error', () => {});
  const bound = socket.address();
  let closed = false;
  return {
    local: { address: bound.address, port: bound.port },
    send(datagram, to) {
      if (!closed) socket.send(datagram, to.port, to.address);
    },
    onDatagram(h) {
      handler = h;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

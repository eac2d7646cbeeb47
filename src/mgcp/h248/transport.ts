/** The UDP socket of the H.248 controller (H.248.1 Annex D.1): the only H.248 file that touches sockets. */
import { createSocket, type Socket } from 'node:dgram';
import { SoftswitchError } from '../../errors.js';
import { DEFAULT_H248_PORT } from './constants.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export interface H248Transport {
  send(datagram: Buffer, to: Peer): void;
  onDatagram(handler: (datagram: Buffer, from: Peer) => void): void;
  readonly local: Peer;
  close(): Promise<void>;
}

/** Binds a UDP socket; the text encoding's port is 2944, 0 asks the OS for a free one (tests). */
export async function openUdpTransport(port = DEFAULT_H248_PORT, address = '0.0.0.0'): Promise<H248Transport> {
  const socket: Socket = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `H.248 UDP ${address}:${port}`, { cause: err }) : err);
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  let handler: (datagram: Buffer, from: Peer) => void = () => {};
  socket.on('message', (msg, rinfo) => handler(msg, { address: rinfo.address, port: rinfo.port }));
  // ICMP port-unreachable from a peer that went away surfaces as a socket error; retransmission covers it.
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

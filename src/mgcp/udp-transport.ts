/**
 * The UDP socket of a gateway-control protocol (MGCP RFC 3435 §3.5, H.248 text Annex D.1): bind,
 * receive datagrams with their source, send. Each protocol's transport.ts is this with its name
 * and default port; nothing else in src/mgcp touches sockets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { literalFirstLookup } from '../util/literal-first-lookup.js';
import { SoftswitchError } from '../errors.js';

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export interface DatagramTransport {
  send(datagram: Buffer, to: Peer): void;
  onDatagram(handler: (datagram: Buffer, from: Peer) => void): void;
  readonly local: Peer;
  close(): Promise<void>;
}

/** Binds a UDP socket (port 0: the OS picks one); `protocol` names it in SSW_ERR_PORT_IN_USE. */
export async function bindDatagramTransport(protocol: string, port: number, address: string): Promise<DatagramTransport> {
  const socket: Socket = createSocket({ type: 'udp4', lookup: literalFirstLookup });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `${protocol} UDP ${address}:${port}`, { cause: err }) : err);
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

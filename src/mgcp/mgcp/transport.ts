/** The UDP socket of the call agent (RFC 3435 §3.5): the only MGCP file that touches sockets. */
import { bindDatagramTransport, type DatagramTransport } from '../udp-transport.js';

export type MgcpTransport = DatagramTransport;

/** Binds a UDP socket; port 0 asks the OS for a free port (the call agent's default is 2727). */
export function openUdpTransport(port = 0, address = '0.0.0.0'): Promise<MgcpTransport> {
  return bindDatagramTransport('MGCP', port, address);
}

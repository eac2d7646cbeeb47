/** The UDP socket of the H.248 controller (H.248.1 Annex D.1): the only H.248 file that touches sockets. */
import { bindDatagramTransport, type DatagramTransport, type Peer } from '../udp-transport.js';
import { DEFAULT_H248_PORT } from './constants.js';

export type { Peer };
export type H248Transport = DatagramTransport;

/** Binds a UDP socket; the text encoding's port is 2944, 0 asks the OS for a free one (tests). */
export function openUdpTransport(port = DEFAULT_H248_PORT, address = '0.0.0.0'): Promise<H248Transport> {
  return bindDatagramTransport('H.248', port, address);
}

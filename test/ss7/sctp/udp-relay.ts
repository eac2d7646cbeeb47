/**
 * A UDP relay between an SCTP-over-UDP client and server that can drop or alter datagrams,
 * to reproduce lost INITs and corrupted packets on loopback.
 */
import dgram from 'node:dgram';

export type Direction = 'c2s' | 's2c';
/** Return the datagram to forward (possibly altered) or null to drop it. `index` counts per direction from 0. */
export type RelayFilter = (dir: Direction, index: number, msg: Buffer) => Buffer | null;

export interface Relay {
  port: number;
  counts: Record<Direction, number>;
  /** Sends a datagram from the relay's own socket in that direction, as an on-path attacker would. */
  inject(dir: Direction, msg: Buffer): void;
  close(): void;
}

export async function startRelay(serverPort: number, filter: RelayFilter = (_d, _i, m) => m): Promise<Relay> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const counts: Record<Direction, number> = { c2s: 0, s2c: 0 };
  let client: dgram.RemoteInfo | undefined;
  sock.on('message', (msg, rinfo) => {
    const dir: Direction = rinfo.port === serverPort ? 's2c' : 'c2s';
    if (dir === 'c2s') client = rinfo;
    const out = filter(dir, counts[dir]++, msg);
    if (!out) return;
    if (dir === 'c2s') sock.send(out, serverPort, '127.0.0.1');
    else if (client) sock.send(out, client.port, client.address);
  });
  const inject = (dir: Direction, msg: Buffer) => {
    if (dir === 'c2s') sock.send(msg, serverPort, '127.0.0.1');
    else if (client) sock.send(msg, client.port, client.address);
    else throw new Error('relay: no client seen yet');
  };
  return { port: sock.address().port, counts, inject, close: () => sock.close() };
}

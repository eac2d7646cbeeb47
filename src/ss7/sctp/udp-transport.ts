/**
 * SCTP over UDP encapsulation (RFC 6951): one UDP socket per association, the npm `sctp`
 * package's stack on top. SCTP port numbers default to the UDP port numbers on each side.
 */
import dgram from 'node:dgram';
import { literalFirstLookup } from '../../util/literal-first-lookup.js';
import { systemClock } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
import { SoftswitchError } from '../../errors.js';
import { createPkgEndpoint } from './node-sctp.js';
import { RelayedDatagramSocket } from './relayed-socket.js';
import type { Logger } from '../../util/log.js';
import { PackageAssociation, type SctpTransportAssociation } from './package-association.js';
import { TUNING_DEFAULTS, resolveTuning, type SctpTuning } from './options.js';
import { guardListeners } from './guard.js';
import { screenSctpPacket } from './packet-screen.js';
import { Registry } from 'prom-client';
import { sctpMetrics } from './metrics.js';

export interface SctpOverUdpOptions extends SctpTuning {
  localAddress: string;
  /** 0: the OS picks; read the bound port from `localPort` of the result. */
  localPort: number;
  remoteAddress: string;
  /** Passive side only: 0 accepts the first peer to associate and answers its UDP source (RFC 6951 §5.4). */
  remotePort: number;
  /** SCTP port numbers carried inside UDP; default: the UDP ports. */
  localSctpPort?: number;
  remoteSctpPort?: number;
  /**
   * The UDP socket on an I/O thread of its own (relayed-socket.ts): the event loop hands packets
   * over through shared memory instead of paying for each system call. Default: off.
   */
  ioThread?: boolean;
}

async function bindUdp(address: string, port: number, ioThread: boolean, logger: Logger): Promise<dgram.Socket> {
  if (ioThread) {
    const relayed = await RelayedDatagramSocket.open(address, port, logger);
    relayed.on('error', () => undefined);
    // The face the package and this file use (relayed-socket.ts); never a connected socket.
    return relayed as unknown as dgram.Socket;
  }
  const socket = dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', lookup: literalFirstLookup });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      socket.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new SoftswitchError('SSW_ERR_PORT_IN_USE', `udp ${address}:${port}`, { cause: err })
          : err,
      );
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  return socket;
}

/**
 * Closing at once would cancel a last ABORT or SHUTDOWN COMPLETE (dgram sends wait a tick for
 * address lookup before they reach the send queue); wait, bounded, for the queue to empty.
 */
function closeWhenSent(socket: dgram.Socket, deadline = Date.now() + 200): void {
  setImmediate(() => {
    if (socket.getSendQueueCount() === 0 || Date.now() > deadline) socket.close();
    else closeWhenSent(socket, deadline);
  });
}

async function open(opts: SctpOverUdpOptions, passive: boolean): Promise<SctpTransportAssociation> {
  const socket = await bindUdp(opts.localAddress, opts.localPort, opts.ioThread ?? false, opts.logger ?? silentLogger);
  const udpPort = socket.address().port;
  const localSctpPort = opts.localSctpPort ?? udpPort;
  const remoteSctpPort = opts.remoteSctpPort ?? opts.remotePort;
  const streams = opts.streams ?? TUNING_DEFAULTS.streams;
  const metrics = sctpMetrics(opts.registry ?? new Registry());
  const description = `${opts.localAddress}:${udpPort} ${passive ? '<-' : '->'} ${opts.remoteAddress}:${opts.remotePort} (sctp/udp)`;
  let endpoint;
  try {
    endpoint = createPkgEndpoint(
      { localPort: localSctpPort, MIS: streams, OS: streams },
      { udpTransport: socket, udpPeer: { address: opts.remoteAddress, port: opts.remotePort } },
    );
  } catch (err) {
    socket.close();
    throw err;
  }
  const transport = (endpoint as unknown as { transport?: { countChecksumErrors?: number; peer?: { address: string; port: number } } }).transport;
  const assoc = new PackageAssociation({
    endpoint,
    passive,
    remoteSctpPort: passive && opts.remotePort === 0 && opts.remoteSctpPort === undefined ? 0 : remoteSctpPort,
    streams,
    ...resolveTuning(opts),
    description,
    localPort: udpPort,
    logger: (opts.logger ?? silentLogger).child({ sctp: description }),
    clock: opts.clock ?? systemClock,
    release: () => closeWhenSent(socket),
    checksumErrors: () => transport?.countChecksumErrors ?? 0,
    metrics,
  });
  guardListeners(
    socket,
    'message',
    (err) => {
      metrics.malformedPackets.inc();
      assoc.noteMalformed(err);
    },
    screenSctpPacket,
  );
  if (passive && opts.remotePort === 0) {
    // RFC 6951 §5.4: replies go to the UDP source port of the peer's packets.
    socket.prependListener('message', (_msg, rinfo) => {
      if (transport && !assoc.isUp) transport.peer = { address: rinfo.address, port: rinfo.port };
    });
  }
  assoc.start();
  return assoc;
}

/** Active side: sends INIT to the peer, retrying per {@link SctpTuning}. */
export function connectSctpOverUdp(opts: SctpOverUdpOptions): Promise<SctpTransportAssociation> {
  return open(opts, false);
}

/** Passive side: waits for the configured peer's INIT; after a loss it listens again until close(). */
export function acceptSctpOverUdp(opts: SctpOverUdpOptions): Promise<SctpTransportAssociation> {
  return open(opts, true);
}

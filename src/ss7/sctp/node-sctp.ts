/**
 * Typed view of the parts of the npm `sctp` package (node-sctp 1.0.0, patched by
 * patches/sctp+1.0.0.patch) that the transport drives. The package's Socket/Server layer is
 * bypassed: it has one drain slot per association and drops writes past backpressure.
 */
import { createRequire } from 'node:module';
import type { Socket as DgramSocket } from 'node:dgram';
import type { EventEmitter } from 'node:events';

/** RFC 4960 §13.2 state names as the package spells them. */
export type PkgAssociationState =
  | 'CLOSED'
  | 'COOKIE-WAIT'
  | 'COOKIE-ECHOED'
  | 'ESTABLISHED'
  | 'SHUTDOWN-PENDING'
  | 'SHUTDOWN-SENT'
  | 'SHUTDOWN-RECEIVED'
  | 'SHUTDOWN-ACK-SENT';

export interface PkgQueuedChunk {
  chunkType: string;
  size: number;
}

/** An association object of the package (lib/association.js). */
export interface PkgAssociation extends EventEmitter {
  state: PkgAssociationState;
  OS: number;
  MIS: number;
  peer_tag?: number;
  remotePort: number;
  remoteAddress?: string;
  flightsize: number;
  cwnd: number;
  PMTU: number;
  peer_rwnd: number;
  hb_interval: number;
  path_max_retrans: number;
  queue: PkgQueuedChunk[];
  send(data: Buffer, options: { stream_id: number; ppid: number }, callback: (err?: Error) => void): void;
  RECEIVE(): (Buffer & { ppid?: number }) | undefined;
  SHUTDOWN(callback?: () => void): void;
  ABORT(reason?: string): void;
  /** T3-rtx expiry and fast retransmit (lib/association.js internals), wrapped per association to count them. */
  _expireT3(): void;
  _fastRetransmit(): void;
  /** Ends the association; the patched package then emits COMMUNICATION LOST ('destroyed' unless told why). */
  _destroy(event?: string): void;
}

/** An endpoint of the package (lib/endpoint.js): one local SCTP port. */
export interface PkgEndpoint extends EventEmitter {
  localPort: number;
  ASSOCIATE(options: { remotePort: number; remoteAddress?: string; OS?: number; MIS?: number }): PkgAssociation;
  DESTROY(): void;
}

export interface PkgInitOptions {
  localPort: number;
  localAddress?: string[];
  MIS: number;
  OS: number;
}

export interface PkgTransportOptions {
  udpTransport?: DgramSocket;
  udpPeer?: { address: string; port: number };
}

interface EndpointClass {
  INITIALIZE(
    options: PkgInitOptions,
    transport: PkgTransportOptions,
    callback: (err: Error | null, endpoint: PkgEndpoint) => void,
  ): void;
}

const require = createRequire(import.meta.url);
const Endpoint = require('sctp/lib/endpoint.js') as EndpointClass;

/** Endpoint.INITIALIZE, which the package runs synchronously. */
export function createPkgEndpoint(options: PkgInitOptions, transport: PkgTransportOptions): PkgEndpoint {
  let result: PkgEndpoint | undefined;
  let failure: Error | null = null;
  Endpoint.INITIALIZE(options, transport, (err, endpoint) => {
    failure = err;
    result = endpoint;
  });
  if (failure) throw failure;
  if (!result) throw new Error('sctp endpoint was not created synchronously');
  return result;
}

import type { EventEmitter } from 'node:events';

/** SCTP payload protocol identifiers used here (IANA). */
export const PPID_M3UA = 3;

/**
 * What the SS7 layers above need from an SCTP association. Implemented by the transport over
 * the npm `sctp` package (UDP encapsulation per RFC 6951, or raw IP), and by in-memory pairs
 * in unit tests of the layers above. M3UA never touches sockets, only this.
 *
 * Events:
 *  - 'up'       ()                                    association established (COMMUNICATION UP)
 *  - 'down'     (reason: string)                      association lost or shut down (COMMUNICATION LOST / SHUTDOWN COMPLETE)
 *  - 'restart'  ()                                    peer restarted the association (RESTART notification)
 *  - 'message'  (data: Buffer, stream: number, ppid: number)
 *  - 'error'    (err: Error)
 */
export interface SctpAssociation extends EventEmitter {
  /** True between 'up' and 'down'. */
  readonly isUp: boolean;
  /** Number of outbound streams negotiated (valid once up). */
  readonly outboundStreams: number;
  /** Queue a user message; never throws; messages on one stream are delivered in order. */
  send(data: Buffer, stream: number, ppid: number): void;
  /** Graceful SHUTDOWN; resolves when the association is down (or after a bounded wait). */
  close(): Promise<void>;
  /** ABORT at once. */
  abort(reason?: string): void;
  /** Human-readable endpoint names for logs, e.g. "127.0.0.1:9899 -> 127.0.0.1:9900". */
  readonly description: string;
}

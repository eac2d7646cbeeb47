/** What the SIP UDP I/O thread (worker.ts) and the main thread's side of it (transport.ts) share. */
import type { RingMemory } from './ring.js';

/** Record kinds in the rings. */
export const DATAGRAM = 0;
/** A queue-delay probe (inbound only): payload is its u32 sequence number. */
export const PROBE = 1;

/** Probe send times kept in shared memory (a window: older probes count as lost). */
export const PROBE_SLOTS = 1024;

export interface ThreadData {
  address: string;
  port: number;
  family: 'udp4' | 'udp6';
  recvBufferBytes: number;
  /** ms between probes; 0: none. */
  probeEveryMs: number;
  /** Datagrams received, toward the main thread: all of them, or with `inboundNew` work in progress only (lanes.ts). */
  inbound: RingMemory;
  /**
   * New work (lanes.ts) and the queue-delay probes, toward the main thread, which takes from it only
   * what `inbound` leaves room for; absent: one lane. The main thread sleeps on `inbound`'s word.
   */
  inboundNew?: RingMemory;
  /** Datagrams to send, from the main thread. */
  outbound: RingMemory;
  /** Int32 [0]: probes sent; then Float64 send times by sequence number modulo PROBE_SLOTS (from byte 8). */
  probes: SharedArrayBuffer;
  /** Overload refusals on this thread (edge-shed.ts): its shared control block and the 503's header lines. */
  edge?: { memory: SharedArrayBuffer; overloadHeaders: Array<[string, string]> };
}

/** Messages from the I/O thread. */
export type ThreadEvent =
  | { type: 'bound'; address: string; port: number }
  | { type: 'bind-error'; code: string | undefined; message: string }
  | { type: 'socket-error'; message: string }
  /** Sends that failed since the last report, and the last one's error. */
  | { type: 'send-errors'; count: number; to: { address: string; port: number }; message: string }
  | { type: 'closed' };

/** Messages to the I/O thread. */
export type ThreadCommand =
  | { type: 'close' }
  /** The main thread admitted a new INVITE from this address: its new INVITEs may be shed here for `forMs`. */
  | { type: 'source-admitted'; address: string; forMs: number };

/** Milliseconds on a clock both threads share (each thread's performance.now() has its own origin). */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * An SCTP association's UDP socket on an I/O thread of its own (the SIP stack's datagram thread,
 * sip/udp-thread/), with the face of a `dgram.Socket` that the npm `sctp` package's UDP transport
 * and udp-transport.ts use: `send`, `address`, `close`, `getSendQueueCount` and the 'message',
 * 'error' and 'close' events.
 *
 * Why: on loopback and in a VM a `sendmsg` costs the sender the receiver's wake-up (measured
 * 72 µs of the event loop per SCTP packet at 1,500 calls/s, about 7 % of a call's main-thread
 * time); here it costs a copy into shared memory, and the I/O thread pays for the system call.
 * Sends are handed over at once and leave within about a millisecond (the thread's poll).
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ThreadedUdpTransport } from '../../sip/udp-thread/transport.js';
import type { Logger } from '../../util/log.js';

type SendCallback = (err: Error | null, bytes?: number) => void;

export class RelayedDatagramSocket extends EventEmitter {
  private closed = false;

  private constructor(
    private readonly transport: ThreadedUdpTransport,
    private readonly family: 'IPv4' | 'IPv6',
  ) {
    super();
    transport.onMessage((buf, from) =>
      this.emit('message', buf, { address: from.address, port: from.port, family: this.family, size: buf.length }),
    );
  }

  static async open(address: string, port: number, logger: Logger): Promise<RelayedDatagramSocket> {
    // No probes and no edge refusals: those are the SIP port's. 1 MiB rings hold thousands of packets.
    const transport = await ThreadedUdpTransport.open({ address, port, logger, probeEveryMs: 0, ringBytes: 1024 * 1024, purpose: 'sctp' });
    return new RelayedDatagramSocket(transport, address.includes(':') ? 'IPv6' : 'IPv4');
  }

  address(): AddressInfo {
    return { address: this.transport.address, port: this.transport.port, family: this.family };
  }

  /**
   * `send(buf, port, address, cb?)`, or `send(buf, offset, length, cb?)` on a connected socket,
   * which this never is: the `sctp` package asks `instanceof dgram.Socket` before it sends so.
   */
  send(buf: Buffer, port: number, address: string, callback?: SendCallback): void {
    if (this.closed) {
      if (callback) process.nextTick(callback, new Error('socket is closed'));
      return;
    }
    this.transport.send(buf, { address, port });
    if (callback) process.nextTick(callback, null, buf.length);
  }

  /** Sends are handed to the I/O thread at once, and close() lets it send what it holds. */
  getSendQueueCount(): number {
    return 0;
  }

  close(callback?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    void this.transport.close().finally(() => {
      this.emit('close');
      callback?.();
    });
  }
}

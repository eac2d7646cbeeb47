/**
 * An in-memory connected pair implementing SctpAssociation faithfully enough for the layers
 * above: 'up' on both ends after connect(), per-stream in-order asynchronous delivery,
 * graceful close and abort ('down' on both ends), and peer restart ('restart' on both ends).
 */
import { EventEmitter } from 'node:events';
import type { SctpAssociation } from '../../../src/ss7/sctp/association.js';

export class MemoryAssociation extends EventEmitter implements SctpAssociation {
  peer!: MemoryAssociation;
  private up = false;
  /** Every message sent by this end: for tests that look at the wire. */
  readonly sent: Array<{ data: Buffer; stream: number; ppid: number }> = [];

  constructor(
    readonly description: string,
    readonly outboundStreams = 4,
  ) {
    super();
  }

  get isUp(): boolean {
    return this.up;
  }

  send(data: Buffer, stream: number, ppid: number): void {
    if (!this.up || stream < 0 || stream >= this.outboundStreams) return;
    const copy = Buffer.from(data);
    this.sent.push({ data: copy, stream, ppid });
    const peer = this.peer;
    // setImmediate keeps FIFO order, so each stream (and the whole association) stays in order.
    setImmediate(() => {
      if (peer.up) peer.emit('message', copy, stream, ppid);
    });
  }

  async close(): Promise<void> {
    if (!this.up) return;
    await new Promise<void>((r) => setImmediate(r));
    this.peer.goDown('SHUTDOWN COMPLETE');
    this.goDown('SHUTDOWN COMPLETE');
  }

  abort(reason = 'ABORT'): void {
    if (!this.up) return;
    this.goDown(reason);
    const peer = this.peer;
    setImmediate(() => peer.goDown(`peer ABORT: ${reason}`));
  }

  /** Bring both ends up (COMMUNICATION UP), asynchronously. */
  connect(): void {
    setImmediate(() => {
      for (const end of [this, this.peer]) {
        if (end.up) continue;
        end.up = true;
        end.emit('up');
      }
    });
  }

  /** The peer restarted: both ends see RESTART and stay up. */
  restart(): void {
    setImmediate(() => {
      this.emit('restart');
      this.peer.emit('restart');
    });
  }

  private goDown(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.emit('down', reason);
  }
}

export function associationPair(streams = 4): [MemoryAssociation, MemoryAssociation] {
  const a = new MemoryAssociation('mem:asp -> mem:sg', streams);
  const b = new MemoryAssociation('mem:sg -> mem:asp', streams);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Let every queued delivery run (each hop is one setImmediate). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A UDP relay that impairs the datagrams it carries, in user space: this machine's kernel has no
 * sch_netem (`tc qdisc add dev lo root netem` answers "Specified qdisc kind is unknown"), so loss,
 * delay, duplication and reordering are made here, from a seeded PRNG so a failing run can be
 * replayed with the same seed.
 *
 * Two sockets, one per side: side A faces the peer that sends first (the switch's SCTP/UDP
 * association, SIPp), side B faces the fixed target. A datagram received on A leaves from B
 * toward the target; one received on B leaves from A toward the last A-side source. So the
 * target sees the relay's B socket as its peer, and its replies come back through the relay.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mulberry32 } from '../../src/util/prng.js';

export interface Impairment {
  /** Probability a datagram is dropped. */
  loss: number;
  /** Each datagram is delayed uniformly in [min, max] ms; differing delays reorder datagrams. */
  delayMs: [number, number];
  /** Probability a datagram is sent twice (the copy after its own delay). */
  duplicate: number;
  /** Delay without reordering: no datagram leaves before one received earlier. */
  keepOrder?: boolean;
}

export const CLEAN: Impairment = { loss: 0, delayMs: [0, 0], duplicate: 0 };

/** What the relay did, per direction (`ab`: A side to target). */
export interface RelayCounts {
  received: number;
  dropped: number;
  duplicated: number;
  /** Datagrams that left after a datagram received later than them (reordered). */
  reordered: number;
}

export interface RelayOptions {
  /** Where the target listens. */
  target: { address: string; port: number };
  seed: number;
  /** Impairment toward the target and back; changeable at run time with {@link UdpImpairmentRelay.impair}. */
  toTarget?: Impairment;
  fromTarget?: Impairment;
  /** Side A's port; 0: the OS picks. */
  portA?: number;
}

function bind(port: number): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

export class UdpImpairmentRelay {
  readonly counts: { ab: RelayCounts; ba: RelayCounts } = {
    ab: { received: 0, dropped: 0, duplicated: 0, reordered: 0 },
    ba: { received: 0, dropped: 0, duplicated: 0, reordered: 0 },
  };
  private peerA?: { address: string; port: number };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lastSent = { ab: 0, ba: 0 };
  private readonly random: () => number;
  private closed = false;

  private constructor(
    private readonly a: Socket,
    private readonly b: Socket,
    private readonly opts: RelayOptions,
    private toTarget: Impairment,
    private fromTarget: Impairment,
  ) {
    this.random = mulberry32(opts.seed);
    let seq = 0;
    a.on('message', (msg, rinfo) => {
      this.peerA = { address: rinfo.address, port: rinfo.port };
      this.carry('ab', ++seq, msg, b, opts.target);
    });
    b.on('message', (msg, rinfo) => {
      if (rinfo.port !== opts.target.port || !this.peerA) return;
      this.carry('ba', ++seq, msg, a, this.peerA);
    });
  }

  static async start(opts: RelayOptions): Promise<UdpImpairmentRelay> {
    const a = await bind(opts.portA ?? 0);
    const b = await bind(0);
    return new UdpImpairmentRelay(a, b, opts, opts.toTarget ?? CLEAN, opts.fromTarget ?? CLEAN);
  }

  /** The port the A-side peer sends to (in place of the target's). */
  get portA(): number {
    return this.a.address().port;
  }

  /** The port the target sees datagrams from (a SIP Contact for requests the target sends back). */
  get portB(): number {
    return this.b.address().port;
  }

  impair(toTarget: Impairment, fromTarget: Impairment = toTarget): void {
    this.toTarget = toTarget;
    this.fromTarget = fromTarget;
  }

  /** Drops everything both ways (a dead path) until {@link impair} is called again. */
  blackhole(): void {
    this.impair({ ...CLEAN, loss: 1 });
  }

  private carry(dir: 'ab' | 'ba', seq: number, msg: Buffer, out: Socket, to: { address: string; port: number }): void {
    const imp = dir === 'ab' ? this.toTarget : this.fromTarget;
    const c = this.counts[dir];
    c.received++;
    if (imp.loss > 0 && this.random() < imp.loss) {
      c.dropped++;
      return;
    }
    const copies = imp.duplicate > 0 && this.random() < imp.duplicate ? 2 : 1;
    if (copies === 2) c.duplicated++;
    for (let i = 0; i < copies; i++) {
      const [min, max] = imp.delayMs;
      const delay = min + (max - min) * this.random();
      const send = () => {
        if (this.closed) return;
        if (seq < this.lastSent[dir]) c.reordered++;
        this.lastSent[dir] = Math.max(this.lastSent[dir], seq);
        out.send(msg, to.port, to.address);
      };
      if (imp.keepOrder) this.enqueue(dir, Date.now() + delay, send);
      else if (delay <= 0) send();
      else this.after(delay, send);
    }
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** keepOrder: one FIFO per direction, each datagram leaving at its due time or after the one before it. */
  private readonly fifo = { ab: [] as Array<{ due: number; send: () => void }>, ba: [] as Array<{ due: number; send: () => void }> };

  private enqueue(dir: 'ab' | 'ba', due: number, send: () => void): void {
    const q = this.fifo[dir];
    q.push({ due, send });
    if (q.length === 1) this.drain(dir);
  }

  private drain(dir: 'ab' | 'ba'): void {
    const q = this.fifo[dir];
    while (q.length > 0 && q[0].due <= Date.now()) q.shift()!.send();
    if (q.length > 0) this.after(Math.max(1, q[0].due - Date.now()), () => this.drain(dir));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([this.a, this.b].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

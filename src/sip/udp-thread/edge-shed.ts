/**
 * Overload refusals on the SIP UDP I/O thread, before a datagram reaches the main thread: while
 * the main thread's overload guard sheds by the receive queue's delay, it publishes the fraction
 * of new calls it admits, and this thread draws against it for each new INVITE, answering the
 * refused ones with the stateless 503 + Retry-After of shed-fast-path.ts (RFC 3261 §8.2.6,
 * §21.5.4). A refusal then costs the main thread nothing: no copy, no scan, no send.
 *
 * Only what the main thread would refuse the same way is refused here:
 *  - an INVITE outside a dialog (no To tag) with an RFC 3261 branch;
 *  - from a source address the main thread admitted an INVITE from lately (it tells this thread);
 *    anything else goes to the main thread, whose admission hook decides (403, drop, 503), so a
 *    stranger's flood never gets answers it would not get otherwise;
 *  - never a retransmission of an INVITE this thread passed on (its key is remembered for 64×T1).
 * Retransmissions of refused INVITEs get the same 503 again and the ACKs of those 503s are
 * absorbed here (shed-fast-path.ts). Counts go to shared memory for the main thread's metrics.
 */
import type { Clock } from '../../util/clock.js';
import { T1 } from '../constants.js';
import { inviteServerKey, ShedFastPath } from '../shed-fast-path.js';
import { ExpiringFifo } from '../transaction/expiring-fifo.js';

/** Int32 words of the shared control block: the admitted fraction in millionths (read and written with Atomics, so never torn), then the counts. */
const ADMITTED_PPM = 0;
const REFUSED = 1;
const AGAIN = 2;
const ACKS = 3;
const WORDS = 4;
const PPM = 1_000_000;

export function createEdgeShedMemory(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(WORDS * 4);
  Atomics.store(new Int32Array(sab), ADMITTED_PPM, PPM);
  return sab;
}

/** The main thread's side: publishes the admitted fraction, reads the counts. */
export class EdgeShedControl {
  private readonly counts: Int32Array;
  private readonly taken = [0, 0, 0];

  constructor(memory: SharedArrayBuffer) {
    this.counts = new Int32Array(memory);
  }

  /** The fraction of new INVITEs to admit now (1: none refused here). */
  publish(fraction: number): void {
    Atomics.store(this.counts, ADMITTED_PPM, Math.round(Math.min(1, Math.max(0, fraction)) * PPM));
  }

  /** Counts since the last call: INVITEs refused, retransmissions answered again, ACKs absorbed. */
  take(): { refused: number; again: number; acks: number } {
    const now = [REFUSED, AGAIN, ACKS].map((i) => Atomics.load(this.counts, i));
    const d = now.map((n, i) => (n - this.taken[i]) | 0);
    for (let i = 0; i < 3; i++) this.taken[i] = now[i];
    return { refused: d[0], again: d[1], acks: d[2] };
  }
}

export type EdgeVerdict = { kind: 'pass' } | { kind: 'absorb' } | { kind: 'send'; bytes: Buffer; to: { address: string; port: number } };

const PASS: EdgeVerdict = { kind: 'pass' };
const ABSORB: EdgeVerdict = { kind: 'absorb' };

/** The I/O thread's side. */
export class EdgeShed {
  private readonly fast: ShedFastPath;
  /** Server keys (transaction/keys.ts) of new INVITEs passed to the main thread. */
  private readonly passed: ExpiringFifo<true>;
  /** Source addresses the main thread admitted an INVITE from. */
  private readonly admittedSources: ExpiringFifo<true>;
  private readonly counts: Int32Array;

  constructor(
    clock: Clock,
    memory: SharedArrayBuffer,
    overloadHeaders: ReadonlyArray<readonly [string, string]>,
    private readonly random: () => number = Math.random,
  ) {
    this.fast = new ShedFastPath(clock, overloadHeaders);
    this.passed = new ExpiringFifo<true>({ clock, maxEntries: 200_000 });
    this.admittedSources = new ExpiringFifo<true>({ clock, maxEntries: 50_000 });
    this.counts = new Int32Array(memory);
  }

  /** The main thread admitted an INVITE from `address`: its new INVITEs may be shed here for a while. */
  sourceAdmitted(address: string, forMs: number): void {
    this.admittedSources.set(address, true, forMs);
  }

  handle(buf: Buffer, source: { address: string; port: number }): EdgeVerdict {
    const c = this.fast.classify(buf, source, () => true, (key) => this.passed.has(key));
    if (!c) return PASS;
    if (c.kind === 'ack') {
      Atomics.add(this.counts, ACKS, 1);
      return ABSORB;
    }
    if (c.kind === 'again') {
      Atomics.add(this.counts, AGAIN, 1);
      return { kind: 'send', bytes: c.bytes, to: c.to };
    }
    const raw = c.raw;
    const p = Atomics.load(this.counts, ADMITTED_PPM) / PPM;
    if (p < 1 && this.admittedSources.has(source.address) && this.random() >= p) {
      Atomics.add(this.counts, REFUSED, 1);
      const r = this.fast.refuse(raw, source, true);
      return { kind: 'send', bytes: r.bytes, to: r.to };
    }
    // classify() passed only INVITEs with an RFC 3261 branch, so the key is there.
    const key = inviteServerKey(raw);
    if (key !== undefined) this.passed.set(key, true, 64 * T1);
    return PASS;
  }
}

/**
 * expiring-fifo-set: what remembering one more finished transaction (or refused INVITE) costs in
 * the store that answers retransmissions for 64×T1 (src/sip/transaction/expiring-fifo.ts), held
 * at 20,000 entries with the oldest going as each new one comes: about what 600 refusals/s or 600
 * BYEs/s keep for 32 s. One operation: a set (which reads the oldest entry to arm the sweep), a
 * lookup of a recent key and, when full, the eviction of the oldest.
 * Baseline in the same run: the same operations on a plain Map used the same way (the oldest read
 * with `keys().next()`), which is how the store was built before util/fifo-map.ts: V8 walks the
 * holes deleted entries leave at the front of a Map, so that read grows with what was deleted.
 */
import { ExpiringFifo } from '../src/sip/transaction/expiring-fifo.js';
import { VirtualClock } from '../src/util/clock.js';
import { opsPerSecond, type Benchmark } from './harness.js';

const HELD = 20_000;
const TTL_MS = 32_000;

/** The store as it was: a Map in insertion order, the oldest read from its front. */
class PlainMapStore {
  private readonly slots = new Map<string, { value: number; expires: number }>();
  set(key: string, value: number, now: number): void {
    this.slots.delete(key);
    this.slots.set(key, { value, expires: now + TTL_MS });
    while (this.slots.size > HELD) this.slots.delete(this.slots.keys().next().value as string);
    // What arming the sweep timer reads on every set.
    void (this.slots.values().next().value as { expires: number } | undefined)?.expires;
  }
  get(key: string): number | undefined {
    return this.slots.get(key)?.value;
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'expiring-fifo-set',
    async run() {
      const clock = new VirtualClock();
      const store = new ExpiringFifo<number>({ clock, maxEntries: HELD });
      const plain = new PlainMapStore();
      const key = (i: number) => `z9hG4bK-${i}|127.0.0.1:5060|BYE`;
      for (let i = 0; i < HELD; i++) {
        store.set(key(i), i, TTL_MS);
        plain.set(key(i), i, 0);
      }
      let n = HELD;
      const fifo = opsPerSecond(() => {
        const i = n++;
        store.set(key(i), i, TTL_MS);
        store.get(key(i - 100));
      }, 1500, 1000);
      let m = HELD;
      const map = opsPerSecond(() => {
        const i = m++;
        plain.set(key(i), i, 0);
        plain.get(key(i - 100));
      }, 1500, 1000);
      const us = 1e6 / fifo;
      const baseUs = 1e6 / map;
      return [
        {
          name: 'expiring-fifo-set',
          value: us,
          unit: 'µs/op',
          baseline: baseUs,
          ratio: us / baseUs,
          note: `set + lookup with ${store.size} entries held, the oldest evicted as each comes (ExpiringFifo on a FifoMap); baseline: the same on a plain Map, the oldest read with keys().next(); ratio = store ÷ plain Map`,
        },
      ];
    },
  },
];

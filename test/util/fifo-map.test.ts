import { describe, expect, it } from 'vitest';
import { FifoMap } from '../../src/util/fifo-map.js';

/** A seeded generator, so a failure names the sequence that produced it. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('FifoMap', () => {
  it('behaves as a Map (insertion order, in-place replace) under 3 × 50,000 random operations', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const f = new FifoMap<string, number>();
      const m = new Map<string, number>();
      const same = (what: string, a: unknown, b: unknown, i: number) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`seed ${seed} op ${i} ${what}: ${JSON.stringify(a)} ≠ Map's ${JSON.stringify(b)}`);
      };
      for (let i = 0; i < 50_000; i++) {
        const key = `k${Math.floor(r() * 1000)}`;
        const op = r();
        if (op < 0.45) {
          f.set(key, i);
          m.set(key, i);
        } else if (op < 0.8) {
          same('delete', f.delete(key), m.delete(key), i);
        } else if (op < 0.95) {
          const first = m.entries().next();
          same('oldestKey', f.oldestKey(), first.done ? undefined : first.value[0], i);
          same('oldestValue', f.oldestValue(), first.done ? undefined : first.value[1], i);
          if (op < 0.85) {
            const got = f.shift();
            if (!first.done) m.delete(first.value[0]);
            same('shift', got, first.done ? undefined : first.value, i);
          }
        } else {
          same('get', f.get(key), m.get(key), i);
          same('has', f.has(key), m.has(key), i);
        }
        same('size', f.size, m.size, i);
        if (i % 5_000 === 0) same('entries', [...f], [...m], i);
      }
      expect([...f.entries()]).toEqual([...m.entries()]);
      expect([...f.keys()]).toEqual([...m.keys()]);
      expect([...f.values()]).toEqual([...m.values()]);
    }
  });

  it('keeps iterating correctly while the loop deletes what it visits (compactions included)', () => {
    const f = new FifoMap<number, number>();
    for (let i = 0; i < 10_000; i++) f.set(i, i);
    const seen: number[] = [];
    for (const [k] of f) {
      seen.push(k);
      f.delete(k);
      if (k % 2 === 0) f.delete(k + 1); // also ahead of the iterator: it must skip it
    }
    expect(seen).toEqual(Array.from({ length: 5_000 }, (_, i) => i * 2));
    expect(f.size).toBe(0);
    expect(f.oldestKey()).toBeUndefined();
  });

  it('holds no more order slots than about twice its entries, however it is used', () => {
    const f = new FifoMap<number, number>();
    f.set(-1, -1); // one long-lived entry at the front: deletions behind it must still be reclaimed
    for (let i = 0; i < 100_000; i++) {
      f.set(i, i);
      if (i >= 10) f.delete(i - 10);
    }
    const slots = (f as unknown as { order: unknown[] }).order.length;
    expect(f.size).toBe(11);
    expect(slots).toBeLessThanOrEqual(2 * f.size + 64 + 1);
  });

  it('clear empties it and it works afterwards', () => {
    const f = new FifoMap<string, number>();
    f.set('a', 1).set('b', 2);
    f.clear();
    expect(f.size).toBe(0);
    expect(f.shift()).toBeUndefined();
    f.set('c', 3);
    expect(f.oldestKey()).toBe('c');
    expect([...f]).toEqual([['c', 3]]);
  });
});

import { describe, expect, it } from 'vitest';
import { ExpiringFifo, type RemovalCause } from '../../src/sip/transaction/expiring-fifo.js';
import { VirtualClock } from '../../src/util/clock.js';

describe('ExpiringFifo (compact finished-transaction store)', () => {
  it('get honours each expiry exactly; one sweep timer clears expired entries from the front', () => {
    const clock = new VirtualClock();
    const removed: Array<[string, RemovalCause]> = [];
    const f = new ExpiringFifo<number>({ clock, maxEntries: 10, onRemove: (k, _v, c) => removed.push([k, c]) });
    f.set('a', 1, 100);
    clock.advance(10);
    f.set('b', 2, 100);
    expect(clock.pending).toBe(1);
    clock.advance(89);
    expect(f.get('a')).toBe(1);
    clock.advance(1);
    expect(f.get('a')).toBeUndefined();
    expect(f.size).toBe(1);
    clock.advance(10);
    expect(f.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(removed).toEqual([['a', 'expired'], ['b', 'expired']]);
  });

  it('a short-lived entry behind a long-lived one is still refused by get at its own expiry', () => {
    const clock = new VirtualClock();
    const f = new ExpiringFifo<string>({ clock, maxEntries: 10 });
    f.set('long', 'L', 32_000);
    f.set('short', 'S', 5_000);
    clock.advance(5_000);
    expect(f.get('short')).toBeUndefined();
    expect(f.get('long')).toBe('L');
  });

  it('evicts oldest first past maxEntries or maxBytes, and a replaced key moves to the back', () => {
    const clock = new VirtualClock();
    const evicted: string[] = [];
    const f = new ExpiringFifo<string>({ clock, maxEntries: 3, maxBytes: 25, cost: (_k, v) => v.length, onRemove: (k, _v, c) => c === 'evicted' && evicted.push(k) });
    f.set('a', 'x'.repeat(5), 1000);
    f.set('b', 'x'.repeat(5), 1000);
    f.set('a', 'x'.repeat(5), 1000);
    f.set('c', 'x'.repeat(5), 1000);
    f.set('d', 'x'.repeat(5), 1000);
    expect(evicted).toEqual(['b']);
    f.set('e', 'x'.repeat(20), 1000);
    expect(f.bytes).toBeLessThanOrEqual(25);
    expect(f.has('e')).toBe(true);
    expect(evicted).toEqual(['b', 'a', 'c']);
    expect(f.has('d')).toBe(true);
  });

  it('matches a plain reference model over random sets, gets, deletes and expiries (ring wrap, holes squeezed, growth)', () => {
    const clock = new VirtualClock();
    const removed: Array<[string, RemovalCause]> = [];
    const f = new ExpiringFifo<number>({ clock, maxEntries: 300, onRemove: (k, _v, c) => removed.push([k, c]) });
    // The model: insertion order, each entry's own expiry; the oldest goes past the cap.
    const model = new Map<string, { v: number; exp: number }>();
    let seed = 7;
    const rnd = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    for (let step = 0; step < 40_000; step++) {
      const key = `k${rnd(600)}`;
      const op = rnd(10);
      if (op < 5) {
        const ttl = 50 + rnd(4000);
        f.set(key, step, ttl);
        model.delete(key);
        model.set(key, { v: step, exp: clock.now() + ttl });
        while (model.size > 300) model.delete(model.keys().next().value as string);
      } else if (op < 8) {
        const m = model.get(key);
        const want = m && m.exp > clock.now() ? m.v : undefined;
        if (m && want === undefined) model.delete(key);
        expect(f.get(key)).toBe(want);
      } else if (op < 9) {
        expect(f.delete(key)).toBe(model.delete(key));
      } else clock.advance(rnd(20));
      // Entries the sweep already dropped are gone from the model too (it drops expired ones only).
      for (const [k, m] of model) if (m.exp <= clock.now() && !f['index'].has(k)) model.delete(k);
      expect(f.size).toBe(model.size);
    }
    expect(removed.some(([, c]) => c === 'evicted')).toBe(true);
    expect(removed.some(([, c]) => c === 'expired')).toBe(true);
    clock.advance(5000);
    expect(f.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});


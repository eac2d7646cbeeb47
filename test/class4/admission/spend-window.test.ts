/** The running hour/day spend sums agree with summing every entry, in order or not, and let expired entries go. */
import { describe, expect, it } from 'vitest';
import { SpendWindow } from '../../../src/class4/admission/spend-window.js';
import { mulberry32 } from '../../../src/util/prng.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('spend window', () => {
  it('matches a full sum over every entry as time goes on, with late (out-of-order) entries', () => {
    const rnd = mulberry32(11);
    const w = new SpendWindow();
    const all: Array<{ at: number; amount: number }> = [];
    let now = 1_000_000_000_000;
    for (let step = 0; step < 20_000; step++) {
      now += Math.floor(rnd() * 20_000);
      // Most CDRs end now; some were held up (seeded, a slow store) and arrive up to 2 days late.
      const at = rnd() < 0.9 ? now : now - Math.floor(rnd() * 2 * DAY);
      const amount = Math.round(rnd() * 1000) / 100;
      w.add(at, amount, now);
      if (at >= now - DAY) all.push({ at, amount });
      if (step % 97 === 0) {
        const day = all.filter((e) => e.at >= now - DAY).reduce((s, e) => s + e.amount, 0);
        const hour = all.filter((e) => e.at >= now - HOUR).reduce((s, e) => s + e.amount, 0);
        const t = w.totals(now);
        expect(t.day).toBeCloseTo(day, 6);
        expect(t.hour).toBeCloseTo(hour, 6);
        expect(w.size).toBe(all.filter((e) => e.at >= now - DAY).length);
      }
    }
  });

  it('holds only the last day, and an emptied window reads exactly zero', () => {
    const w = new SpendWindow();
    for (let i = 0; i < 5000; i++) w.add(i * 60_000, 0.1, i * 60_000);
    // 5000 minutes in: the last 24 h are 1441 entries (both ends inclusive).
    expect(w.size).toBe(1441);
    expect(w.totals(4999 * 60_000 + 2 * DAY)).toEqual({ hour: 0, day: 0 });
    expect(w.size).toBe(0);
  });
});

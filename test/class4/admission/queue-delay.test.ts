import { describe, expect, it } from 'vitest';
import { QueueDelayGate } from '../../../src/class4/admission/queue-delay.js';

/** Feeds `delayMs` every `stepMs` for `forMs`, from `t`; returns the time after. */
function hold(g: QueueDelayGate, t: number, delayMs: number, forMs: number, stepMs = 20): number {
  for (let end = t + forMs; t < end; ) g.update(delayMs, (t += stepMs));
  return t;
}

describe('receive-queue delay gate', () => {
  it('admits everything while the delay stays under clearBelowMs, and between the thresholds from a start', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    hold(g, 0, 99, 5000);
    expect(g.admitted).toBe(1);
    hold(g, 5000, 150, 5000);
    expect(g.admitted).toBe(1);
    expect(g.shedding).toBe(false);
    expect(g.starts).toBe(0);
  });

  it('at shedAboveMs sheds at once, then halves the admitted fraction every 50 ms down to the floor', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, floor: 0.05 });
    g.update(10, 0);
    expect(g.update(250, 0)).toBeCloseTo(0.9);
    expect(g.shedding).toBe(true);
    expect(g.update(250, 50)).toBeCloseTo(0.45);
    expect(g.update(250, 100)).toBeCloseTo(0.225);
    hold(g, 100, 250, 2000);
    expect(g.admitted).toBe(0.05);
    expect(g.starts).toBe(1);
  });

  it('between the thresholds the fraction shrinks gently (halves per 400 ms); under clearBelowMs it grows back by 1 per 500 ms', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    g.update(250, 0);
    g.update(150, 0);
    const at = g.admitted;
    g.update(150, 100);
    expect(g.admitted).toBeCloseTo(at * 0.5 ** 0.25);
    g.update(50, 200);
    expect(g.admitted).toBeCloseTo(at * 0.5 ** 0.25 + 0.2);
    hold(g, 200, 50, 600);
    expect(g.admitted).toBe(1);
    expect(g.shedding).toBe(false);
  });

  it('a gap between updates counts as at most 100 ms of control', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    g.update(250, 0);
    g.update(250, 60_000);
    expect(g.admitted).toBeCloseTo(0.9 * 0.25);
  });

  it('refuses one call by a draw against the admitted fraction, and none while nothing is shed', () => {
    const draws = [0.1, 0.5, 0.95, 0.3];
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, random: () => draws.shift() ?? 0 });
    expect(g.refuseOne()).toBe(false);
    g.update(250, 0);
    g.update(250, 50);
    // admitted 0.45: a draw at or above refuses.
    expect([g.refuseOne(), g.refuseOne(), g.refuseOne()]).toEqual([false, true, true]);
  });

  it('under a steady excess the admitted fraction settles: a queue that fills in proportion to what is admitted', () => {
    // A toy queue: 2× capacity offered, the admitted share adds delay beyond what the loop drains;
    // the probe reports it 100 ms late. The fraction must neither stay at the floor nor at 1.
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    let delay = 0;
    const seen: number[] = [];
    const reported: number[] = [];
    for (let t = 0; t < 20_000; t += 20) {
      delay = Math.max(0, delay + 20 * (2 * g.admitted - 1));
      reported.push(delay);
      g.update(reported.length > 5 ? reported[reported.length - 6] : 0, t);
      if (t > 5000) seen.push(g.admitted);
    }
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
    expect(Math.max(...reported.slice(250))).toBeLessThan(400);
  });

  it('with sustainMs, starts shedding once the delay has stayed at or above shedAboveMs that long (or reached shedAtOnceAboveMs)', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
    // [delay, time]: above from t=10, dips under at t=60 (the stretch starts again at t=70), sustained at t=170.
    const seen = [[250, 10], [300, 50], [190, 60], [210, 70], [390, 160], [392, 170]].map(([d, t]) => g.update(d, t) < 1);
    expect(seen).toEqual([false, false, false, false, false, true]);
    // Back under clearBelowMs long enough: all admitted again; then a burst past shedAtOnceAboveMs sheds at once.
    hold(g, 170, 50, 1000);
    expect(g.shedding).toBe(false);
    expect(g.update(400, 1200)).toBeLessThan(1);
    expect(g.starts).toBe(2);
  });

  it('with sustainMs, a delay above shedAboveMs that keeps falling (a backlog draining) sheds nothing; a slow rise does', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
    // After a stall: the delay falls 1 ms per 10 ms from 260 ms, read every 10 ms with ±1 ms of jitter.
    for (let t = 0; t <= 600; t += 10) expect(g.update(260 - t / 10 + ((t / 10) % 3) - 1, t)).toBe(1);
    // Offered a little over capacity: the delay rises 1 ms per 10 ms from 200 ms; shedding 100 ms on.
    const rise: boolean[] = [];
    for (let t = 1000; t <= 1120; t += 10) rise.push(g.update(200 + (t - 1000) / 10, t) < 1);
    expect(rise.indexOf(true)).toBe(10);
  });

  it('an unmeasured delay never sheds', () => {
    const g = new QueueDelayGate({ shedAboveMs: 10, clearBelowMs: 5 });
    g.update(50, 0);
    expect(g.update(undefined, 10)).toBe(1);
    g.update(50, 20);
    expect(g.update(Number.NaN, 30)).toBe(1);
  });

  it('refuses a clear threshold above the shed threshold', () => {
    expect(() => new QueueDelayGate({ shedAboveMs: 10, clearBelowMs: 50 })).toThrow(RangeError);
  });
});

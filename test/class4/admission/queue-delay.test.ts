import { describe, expect, it } from 'vitest';
import { QueueDelayGate } from '../../../src/class4/admission/queue-delay.js';
import { mulberry32 } from '../../../src/util/prng.js';

/** Feeds `delayMs` every `stepMs` for `forMs`, from `t`; returns the time after. */
function hold(g: QueueDelayGate, t: number, delayMs: number, forMs: number, stepMs = 20): number {
  for (let end = t + forMs; t < end; ) g.update(delayMs, (t += stepMs));
  return t;
}

/**
 * A model of the switch's SIP receive queue under an offer of `offered` × what the loop carries:
 * per ms, the admitted share of the offer adds work, a refused call costs `refuseCost` of a call,
 * the loop works off 1 ms per ms; a probe sent every 20 ms reports the queue it waited behind,
 * once it has been read (so the delay the gate sees is late by the delay itself). Returns calls
 * carried as a share of capacity after the first 5 s, the admitted fraction's mean and spread,
 * and the longest queue (ms).
 */
function modelQueue(offered: (t: number) => number, refuseCost = 0.05) {
  const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
  const rnd = mulberry32(7);
  let queue = 0;
  let reported = 0;
  let carried = 0;
  let ms = 0;
  let longest = 0;
  const probes: Array<[sentAt: number, waits: number]> = [];
  const fractions: number[] = [];
  for (let t = 0; t < 60_000; t++) {
    const p = g.admitted;
    const arriving = offered(t) * (1 + (rnd() - 0.5) * 0.6);
    const work = arriving * p + arriving * (1 - p) * refuseCost;
    const done = Math.min(1, queue + work);
    queue = Math.max(0, queue + work - 1);
    if (t >= 5000) {
      carried += (done * arriving * p) / work;
      ms++;
      fractions.push(p);
      longest = Math.max(longest, queue);
    }
    if (t % 20 === 0) probes.push([t, queue]);
    while (probes.length && probes[0][0] + probes[0][1] <= t) reported = probes.shift()![1];
    g.update(reported, t);
  }
  const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
  const spread = Math.sqrt(fractions.reduce((a, b) => a + (b - mean) ** 2, 0) / fractions.length);
  return { carried: carried / ms, mean, spread, longest, starts: g.starts };
}

describe('receive-queue delay gate', () => {
  it('admits everything while the delay stays under shedAboveMs, or above it only briefly', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100 });
    hold(g, 0, 99, 5000);
    hold(g, 5000, 199, 5000);
    hold(g, 10_000, 300, 80);
    hold(g, 10_080, 50, 1000);
    expect(g.admitted).toBe(1);
    expect(g.shedding).toBe(false);
    expect(g.starts).toBe(0);
  });

  it('with sustainMs, starts shedding once the delay has stayed at or above shedAboveMs that long (or reached shedAtOnceAboveMs)', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
    // [delay, time]: above from t=10, dips under at t=60 (the stretch starts again at t=70), sustained at t=170.
    const seen = [[250, 10], [300, 50], [190, 60], [210, 70], [390, 160], [392, 170]].map(([d, t]) => g.update(d, t) < 1);
    expect(seen).toEqual([false, false, false, false, false, true]);
    // The first fraction holds the delay where it is: it rose 182 ms in the 100 ms it was above.
    expect(g.admitted).toBeCloseTo(1 / (1 + 182 / 100), 6);
    // The queue reads empty: all admitted again within a second; then a burst past shedAtOnceAboveMs sheds at once.
    hold(g, 170, 10, 1200);
    expect(g.shedding).toBe(false);
    expect(g.update(400, 1400)).toBeLessThan(1);
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

  it('sets the admitted fraction from the delay\'s slope: rising 1 ms per ms cuts it toward half in steps, a flat excess pulls it down, an empty queue grows it back', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    let t = 0;
    g.update(250, t);
    expect(g.admitted).toBe(0.9);
    // Rising 1 ms per ms for 100 ms: one step of 0.3 of the way toward p / (1 + 1 + 0.5 excess).
    for (let d = 250; t < 100; ) g.update(d + (t += 10), t);
    expect(g.admitted).toBeCloseTo(0.9 / (1 + 0.3 * (1 + (350 - 100) / 500)), 6);
    // Flat at 350 ms: only the pull toward clearBelowMs, (350 − 100) / 500 per step.
    const at = g.admitted;
    hold(g, 100, 350, 100, 10);
    expect(g.admitted).toBeCloseTo(at / (1 + 0.3 * 0.5), 6);
    expect(g.shedding).toBe(true);
    // The queue reads empty: p grows by 1 per second, and shedding ends at 1.
    hold(g, 1100, 5, 1100, 10);
    expect(g.admitted).toBe(1);
    expect(g.shedding).toBe(false);
  });

  it('on a model of the queue with the probe\'s lag, holds a steady fraction and carries near capacity from 1.05× to 4× (and sheds nothing at 0.9×)', () => {
    const rows = [0.9, 1.05, 1.2, 2, 4].map((x) => ({ x, ...modelQueue(() => x) }));
    const by = (x: number) => rows.find((r) => r.x === x)!;
    expect(by(0.9).starts).toBe(0);
    expect(by(0.9).carried).toBeCloseTo(0.9, 2);
    for (const x of [1.05, 1.2, 2]) {
      expect(by(x).carried, `${x}×`).toBeGreaterThan(0.93);
      expect(by(x).spread, `${x}×`).toBeLessThan(0.05);
      expect(by(x).longest, `${x}×`).toBeLessThan(300);
    }
    // At 4×, three refusals per admitted call cost 0.15 of the loop.
    expect(by(4).carried).toBeGreaterThan(0.8);
    expect(by(4).spread).toBeLessThan(0.05);
    // An offer stepping from 0.8× to 2×: the onset costs one peak of the queue, then the same hold.
    const step = modelQueue((t) => (t < 20_000 ? 0.8 : 2));
    // Starting from the rise it saw (not from 0.9 whatever the rise) keeps the peak lower: 563 ms, was 636.
    expect(step.longest).toBeLessThan(600);
    expect(step.carried).toBeGreaterThan(0.88);
  });

  it('refuses one call by a draw against the admitted fraction, and none while nothing is shed', () => {
    const draws = [0.1, 0.5, 0.95, 0.3];
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, random: () => draws.shift() ?? 0 });
    expect(g.refuseOne()).toBe(false);
    g.update(250, 0);
    // admitted 0.9: a draw at or above refuses.
    expect([g.refuseOne(), g.refuseOne(), g.refuseOne()]).toEqual([false, false, true]);
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

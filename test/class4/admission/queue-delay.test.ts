import { describe, expect, it } from 'vitest';
import { QueueDelayGate } from '../../../src/class4/admission/queue-delay.js';

describe('receive-queue delay gate', () => {
  it('sheds from shedAboveMs until the delay is under clearBelowMs (hysteresis)', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100 });
    expect([50, 199, 200, 150, 100, 99, 150, 250].map((d) => g.update(d))).toEqual([false, false, true, true, true, false, false, true]);
    expect(g.starts).toBe(2);
  });

  it('with sustainMs, sheds once the delay has stayed at or above shedAboveMs that long (or reached shedAtOnceAboveMs)', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
    // [delay, time]: above from t=10, dips under at t=60 (the stretch starts again at t=70), sustained at t=170.
    const seen = [[250, 10], [300, 50], [190, 60], [210, 70], [390, 160], [392, 170], [150, 500], [99, 510], [400, 520]].map(([d, t]) => g.update(d, t));
    expect(seen).toEqual([false, false, false, false, false, true, true, false, true]);
    expect(g.starts).toBe(2);
  });

  it('with sustainMs, a delay above shedAboveMs that keeps falling (a backlog draining at high load) never sheds; a slow rise does', () => {
    const g = new QueueDelayGate({ shedAboveMs: 200, clearBelowMs: 100, sustainMs: 100, shedAtOnceAboveMs: 400 });
    // 90 % load after a stall: the delay falls 1 ms per 10 ms from 260 ms, read every 10 ms with ±2 ms of jitter.
    for (let t = 0; t <= 600; t += 10) expect(g.update(260 - t / 10 + ((t / 10) % 3) - 1, t)).toBe(false);
    // Offered a little over capacity: the delay rises 1 ms per 10 ms from 200 ms; shedding 100 ms on.
    const rise = [];
    for (let t = 1000; t <= 1120; t += 10) rise.push(g.update(200 + (t - 1000) / 10, t));
    expect(rise.indexOf(true)).toBe(10);
  });

  it('an unmeasured delay never sheds', () => {
    const g = new QueueDelayGate({ shedAboveMs: 10, clearBelowMs: 5 });
    expect(g.update(undefined)).toBe(false);
    expect(g.update(Number.NaN)).toBe(false);
  });

  it('refuses a clear threshold above the shed threshold', () => {
    expect(() => new QueueDelayGate({ shedAboveMs: 10, clearBelowMs: 50 })).toThrow(RangeError);
  });
});

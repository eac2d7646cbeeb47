import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { OverloadGuard, overloadConfigSchema } from '../../../src/class4/admission/overload.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { buildIam, buildRlc } from '../../../src/ss7/isup/builders.js';
import type { CauseMessage } from '../../../src/ss7/isup/messages.js';
import { labIncoming, settle } from '../../calls/fakes.js';

function guard(cfg: Record<string, unknown>, lag: { ms: number; utilization?: number }, levels: number[] = [], clock = new VirtualClock(0), random?: () => number) {
  const g = new OverloadGuard(overloadConfigSchema.parse(cfg), clock, silentLogger, () => lag.ms, (l) => levels.push(l), undefined, () => lag.utilization ?? 0, random);
  return { g, clock };
}

describe('overload admission', () => {
  it('raises the level only after several windows of sustained event-loop delay, and clears the same way', () => {
    const lag = { ms: 0 };
    const levels: number[] = [];
    const { g, clock } = guard({ sampleMs: 500 }, lag, levels);
    g.start();
    lag.ms = 150;
    clock.advance(1000);
    expect(g.currentLevel).toBe(0); // two windows: not yet
    expect(g.admit('sip')).toBeUndefined();
    g.setupDone();
    clock.advance(500);
    expect(g.currentLevel).toBe(1);
    expect(g.admit('sip')).toEqual({ reason: 'event-loop-lag', level: 1 });
    lag.ms = 500;
    clock.advance(1500);
    expect(g.currentLevel).toBe(2);
    lag.ms = 5;
    clock.advance(1000);
    expect(g.currentLevel).toBe(2);
    clock.advance(500);
    expect(g.currentLevel).toBe(0);
    expect(levels).toEqual([1, 2, 0]);
    g.stop();
    expect(clock.pending).toBe(0);
  });

  it('one slow window (a GC pause) does not refuse calls', () => {
    const lag = { ms: 0 };
    const { g, clock } = guard({}, lag);
    g.start();
    lag.ms = 900;
    clock.advance(500);
    lag.ms = 1;
    clock.advance(2000);
    expect(g.currentLevel).toBe(0);
    g.stop();
  });

  it('caps calls in set-up and new calls per second (token bucket in virtual time)', () => {
    const { g, clock } = guard({ maxCallsInSetup: 2, maxCallsPerSecond: 0 }, { ms: 0 });
    expect(g.admit('isup')).toBeUndefined();
    expect(g.admit('isup')).toBeUndefined();
    expect(g.admit('isup')).toEqual({ reason: 'calls-in-setup', level: 1 });
    g.setupDone();
    expect(g.admit('isup')).toBeUndefined();
    const cps = guard({ maxCallsInSetup: 0, maxCallsPerSecond: 10 }, { ms: 0 }, [], clock).g;
    let admitted = 0;
    for (let i = 0; i < 50; i++) if (!cps.admit('sip')) admitted++;
    expect(admitted).toBe(10);
    clock.advance(500);
    for (let i = 0; i < 50; i++) if (!cps.admit('sip')) admitted++;
    expect(admitted).toBe(15);
  });

  it('an IAM refused for overload gets REL cause 42 carrying the automatic congestion level (Q.764 §2.11.1)', async () => {
    const lag = { ms: 0 };
    const l = labIncoming({ overload: (clock) => new OverloadGuard(overloadConfigSchema.parse({}), clock, silentLogger, () => lag.ms, undefined, undefined, () => 0) });
    l.overload!.start();
    lag.ms = 600;
    l.clock.advance(1500);
    expect(l.overload!.currentLevel).toBe(2);
    l.far.deliver(buildIam({ cic: 2, variant: 'ansi', called: '2125550123', calling: '3125550000' }));
    await settle();
    const rel = l.far.sent.find((m) => m.type === 'REL') as CauseMessage;
    expect(rel.cause.cause).toBe(42);
    expect(rel.optional).toContainEqual({ name: 'automaticCongestionLevel', value: 2 });
    expect(l.sip.uacs).toHaveLength(0);
    expect(l.bearer!.live.size).toBe(0);
    l.far.deliver(buildRlc(2));
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ cause: 42 });
    l.overload!.stop();
  });
});

describe('adaptive ceiling on calls in set-up (network response time)', () => {
  it('keeps the ceiling while responses come in their usual time, cuts it when they queue, and refuses beyond it', () => {
    const lag = { ms: 0 };
    const { g, clock } = guard({ sampleMs: 500, maxCallsInSetup: 2000, adaptive: { minLimit: 8, tolerance: 2, minExcessMs: 0, minSamples: 5 } }, lag);
    g.start();
    // Steady state: 50 ms to the ACM, 10 calls at once.
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 10; i++) expect(g.admit('sip')).toBeUndefined();
      for (let i = 0; i < 10; i++) (g.responded(50), g.setupDone());
      clock.advance(500);
    }
    expect(g.setupLimit).toBe(2000);
    // Overload: 300 calls pile up and wait 400 ms for their ACMs (8× the usual time).
    for (let i = 0; i < 300; i++) expect(g.admit('sip')).toBeUndefined();
    for (let i = 0; i < 20; i++) (g.responded(400), g.setupDone());
    clock.advance(500);
    // Cut to what was in set-up × (2 × 50 / 400), at least half of it.
    expect(g.setupLimit).toBe(150);
    expect(g.callsInSetup).toBe(280);
    expect(g.admit('sip')).toEqual({ reason: 'response-time', level: 1 });
    // The backlog drains and responses come in their usual time again: the ceiling grows back by √limit per window.
    for (let i = 0; i < 280; i++) (g.responded(60), g.setupDone());
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < 100; i++) expect(g.admit('sip')).toBeUndefined();
      for (let i = 0; i < 100; i++) (g.responded(55), g.setupDone());
      clock.advance(500);
    }
    expect(g.setupLimit).toBeGreaterThan(150);
    g.stop();
  });

  it('never cuts below minLimit, and does nothing when disabled or with too few samples', () => {
    const lag = { ms: 0 };
    const { g, clock } = guard({ sampleMs: 500, adaptive: { minLimit: 16, tolerance: 2, minSamples: 5 } }, lag);
    g.start();
    for (let i = 0; i < 10; i++) g.responded(20);
    clock.advance(500);
    for (let i = 0; i < 20; i++) g.admit('sip');
    for (let i = 0; i < 10; i++) g.responded(5000);
    clock.advance(500);
    expect(g.setupLimit).toBe(16);
    g.stop();
    const few = guard({ sampleMs: 500, adaptive: { minSamples: 5 } }, lag);
    few.g.start();
    for (let i = 0; i < 10; i++) few.g.responded(20);
    few.clock.advance(500);
    for (let i = 0; i < 4; i++) few.g.responded(9000);
    few.clock.advance(500);
    expect(few.g.setupLimit).toBe(2000);
    few.g.stop();
    const off = guard({ adaptive: { enabled: false } }, lag);
    expect(off.g.setupLimit).toBeUndefined();
  });
});

describe('calls-per-second ceiling from the event loop utilization', () => {
  it('cuts below the admitted rate after two busy windows, refuses beyond it, and lifts it when the loop is idle again', () => {
    const load = { ms: 0, utilization: 0.5 };
    const { g, clock } = guard({ sampleMs: 500, adaptive: { enabled: false }, utilization: { enabled: true, high: 0.9, low: 0.7, windowsToCut: 2, minPerSecond: 5 } }, load);
    g.start();
    const offer = (n: number) => {
      let admitted = 0;
      for (let i = 0; i < n; i++) {
        clock.advance(500 / n);
        if (!g.admit('sip')) (admitted++, g.setupDone());
      }
      return admitted;
    };
    expect(offer(100)).toBe(100); // 200 calls/s, loop half busy
    load.utilization = 0.97;
    expect(offer(100)).toBe(100); // first busy window: not yet
    expect(offer(100)).toBe(100); // second: the ceiling is set at its end (0.9 × 200/s)
    const admitted = offer(100);
    expect(admitted).toBeGreaterThanOrEqual(85);
    expect(admitted).toBeLessThanOrEqual(99); // 180/s for 0.5 s plus a burst of 9
    // A burst at one instant: the bucket's few tokens, then refusals for utilization.
    const burst = Array.from({ length: 50 }, () => g.admit('sip'));
    expect(burst.filter((r) => r === undefined).length).toBeLessThanOrEqual(10);
    expect(burst.at(-1)).toEqual({ reason: 'utilization', level: 1 });
    for (const r of burst) if (r === undefined) g.setupDone();
    load.utilization = 0.3;
    for (let w = 0; w < 20; w++) offer(100);
    expect(offer(100)).toBe(100);
    g.stop();
  });

  it('sheds a fraction of new calls while SIP datagrams wait in the receive queue, at once and without counting until asked', () => {
    const lag = { ms: 0 };
    const draw = { next: 0.5 };
    const { g, clock } = guard({ receiveQueue: { sustainMs: 0 } }, lag, [], new VirtualClock(0), () => draw.next);
    const queue = { ms: 5 as number | undefined };
    g.watchReceiveQueue(() => queue.ms);
    expect(g.wouldRefuse()).toBeUndefined();
    queue.ms = 250;
    // At shedAboveMs, 0.9 of new calls admitted at once: the cheap check says shedding is on...
    expect(g.wouldRefuse()).toEqual({ reason: 'receive-queue', level: 1 });
    // ...and each call is drawn for: 0.95 ≥ 0.9 refused, 0.5 let through.
    draw.next = 0.95;
    expect(g.shedding('sip')).toEqual({ reason: 'receive-queue', level: 1 });
    expect(g.admit('isup')).toEqual({ reason: 'receive-queue', level: 1 });
    draw.next = 0.5;
    expect(g.admit('isup')).toBeUndefined();
    g.setupDone();
    // 100 ms later, the delay still at 350 and rising: the fraction is cut (0.9 / 1.45): a 0.7 draw is refused.
    queue.ms = 350;
    clock.advance(100);
    draw.next = 0.7;
    expect(g.shedding('sip')).toEqual({ reason: 'receive-queue', level: 1 });
    queue.ms = 300; // falling, but slower than the excess is to be worked off: still shedding
    clock.advance(100);
    expect(g.wouldRefuse()?.reason).toBe('receive-queue');
    // The queue reads empty, looked at every 50 ms: all admitted again within a second.
    queue.ms = 10;
    for (let i = 0; i < 20; i++) {
      clock.advance(50);
      g.wouldRefuse();
    }
    expect(g.wouldRefuse()).toBeUndefined();
    draw.next = 0.999;
    expect(g.admit('sip')).toBeUndefined();
    g.setupDone();
  });

  it('drawn upstream (the SIP I/O thread): the fraction is published every 20 ms, SIP calls are not drawn for here, IAMs still are, upstream refusals are counted', async () => {
    const registry = new Registry();
    const clock = new VirtualClock(0);
    const g = new OverloadGuard(overloadConfigSchema.parse({ receiveQueue: { sustainMs: 0 } }), clock, silentLogger, () => 0, () => undefined, registry, () => 0, () => 0.99);
    const queue = { ms: 5 };
    g.watchReceiveQueue(() => queue.ms);
    const published: number[] = [];
    g.drawSipUpstream((p) => published.push(p));
    clock.advance(20);
    expect(published).toEqual([1]);
    queue.ms = 250;
    clock.advance(20);
    expect(published.at(-1)).toBeCloseTo(0.9);
    // The cheap check for the SIP stack's own fast path: nothing for the receive queue here.
    expect(g.wouldRefuse('sip')).toBeUndefined();
    expect(g.shedding('sip')).toBeUndefined();
    expect(g.admit('sip')).toBeUndefined();
    g.setupDone();
    expect(g.admit('isup')).toEqual({ reason: 'receive-queue', level: 1 });
    // An INVITE over TCP/TLS never passed the I/O thread: drawn for here (0.99 ≥ 0.9: refused).
    expect(g.shedding('sip', true)).toEqual({ reason: 'receive-queue', level: 1 });
    // Rising for 200 ms: the fraction published falls.
    for (const ms of [300, 350, 400, 450]) {
      queue.ms = ms;
      clock.advance(50);
    }
    expect(published.at(-1)!).toBeLessThan(0.6);
    queue.ms = 5;
    clock.advance(1500);
    expect(published.at(-1)).toBe(1);
    g.countUpstreamRefusals(7);
    const text = await registry.metrics();
    // 7 from upstream and the TCP INVITE refused here.
    expect(text).toMatch(/softswitch_overload_rejected_total\{protocol="sip",reason="receive-queue"\} 8/);
    const n = published.length;
    g.stop();
    clock.advance(100);
    expect(published.length).toBe(n);
  });

  it('a SIP call let through by the draw at the stack is not drawn for again when it is admitted', () => {
    const draw = { next: 0.01 };
    const { g } = guard({ receiveQueue: { sustainMs: 0 } }, { ms: 0 }, [], new VirtualClock(0), () => draw.next);
    g.watchReceiveQueue(() => 250);
    expect(g.shedding('sip')).toBeUndefined();
    draw.next = 0.99;
    expect(g.admit('sip')).toBeUndefined();
    // No pass left: the next call's admit draws (and 0.99 is refused).
    expect(g.admit('sip')).toEqual({ reason: 'receive-queue', level: 1 });
  });

  it('by default a stall\'s backlog that drains within sustainMs sheds nothing; a burst past shedAtOnceAboveMs sheds at once', () => {
    const { g, clock } = guard({}, { ms: 0 }, [], new VirtualClock(0), () => 0.99);
    const queue = { ms: 5 };
    g.watchReceiveQueue(() => queue.ms);
    // The delay of one stall's backlog, read every 10 ms as it is worked off: up past 200 ms, then down.
    for (const ms of [40, 90, 140, 190, 215, 230, 235, 220, 190, 150, 100, 60, 20]) {
      queue.ms = ms;
      expect(g.wouldRefuse()).toBeUndefined();
      clock.advance(10);
    }
    queue.ms = 410;
    expect(g.wouldRefuse()?.reason).toBe('receive-queue');
    expect(g.shedding('sip')?.reason).toBe('receive-queue');
  });

  it('with the receive queue measured, a late event loop refuses IAMs but not SIP calls whose queue is short', () => {
    const lag = { ms: 0 };
    const { g, clock } = guard({ sampleMs: 500 }, lag);
    g.watchReceiveQueue(() => 3);
    g.start();
    lag.ms = 150;
    clock.advance(1500);
    expect(g.currentLevel).toBe(1);
    expect(g.wouldRefuse('sip')).toBeUndefined();
    expect(g.admit('sip')).toBeUndefined();
    expect(g.admit('isup')).toEqual({ reason: 'event-loop-lag', level: 1 });
    g.stop();
  });

  it('receiveQueue.enabled: false leaves the queue out', () => {
    const { g } = guard({ receiveQueue: { enabled: false } }, { ms: 0 });
    g.watchReceiveQueue(() => 10_000);
    expect(g.wouldRefuse()).toBeUndefined();
  });
});

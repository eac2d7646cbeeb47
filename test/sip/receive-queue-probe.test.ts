import { describe, expect, it } from 'vitest';
import { ReceiveQueueProbe } from '../../src/sip/receive-queue-probe.js';

describe('receive-queue probe', () => {
  it('a queue that keeps up: each probe back within a loop turn, delay stays small', () => {
    const p = new ReceiveQueueProbe();
    for (let t = 0; t < 1000; t += 20) p.received(p.sent(t), t + 2);
    expect(p.delayMs(1000)).toBe(2);
    expect(p.lost).toBe(0);
  });

  it('a backlog: probes come back late, and a probe still out counts for its age', () => {
    const p = new ReceiveQueueProbe();
    const a = p.sent(0);
    p.sent(20);
    p.received(a, 150);
    expect(p.delayMs(150)).toBe(150);
    // The second probe has been out 280 ms by t = 300: the queue is at least that far behind.
    expect(p.delayMs(300)).toBe(280);
    expect(p.outstanding).toBe(1);
  });

  it('probes the kernel dropped are known lost once a later one arrives (FIFO)', () => {
    const p = new ReceiveQueueProbe();
    p.sent(0);
    p.sent(20);
    const c = p.sent(40);
    p.received(c, 45);
    expect(p.lost).toBe(2);
    expect(p.outstanding).toBe(0);
    expect(p.delayMs(60)).toBe(5);
  });

  it('ignores unknown, replayed and non-integer sequence numbers', () => {
    const p = new ReceiveQueueProbe();
    const a = p.sent(0);
    p.received(a, 10);
    p.received(a, 900);
    p.received(12345, 900);
    p.received(Number.NaN, 900);
    expect(p.delayMs(20)).toBe(10);
  });

  it('stays bounded when nothing comes back', () => {
    const p = new ReceiveQueueProbe();
    for (let t = 0; t < 5000; t++) p.sent(t);
    expect(p.outstanding).toBeLessThanOrEqual(1024);
    expect(p.lost).toBe(5000 - p.outstanding);
  });
});

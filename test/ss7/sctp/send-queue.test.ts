import { describe, expect, it } from 'vitest';
import { DATA_CHUNK_OVERHEAD, SendQueue, type QueuedMessage } from '../../../src/ss7/sctp/send-queue.js';

const msg = (n: number, size = 84): QueuedMessage => ({ data: Buffer.alloc(size, n & 0xff), stream: n % 3, ppid: 3 });

describe('serialised send queue', () => {
  it('hands over only what the window allows, in order, and resumes when room comes back', () => {
    const q = new SendQueue(100);
    for (let i = 0; i < 10; i++) q.push(msg(i));
    let room = 3 * (84 + DATA_CHUNK_OVERHEAD);
    const out: number[] = [];
    const sink = { room: () => room, submit: (m: QueuedMessage) => (out.push(m.data[0]), (room -= m.data.length + DATA_CHUNK_OVERHEAD), true) };
    expect(q.pump(sink, () => false)).toBe(3);
    expect(q.pump(sink, () => false)).toBe(0);
    room = 1000;
    q.pump(sink, () => false);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.length).toBe(0);
    expect(q.queuedBytes).toBe(0);
  });

  it('offers the head even with a tiny window when nothing is in flight (no stall)', () => {
    const q = new SendQueue(10);
    q.push(msg(1, 4000));
    const sink = { room: () => 100, submit: () => true };
    expect(q.pump(sink, () => false)).toBe(0);
    expect(q.pump(sink, () => true)).toBe(1);
  });

  it('keeps a refused message at the head', () => {
    const q = new SendQueue(10);
    q.push(msg(1));
    q.push(msg(2));
    let accept = false;
    const seen: number[] = [];
    const sink = { room: () => 1e6, submit: (m: QueuedMessage) => (seen.push(m.data[0]), accept) };
    expect(q.pump(sink, () => false)).toBe(0);
    accept = true;
    expect(q.pump(sink, () => false)).toBe(2);
    expect(seen).toEqual([1, 1, 2]);
  });

  it('refuses beyond its limit and compacts after long runs', () => {
    const q = new SendQueue(3000);
    for (let i = 0; i < 3000; i++) expect(q.push(msg(i, 1))).toBe(true);
    expect(q.push(msg(0, 1))).toBe(false);
    const sink = { room: () => 1e9, submit: () => true };
    expect(q.pump(sink, () => false)).toBe(3000);
    expect(q.push(msg(0, 1))).toBe(true);
    expect(q.length).toBe(1);
  });
});

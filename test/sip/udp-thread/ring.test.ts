import { describe, expect, it } from 'vitest';
import { createRing, ringRefusals, RingReader, RingWriter, MAX_ADDRESS_BYTES } from '../../../src/sip/udp-thread/ring.js';

/** A seeded generator, so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('shared-memory datagram ring', () => {
  it('gives back what was written, in order, across wraps and while full, against a plain queue (3 seeds × 20,000 operations)', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = lcg(seed);
      const mem = createRing(8192);
      const w = new RingWriter(mem);
      const r = new RingReader(mem);
      const model: Array<{ address: string; port: number; stamp: number; payload: Buffer; kind: number }> = [];
      let refusedHere = 0;
      for (let op = 0; op < 20_000; op++) {
        if (rnd() < 0.55) {
          const payload = Buffer.alloc(Math.floor(rnd() ** 3 * 3000));
          for (let i = 0; i < payload.length; i++) payload[i] = (op + i) & 0xff;
          const address = rnd() < 0.5 ? `10.0.${op & 255}.${(op >> 8) & 255}` : rnd() < 0.5 ? '' : `fd00::${op.toString(16)}`;
          const rec = { kind: op & 1, address, port: op & 0xffff, stamp: op + 0.25, payload };
          if (w.write(rec.kind, rec.address, rec.port, rec.stamp, rec.payload)) model.push(rec);
          else refusedHere++;
        } else {
          const got = r.read();
          const want = model.shift();
          if (!want) {
            expect(got).toBeUndefined();
            continue;
          }
          expect(got).toBeDefined();
          expect(got!.address).toBe(want.address);
          expect(got!.port).toBe(want.port);
          expect(got!.kind).toBe(want.kind);
          expect(got!.stamp).toBe(want.stamp);
          expect(got!.payload.equals(want.payload)).toBe(true);
        }
        expect(r.pending).toBe(model.length > 0);
      }
      expect(refusedHere).toBeGreaterThan(0); // the ring was full at times
      expect(ringRefusals(mem)).toBe(refusedHere);
      for (let got = r.read(); got; got = r.read()) expect(got.payload.equals(model.shift()!.payload)).toBe(true);
      expect(model).toHaveLength(0);
    }
  });

  it('holds about its size in records, and takes a record again once the reader has freed room', () => {
    const mem = createRing(4096);
    const w = new RingWriter(mem);
    const r = new RingReader(mem);
    const body = Buffer.alloc(100);
    let n = 0;
    while (w.write(0, '127.0.0.1', 5060, 0, body)) n++;
    // 16 header + 9 address + 100 payload → 128 bytes each; all but the gap is usable.
    expect(n).toBe(31);
    expect(r.read()).toBeDefined();
    expect(w.write(0, '127.0.0.1', 5060, 0, body)).toBe(true);
  });

  it('refuses, without harm, a payload beyond its largest and an over-long address; the largest fits an empty ring', () => {
    const mem = createRing(65536);
    const w = new RingWriter(mem);
    const r = new RingReader(mem);
    expect(w.write(0, 'x', 1, 0, Buffer.alloc(w.maxPayload(1) + 1))).toBe(false);
    expect(w.write(0, 'a'.repeat(MAX_ADDRESS_BYTES + 1), 1, 0, Buffer.alloc(1))).toBe(false);
    expect(r.read()).toBeUndefined();
    expect(w.write(0, 'x', 1, 0, Buffer.alloc(w.maxPayload(1), 7))).toBe(true);
    const got = r.read()!;
    expect(got.payload.length).toBe(w.maxPayload(1));
    expect(got.payload.every((b) => b === 7)).toBe(true);
    expect(ringRefusals(mem)).toBe(2);
  });

  it('reads a record that wrapped to the front after the wrap mark, in order', () => {
    const mem = createRing(1024);
    const w = new RingWriter(mem);
    const r = new RingReader(mem);
    for (let i = 0; i < 3; i++) expect(w.write(0, 'a', 1, i, Buffer.alloc(250))).toBe(true);
    r.read();
    r.read();
    // Room only at the front: this record wraps.
    expect(w.write(0, 'a', 1, 42, Buffer.alloc(400, 9))).toBe(true);
    expect(r.read()!.stamp).toBe(2);
    const wrapped = r.read()!;
    expect(wrapped.stamp).toBe(42);
    expect(wrapped.payload.length).toBe(400);
    expect(r.read()).toBeUndefined();
  });

  it('a sleeping reader wakes when a record is written, and at once when one is already waiting', async () => {
    const mem = createRing(4096);
    const w = new RingWriter(mem);
    const r = new RingReader(mem);
    let woke = false;
    const asleep = r.sleep().then(() => (woke = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(woke).toBe(false);
    expect(w.write(0, '', 0, 0, Buffer.from('x'))).toBe(true);
    w.wake();
    await asleep;
    expect(woke).toBe(true);
    await r.sleep(); // a record is waiting: resolves at once
    expect(r.read()!.payload.toString()).toBe('x');
    const interrupted = r.sleep();
    r.interrupt();
    await interrupted;
  });

  it('one reader sleeps for two rings: a record in the second wakes it, even one written between its look and its wait', async () => {
    const a = createRing(4096);
    const b = createRing(4096);
    const wa = new RingWriter(a);
    const wb = new RingWriter(b);
    const ra = new RingReader(a);
    const rb = new RingReader(b);
    // Written while the reader sleeps.
    let woke = false;
    const asleep = ra.sleep(() => rb.pending).then(() => (woke = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(woke).toBe(false);
    wb.write(0, '', 0, 0, Buffer.from('1'));
    wa.wake();
    await asleep;
    expect(rb.read()!.payload.toString()).toBe('1');
    // Written (and the wake-up sent) just after the reader found both rings empty, before its wait
    // began: the I/O thread can do that at any moment. The wait must not miss it.
    let injected = false;
    const late = ra.sleep(() => {
      const pending = rb.pending;
      if (!injected) {
        injected = true;
        wb.write(0, '', 0, 0, Buffer.from('2'));
        wa.wake();
      }
      return pending;
    });
    const outcome = await Promise.race([late.then(() => 'woke'), new Promise((res) => setTimeout(() => res('missed'), 500))]);
    expect(outcome).toBe('woke');
    expect(rb.read()!.payload.toString()).toBe('2');
  });
});

import { describe, expect, it } from 'vitest';
import { WireReader } from '../../src/wire/reader.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('WireReader', () => {
  it('reads big- and little-endian integers in sequence', () => {
    const r = new WireReader(hex('ff abcd 010203 deadbeef 3412 0c0b0a 04030201'));
    expect([r.u8(), r.u16(), r.u24(), r.u32(), r.u16le(), r.u24le(), r.u32le()]).toEqual([
      0xff, 0xabcd, 0x010203, 0xdeadbeef, 0x1234, 0x0a0b0c, 0x01020304,
    ]);
    expect(r.remaining).toBe(0);
    expect(r.ok).toBe(true);
  });

  it('a read past the end returns zero, sets ok=false, moves to the end and never throws', () => {
    for (const read of [
      (r: WireReader) => r.u16(),
      (r: WireReader) => r.u24(),
      (r: WireReader) => r.u32(),
      (r: WireReader) => r.u16le(),
      (r: WireReader) => r.u24le(),
      (r: WireReader) => r.u32le(),
    ]) {
      const r = new WireReader(hex('01'));
      expect(read(r)).toBe(0);
      expect(r.ok).toBe(false);
      expect(r.remaining).toBe(0);
      expect(r.u8()).toBe(0);
      expect(r.ok).toBe(false);
    }
  });

  it('bytes(n) is a view when available and empty when short; negative lengths fail', () => {
    const buf = hex('0102030405');
    const r = new WireReader(buf);
    const v = r.bytes(2);
    expect(v.toString('hex')).toBe('0102');
    buf[0] = 9;
    expect(v[0]).toBe(9);
    expect(r.bytes(4).length).toBe(0);
    expect(r.ok).toBe(false);
    const neg = new WireReader(buf);
    neg.skip(-1);
    expect(neg.ok).toBe(false);
  });

  it('honours start and end, and an end beyond the buffer is clamped', () => {
    const buf = hex('aabbccddee');
    const r = new WireReader(buf, 1, 3);
    expect(r.offset).toBe(1);
    expect(r.rest().toString('hex')).toBe('bbcc');
    expect(r.ok).toBe(true);
    const wide = new WireReader(buf, 3, 100);
    expect(wide.remaining).toBe(2);
    expect(wide.u24()).toBe(0);
    expect(wide.ok).toBe(false);
  });

  it('peekU8 looks ahead without moving and answers -1 past the end', () => {
    const r = new WireReader(hex('0102'));
    expect(r.peekU8()).toBe(1);
    expect(r.peekU8(1)).toBe(2);
    expect(r.peekU8(2)).toBe(-1);
    expect(r.offset).toBe(0);
  });

  it('sub(n) reads a bounded part: the sub-reader cannot read past it, the parent moves past it', () => {
    const r = new WireReader(hex('0003 aabbcc 77'));
    const len = r.u16();
    const sub = r.sub(len);
    expect(r.u8()).toBe(0x77);
    expect(r.ok).toBe(true);
    expect(sub.u16()).toBe(0xaabb);
    expect(sub.u16()).toBe(0);
    expect(sub.ok).toBe(false);
    expect(r.ok).toBe(true);
  });

  it('a sub-reader longer than what is left is empty and fails the parent', () => {
    const r = new WireReader(hex('0102'));
    const sub = r.sub(5);
    expect(r.ok).toBe(false);
    expect(sub.remaining).toBe(0);
    expect(sub.u8()).toBe(0);
    expect(sub.ok).toBe(false);
  });

  it('random reads over random short buffers never throw nor leave the bounds', () => {
    let x = 0x2545f491;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let c = 0; c < 2_000; c++) {
      const buf = Buffer.alloc(next() % 12, next() & 0xff);
      const r = new WireReader(buf, next() % 4, next() % 14);
      for (let k = 0; k < 8; k++) {
        const op = next() % 6;
        if (op === 0) r.u8();
        else if (op === 1) r.u32();
        else if (op === 2) r.bytes(next() % 5);
        else if (op === 3) r.sub(next() % 5).u16le();
        else if (op === 4) r.skip(next() % 3);
        else r.u24le();
        expect(r.remaining).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

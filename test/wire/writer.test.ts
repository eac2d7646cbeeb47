import { describe, expect, it } from 'vitest';
import { WireWriter } from '../../src/wire/writer.js';

/** Whether two views share any octet of memory (small slabs may come from Node's shared pool). */
function overlaps(a: Buffer, b: Buffer): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

describe('WireWriter as a one-shot writer', () => {
  it('writes big- and little-endian integers and grows past its initial size', () => {
    const w = new WireWriter(4);
    w.u8(0x1ff).u16(0xabcd).u24(0x010203).u32(0xdeadbeef).u16le(0x1234).u24le(0x0a0b0c).u32le(0x01020304);
    w.bytes(Buffer.from('hello'));
    expect(w.finish().toString('hex')).toBe('ff' + 'abcd' + '010203' + 'deadbeef' + '3412' + '0c0b0a' + '04030201' + Buffer.from('hello').toString('hex'));
  });

  it('pads with zeros to a multiple and patches reserved length fields', () => {
    const w = new WireWriter(2);
    const l16 = w.mark(2);
    const l32 = w.mark(4);
    w.u8(0xaa).pad(4);
    expect(w.length).toBe(8);
    w.patchU16(l16, w.length);
    w.patchU32(l32, 0x01020304);
    w.patchU8(7, 0x77);
    expect(w.byteAt(7)).toBe(0x77);
    expect(w.finish().toString('hex')).toBe('0008' + '01020304' + 'aa' + '77');
  });

  it('finish returns a copy that later writes do not change', () => {
    const w = new WireWriter(8);
    w.u8(1);
    const f = w.finish();
    w.patchU8(0, 9);
    expect(f[0]).toBe(1);
  });
});

describe('WireWriter as a slab of units (restart/view)', () => {
  it('counts length, mark and patch offsets from the start of the current unit', () => {
    const w = new WireWriter(64);
    w.restart().u8(1).u8(2).u8(3);
    w.restart();
    expect(w.length).toBe(0);
    const at = w.mark(2);
    expect(at).toBe(0);
    w.u8(0xee);
    w.patchU16(at, 0x0102);
    w.patchU8(2, 0xff);
    expect(w.byteAt(0)).toBe(0x01);
    expect(w.view().toString('hex')).toBe('0102ff');
    expect(w.finish().toString('hex')).toBe('0102ff');
  });

  it('never changes an earlier view: units follow each other, then move to a fresh slab', () => {
    const w = new WireWriter(32);
    const views: Buffer[] = [];
    const copies: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      w.restart(8);
      for (let k = 0; k <= i % 13; k++) w.u8(i + k);
      const at = w.mark(1);
      w.patchU8(at, i);
      const v = w.view();
      views.push(v);
      copies.push(Buffer.from(v));
    }
    views.forEach((v, i) => expect(v.equals(copies[i]), `unit ${i}`).toBe(true));
    for (let i = 0; i < views.length; i++) {
      for (let j = i + 1; j < views.length; j++) expect(overlaps(views[i], views[j]), `units ${i} and ${j}`).toBe(false);
    }
  });

  it('starts each unit on an 8-octet boundary of the slab', () => {
    const w = new WireWriter(256);
    w.restart().u8(1);
    const a = w.view();
    w.restart().u8(2);
    const b = w.view();
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset - a.byteOffset).toBe(8);
  });

  it('a unit that outgrows the slab moves whole into a larger buffer, earlier views intact', () => {
    const w = new WireWriter(16);
    w.restart().bytes(Buffer.from('0123456789'));
    const first = w.view();
    w.restart();
    const len = w.mark(2);
    const body = Buffer.alloc(100, 0x5a);
    w.bytes(body);
    w.patchU16(len, body.length);
    const big = w.view();
    expect(big.length).toBe(102);
    expect(big.readUInt16BE(0)).toBe(100);
    expect(big.subarray(2).equals(body)).toBe(true);
    expect(first.toString()).toBe('0123456789');
    w.restart().u8(0x42);
    expect(w.view().toString('hex')).toBe('42');
    expect(big.readUInt16BE(0)).toBe(100);
    expect(first.toString()).toBe('0123456789');
  });

  it('restart(minFree) takes a fresh slab of at least minFree octets when too little is left', () => {
    const w = new WireWriter(16);
    w.restart().bytes(Buffer.alloc(10, 1));
    const a = w.view();
    w.restart(64);
    w.bytes(Buffer.alloc(64, 2));
    const b = w.view();
    expect(overlaps(a, b)).toBe(false);
    expect(b.length).toBe(64);
    expect(a.equals(Buffer.alloc(10, 1))).toBe(true);
    expect(Buffer.isBuffer(b)).toBe(true);
  });
});

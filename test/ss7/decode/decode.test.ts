import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePcapBuffer, decodePcapFile, decodeSignalling, readPcap } from '../../../src/ss7/decode/index.js';
import { encodeIsup } from '../../../src/ss7/isup/codec.js';
import { findField, itTshark, readPcap as tsharkRead } from '../../helpers/tshark.js';
import { sample } from '../isup/samples.js';
import { m3uaData } from '../isup/m3ua-frame.js';
import { rng } from '../isup/fuzz.js';

const VECTOR = '/work/shared/vectors/tcpdump-isup.pcap';

type Json = Record<string, any>;

/** Minimal classic pcap writer: link type, frames. */
function pcap(linkType: number, frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [head];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}

/** IPv4 header (checksum left 0) + SCTP common header + one DATA chunk (RFC 9260 §3.3.1), optionally over UDP 9899. */
function ipSctp(payload: Buffer, ppid: number, overUdp: boolean): Buffer {
  const pad = (4 - (payload.length % 4)) % 4;
  const chunk = Buffer.alloc(16 + payload.length + pad);
  chunk[0] = 0;
  chunk[1] = 3;
  chunk.writeUInt16BE(16 + payload.length, 2);
  chunk.writeUInt32BE(1, 4);
  chunk.writeUInt32BE(ppid, 12);
  payload.copy(chunk, 16);
  const sctp = Buffer.concat([Buffer.from('0b590b59' + '00000001' + '00000000', 'hex'), chunk]);
  const l4 = overUdp ? Buffer.concat([udpHeader(sctp.length), sctp]) : sctp;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length, 2);
  ip[8] = 64;
  ip[9] = overUdp ? 17 : 132;
  ip.set([127, 0, 0, 1], 12);
  ip.set([127, 0, 0, 2], 16);
  return Buffer.concat([ip, l4]);
}

function udpHeader(len: number): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(9899, 0);
  u.writeUInt16BE(9899, 2);
  u.writeUInt16BE(8 + len, 4);
  return u;
}

function sll(ipPacket: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(0x0800, 14);
  return Buffer.concat([h, ipPacket]);
}

describe('decodePcapFile on the tcpdump ISUP call', () => {
  const frames = decodePcapFile(VECTOR, { variant: 'itu' }) as Array<{ decoded: Json; frame: number }>;

  it('returns the six ISUP messages with label and digits', () => {
    expect(Array.isArray(frames)).toBe(true);
    expect(frames.map((f) => f.decoded.isup.type)).toEqual(['IAM', 'CFN', 'ACM', 'ANM', 'REL', 'RLC']);
    for (const f of frames) expect(f.decoded.isup.cic).toBe(213);
    expect(frames[0].decoded.mtp3).toMatchObject({ opc: 11522, dpc: 12163, si: 5, opcText: '5-160-2' });
    expect(frames[1].decoded.mtp3).toMatchObject({ opc: 12163, dpc: 11522 });
    expect(frames[0].decoded.isup.calledPartyNumber.digits).toBe('4891F');
    expect(frames[1].decoded.isup.cause.cause).toBe(99);
    expect(frames[4].decoded.isup.cause.cause).toBe(16);
    expect(frames[0].decoded.m3ua).toMatchObject({ version: 1, messageClass: 1, messageType: 1, type: 'DATA' });
    expect(JSON.parse(JSON.stringify(frames))).toEqual(frames);
  });
});

describe('decodeSignalling (softswitch decode HEX)', () => {
  it('ANSI M3UA DATA: label as network-cluster-member and the IAM by name', () => {
    const bytes = m3uaData(encodeIsup(sample('IAM', 'ansi'), 'ansi'), 'ansi');
    const out = decodeSignalling(bytes, { variant: 'ansi' }) as Json;
    expect(out.mtp3).toMatchObject({ opc: 0xf51000, opcText: '245-16-0', dpcText: '1-2-3', si: 5, sls: 3 });
    expect(out.isup.type).toBe('IAM');
    expect(out.isup.cic).toBe(12345);
    expect(out.isup.calledPartyNumber.digits).toBe('2125551234');
    const charge = out.isup.optional.find((p: Json) => p.name === 'chargeNumber');
    expect(charge.value.digits).toBe('9725550100');
    expect(out.isup.userServiceInformation.extra).toBe('a2');
  });

  it('bare ISUP when the bytes do not start like M3UA', () => {
    const out = decodeSignalling(Buffer.from('d5000c0200028090', 'hex'), { variant: 'itu' }) as Json;
    expect(out).toEqual({ isup: { type: 'REL', cic: 213, cause: { codingStandard: 0, location: 0, cause: 16 }, optional: [] } });
  });

  it('non-DATA M3UA messages and ISUP errors come back as plain values', () => {
    const beat = decodeSignalling(Buffer.from('0100030300000008', 'hex'), { variant: 'itu' }) as Json;
    expect(beat.m3ua).toMatchObject({ messageClass: 3, messageType: 3 });
    const bad = decodeSignalling(Buffer.from('d5007f', 'hex'), { variant: 'itu' }) as Json;
    expect(bad.isup).toMatchObject({ type: 'error', cause: 97 });
  });

  it('never throws on mutated input', () => {
    const next = rng(77);
    const base = readFileSync(VECTOR);
    const m3ua = m3uaData(encodeIsup(sample('IAM', 'itu'), 'itu'), 'itu');
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(m3ua);
      for (let k = 0; k < 3; k++) b[next() % b.length] = next() & 0xff;
      expect(() => decodeSignalling(b.subarray(0, next() % (b.length + 1)), { variant: i % 2 ? 'itu' : 'ansi' })).not.toThrow();
      const p = Buffer.from(base);
      for (let k = 0; k < 4; k++) p[next() % p.length] = next() & 0xff;
      expect(() => decodePcapBuffer(p.subarray(0, next() % (p.length + 1)), { variant: 'itu' })).not.toThrow();
    }
  });
});

describe('capture formats', () => {
  const isup = encodeIsup(sample('REL', 'ansi'), 'ansi');
  const m3ua = m3uaData(isup, 'ansi');

  for (const [name, linkType, frame] of [
    ['Linux cooked, SCTP over UDP 9899', 113, sll(ipSctp(m3ua, 3, true))],
    ['raw IPv4, SCTP', 101, ipSctp(m3ua, 3, false)],
    ['Ethernet, SCTP', 1, Buffer.concat([Buffer.from('0000000000020000000000010800', 'hex'), ipSctp(m3ua, 3, false)])],
  ] as const) {
    itTshark(`${name}: our reader and tshark see the same M3UA/ISUP`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'isup-pcap-'));
      try {
        const file = join(dir, 'x.pcap');
        writeFileSync(file, pcap(linkType, [frame]));
        const ours = decodePcapFile(file, { variant: 'ansi' }) as Array<{ decoded: Json; srcPort: number }>;
        expect(ours).toHaveLength(1);
        expect(ours[0].decoded.isup).toMatchObject({ type: 'REL', cic: 12345, cause: { cause: 17 } });
        const theirs = tsharkRead(file, ['-o', 'mtp3.standard:ANSI']);
        const l = theirs.packets[0]._source.layers;
        expect(Number(findField(l.isup, 'isup.cic'))).toBe(12345);
        expect(findField(l.isup, 'isup.cause_indicator')).toBe('17');
        expect(Number(findField(l.m3ua, 'mtp3.opc'))).toBe(0xf51000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('rejects files that are not classic pcap with an error value', () => {
    expect(readPcap(Buffer.from('0a0d0d0a00000000000000000000000000000000000000000000', 'hex'))).toHaveProperty('error');
    expect(readPcap(Buffer.alloc(3))).toHaveProperty('error');
  });
});

import { describe, expect, it } from 'vitest';
import { screenRawIpv4, screenSctpPacket } from '../../../src/ss7/sctp/packet-screen.js';
import { CHUNK, chunk, dataChunk, sctpPacket } from './sctp-wire.js';

const H = { srcPort: 2905, dstPort: 2905, vtag: 7 };
const initValue = (params: Buffer) => Buffer.concat([Buffer.from('0000abcd0000ffff001000100000000a', 'hex'), params]);

describe('SCTP packet screen (before the package decodes)', () => {
  it('passes well-formed packets: INIT with parameters, DATA, ABORT with a cause, unknown chunk types', () => {
    expect(screenSctpPacket(sctpPacket(H, [chunk(CHUNK.INIT, 0, initValue(Buffer.from('000c00060005000080000004', 'hex')))]))).toBeUndefined();
    expect(screenSctpPacket(sctpPacket(H, [dataChunk({ tsn: 1, userData: Buffer.from('0000', 'hex') })]))).toBeUndefined();
    expect(screenSctpPacket(sctpPacket(H, [chunk(CHUNK.ABORT, 0, Buffer.from('000c000875736572', 'hex'))]))).toBeUndefined();
    expect(screenSctpPacket(sctpPacket(H, [chunk(0xc1, 0, Buffer.from('00000000', 'hex'))]))).toBeUndefined();
  });

  it('refuses a parameter or error cause with Length below 4 (RFC 9260 §3.2.1, §3.3.10), in any chunk of the packet', () => {
    expect(screenSctpPacket(sctpPacket(H, [chunk(CHUNK.INIT, 0, initValue(Buffer.from('000c0000', 'hex')))]))).toMatch(/chunk type 1: parameter 0xc has Length 0/);
    expect(screenSctpPacket(sctpPacket(H, [chunk(CHUNK.HEARTBEAT, 0, Buffer.from('00010000', 'hex'))]))).toMatch(/chunk type 4/);
    expect(screenSctpPacket(sctpPacket(H, [chunk(CHUNK.SHUTDOWN, 0, Buffer.from('0000000180000000', 'hex'))]))).toMatch(/chunk type 7/);
    const abort = sctpPacket(H, [dataChunk({ tsn: 1, userData: Buffer.from('00', 'hex') }), chunk(CHUNK.ABORT, 0, Buffer.from('000c000875736572000c0000', 'hex'))]);
    expect(screenSctpPacket(abort)).toMatch(/chunk type 6: error cause 12 has Length 0/);
    const ipHeader = Buffer.alloc(20);
    ipHeader[0] = 0x45;
    ipHeader[9] = 132;
    const ip = Buffer.concat([ipHeader, abort]);
    expect(screenRawIpv4(ip)).toMatch(/chunk type 6/);
  });

  it('leaves short and truncated packets to the package, which drops them without a walk', () => {
    expect(screenSctpPacket(Buffer.alloc(8))).toBeUndefined();
    const cut = sctpPacket(H, [chunk(CHUNK.INIT, 0, initValue(Buffer.from('000c0000', 'hex')))]).subarray(0, 30);
    expect(screenSctpPacket(cut)).toBeUndefined();
  });
});

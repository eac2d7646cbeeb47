import { describe, expect, it } from 'vitest';
import { decode, encode, checkEncodable } from '../../src/mgcp/mgcp/codec.js';
import type { MgcpMessage } from '../../src/mgcp/mgcp/messages.js';
import { mulberry32 as rng } from '../../src/util/prng.js';


const SEEDS = [
  'CRCX 1204 aaln/1@rgw.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nL: p:10, a:PCMU\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n',
  '200 1204 OK\r\nI: FDE234C8\r\nZ: rtpbridge/1@mgw\r\n\r\nv=0\r\no=- 1 23 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16002 RTP/AVP 8\r\n',
  '200 2005 OK\n.\nDLCX 1244 card23/21@tgw-7.example.net MGCP 1.0\nC: A3C47F21456789F0\nI: FDE234C8\n',
  'RSIP 1200 *@rgw-2567.whatever.net MGCP 1.0\nRM: restart\nRD: 0\n',
  '801 5 /pkg comment here\nK:\n',
];

const ALPHABET = '\r\n .:@/*$0123456789ABCDEFMGCPKIZXL\t\x00\xff-,=';

function mutate(base: Buffer, r: () => number): Buffer {
  const bytes = [...base];
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (bytes.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0) bytes[at] = Math.floor(r() * 256);
    else if (op === 1) bytes.splice(at, 0, ALPHABET.charCodeAt(Math.floor(r() * ALPHABET.length)));
    else if (op === 2) bytes.splice(at, 1 + Math.floor(r() * 12));
    else if (op === 3) bytes.splice(at, 0, ...bytes.slice(0, Math.floor(r() * 40)));
    else bytes.length = Math.min(bytes.length, at);
  }
  return Buffer.from(bytes);
}

describe('MGCP codec fuzz (seeded, 20,000 cases)', () => {
  it('never throws, always yields bounded values, and re-encodes what it accepts', () => {
    const r = rng(0x3435);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const input =
        i % 10 === 9
          ? Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)))
          : mutate(Buffer.from(SEEDS[i % SEEDS.length], 'latin1'), r);
      let out;
      try {
        out = decode(input);
      } catch (e) {
        throw new Error(`case ${i} threw on ${input.toString('hex')}: ${String(e)}`);
      }
      expect(out.length).toBeGreaterThan(0);
      expect(out.length).toBeLessThanOrEqual(17);
      const ok = out.filter((m): m is MgcpMessage => m.type !== 'error');
      for (const m of out) {
        if (m.type === 'error') {
          refused++;
          expect(m.code).toBeGreaterThanOrEqual(500);
          expect(m.code).toBeLessThan(600);
        }
      }
      for (const m of ok) {
        accepted++;
        if (checkEncodable(m)) throw new Error(`case ${i}: ${input.toString("hex")} ${JSON.stringify(m)}`);
        expect(decode(encode(m))).toEqual([m]);
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});

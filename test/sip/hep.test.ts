/** HEP3 decoding (drachtio-server's SIP captures for the call trail): values, typed errors, and hostile bytes. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeHep, encodeHep } from '../../src/sip/hep.js';

const sample = {
  ipProtocol: 17,
  src: { address: '127.0.0.1', port: 5060 },
  dst: { address: '10.1.2.3', port: 40123 },
  timeMs: 1_796_035_342_152,
  payloadType: 1,
  captureId: 7,
  payload: Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nCall-ID: abc\r\n\r\n'),
};

describe('HEP3 decoder', () => {
  it('reads back what the encoder wrote', () => {
    const d = decodeHep(encodeHep(sample));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.packet).toMatchObject({ family: 'ipv4', ipProtocol: 17, src: sample.src, dst: sample.dst, timeMs: sample.timeMs, payloadType: 1, captureId: 7 });
    expect(d.packet.payload.toString()).toBe(sample.payload.toString());
  });

  it('names what is wrong: magic, total length, chunk overrun, chunk size, missing parts', () => {
    const good = encodeHep(sample);
    expect(decodeHep(Buffer.from('HEP2xx'))).toMatchObject({ ok: false, reason: expect.stringMatching(/magic/) });
    expect(decodeHep(good.subarray(0, good.length - 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/total length/) });
    const overrun = Buffer.from(good);
    overrun.writeUInt16BE(0xffff, 6 + 4); // first chunk's length
    expect(decodeHep(overrun)).toMatchObject({ ok: false, reason: expect.stringMatching(/overruns/) });
    const tiny = Buffer.from(good);
    tiny.writeUInt16BE(3, 6 + 4);
    expect(decodeHep(tiny)).toMatchObject({ ok: false, reason: expect.stringMatching(/overruns/) });
    const header = Buffer.from('HEP3\x00\x06', 'latin1');
    expect(decodeHep(header)).toMatchObject({ ok: false, reason: expect.stringMatching(/family/) });
  });

  it('never throws on random or mutated bytes (20,000 inputs)', () => {
    const good = encodeHep(sample);
    let values = 0;
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) input = randomBytes(i % 97);
      else {
        input = Buffer.from(good);
        for (let k = 0; k < 1 + (i % 4); k++) input[(i * 31 + k * 7) % input.length] ^= 1 + ((i >> 3) & 0xff);
      }
      const d = decodeHep(input);
      if (d.ok) values++;
      else expect(typeof d.reason).toBe('string');
    }
    expect(values).toBeGreaterThan(0);
  });
});

/**
 * m3ua-codec: DATA encode+decode round trips per second, against a baseline in the same run: a plain
 * Buffer.concat encode of the same message plus fixed-offset reads (no TLV walk, no validation).
 * m3ua-fuzz: 100,000 seeded hostile inputs through decodeM3ua; any thrown exception is an escape.
 * m3ua-lenient: the receive path's lenient decode of the same DATA against the strict decode.
 */
import { decodeM3ua, decodeM3uaLenient, encodeM3ua } from '../src/ss7/m3ua/codec.js';
import type { DataMessage } from '../src/ss7/m3ua/messages.js';
import { fuzzCase, prng } from '../test/ss7/m3ua/fuzz-cases.js';
import { opsPerSecond, type Benchmark } from './harness.js';

const msg: DataMessage = {
  type: 'DATA',
  routingContext: [1023],
  protocolData: { opc: 11522, dpc: 12163, si: 5, ni: 2, mp: 0, sls: 5, data: Buffer.alloc(60, 0x5a) },
};

function tlv(tag: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(tag, 0);
  h.writeUInt16BE(4 + value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function baselineEncode(m: DataMessage): Buffer {
  const rc = Buffer.alloc(4);
  rc.writeUInt32BE(m.routingContext![0]);
  const p = m.protocolData;
  const label = Buffer.alloc(12);
  label.writeUInt32BE(p.opc, 0);
  label.writeUInt32BE(p.dpc, 4);
  label[8] = p.si;
  label[9] = p.ni;
  label[10] = p.mp;
  label[11] = p.sls;
  const body = Buffer.concat([tlv(0x0006, rc), tlv(0x0210, Buffer.concat([label, p.data]))]);
  const hdr = Buffer.from([1, 0, 1, 1, 0, 0, 0, 0]);
  hdr.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([hdr, body]);
}

function baselineDecode(b: Buffer): number {
  const pdLen = b.readUInt16BE(18) - 16;
  return b.readUInt32BE(20) + b.readUInt32BE(24) + b[28] + b.subarray(32, 32 + pdLen).length;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'm3ua-codec',
    async run() {
      let sink = 0;
      const ours = opsPerSecond(() => {
        const d = decodeM3ua(encodeM3ua(msg)) as DataMessage;
        sink += d.protocolData.sls;
      });
      const base = opsPerSecond(() => {
        sink += baselineDecode(baselineEncode(msg));
      });
      if (sink < 0) console.log(sink);
      return [
        {
          name: 'm3ua-codec DATA encode+decode',
          value: ours,
          unit: 'round trips/s',
          baseline: base,
          ratio: ours / base,
          note: 'baseline: Buffer.concat encode + fixed-offset decode of the same DATA (60-byte MSU), no validation',
        },
      ];
    },
  },
  {
    name: 'm3ua-fuzz',
    async run() {
      const rand = prng(0xf022);
      const n = 100_000;
      let escapes = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        try {
          decodeM3ua(fuzzCase(rand));
        } catch {
          escapes++;
        }
      }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      return [
        { name: 'm3ua-fuzz decode', value: (n / ms) * 1000, unit: 'cases/s', target: '0 escapes', pass: escapes === 0, note: `${n} cases, ${escapes} escapes` },
      ];
    },
  },
  {
    name: 'm3ua-lenient',
    async run() {
      const wire = encodeM3ua(msg);
      let sink = 0;
      const sinkTags: number[] = [];
      const lenient = opsPerSecond(() => {
        sinkTags.length = 0;
        sink += (decodeM3uaLenient(wire, sinkTags) as DataMessage).protocolData.sls;
      });
      const strict = opsPerSecond(() => {
        sink += (decodeM3ua(wire) as DataMessage).protocolData.sls;
      });
      if (sink < 0) console.log(sink);
      return [
        {
          name: 'm3ua-lenient DATA decode',
          value: lenient,
          unit: 'decodes/s',
          baseline: strict,
          ratio: lenient / strict,
          note: 'baseline: strict decodeM3ua of the same DATA; the receive path of M3uaAsp/M3uaSg now decodes leniently',
        },
      ];
    },
  },
];

/**
 * The lab tandem's continuity test (Q.724 §7 / T1.113.4 §2.1.8 in spirit): the tandem's side of
 * a checked circuit sends the check tone (2010 Hz, G.711 μ-law in RTP) to the switch's gateway
 * connection that loops the DS0, and the check passes when the tone comes back. Here the "DS0"
 * is the osmo-mgw RTP connection the switch put in loopback mode.
 */
import { createSocket } from 'node:dgram';
import { parse } from 'sdp-transform';

const SAMPLE_RATE = 8000;
const SAMPLES_PER_PACKET = 160; // 20 ms
const TONE_HZ = 2010;

/** G.711 μ-law encoding of one 16-bit linear sample (ITU-T G.711 segment/mantissa layout). */
export function muLaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(sample), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  s = ~(sign | (exponent << 4) | mantissa);
  return s & 0xff;
}

/** One 20 ms RTP packet of the check tone (PT 0, PCMU). */
function tonePacket(seq: number, ssrc: number): Buffer {
  const pkt = Buffer.alloc(12 + SAMPLES_PER_PACKET);
  pkt[0] = 0x80;
  pkt[1] = 0;
  pkt.writeUInt16BE(seq & 0xffff, 2);
  pkt.writeUInt32BE((seq * SAMPLES_PER_PACKET) >>> 0, 4);
  pkt.writeUInt32BE(ssrc >>> 0, 8);
  for (let i = 0; i < SAMPLES_PER_PACKET; i++) {
    const t = (seq * SAMPLES_PER_PACKET + i) / SAMPLE_RATE;
    pkt[12 + i] = muLaw(Math.round(8000 * Math.sin(2 * Math.PI * TONE_HZ * t)));
  }
  return pkt;
}

export interface ContinuityProbeResult {
  passed: boolean;
  sent: number;
  returned: number;
}

/**
 * Sends `packets` tone packets to the media address of `sdp` and counts those that come back
 * unchanged (same SSRC and payload); passes when at least half return within `waitMs`.
 */
export async function probeLoop(sdp: string, opts: { packets?: number; waitMs?: number; bindAddress?: string } = {}): Promise<ContinuityProbeResult> {
  const packets = opts.packets ?? 10;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(sdp);
  } catch {
    return { passed: false, sent: 0, returned: 0 };
  }
  const media = parsed.media.find((m) => m.type === 'audio');
  const address = media?.connection?.ip ?? parsed.connection?.ip;
  if (!media || !address || !media.port) return { passed: false, sent: 0, returned: 0 };
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, opts.bindAddress ?? '127.0.0.1', () => resolve());
  });
  const ssrc = (Math.random() * 0xffffffff) >>> 0;
  const sent = new Map<number, Buffer>();
  let returned = 0;
  sock.on('message', (b) => {
    if (b.length < 12 || b.readUInt32BE(8) !== ssrc) return;
    const original = sent.get(b.readUInt16BE(2));
    if (original && original.subarray(12).equals(b.subarray(12))) {
      sent.delete(b.readUInt16BE(2));
      returned++;
    }
  });
  try {
    for (let seq = 1; seq <= packets; seq++) {
      const pkt = tonePacket(seq, ssrc);
      sent.set(seq, pkt);
      sock.send(pkt, media.port, address);
      await new Promise((r) => setTimeout(r, 20));
    }
    const end = Date.now() + (opts.waitMs ?? 300);
    while (returned < packets && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return { passed: returned * 2 >= packets, sent: packets, returned };
  } finally {
    sock.close();
  }
}

/**
 * RTP for media tests (RFC 3550 §5.1 fixed header): a UDP endpoint that sends paced streams of
 * real RTP packets (one SSRC, sequence numbers and timestamps advancing) and records what it
 * receives, and the checks a test makes on a received stream.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RtpPacket {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Buffer;
}

export interface Received extends RtpPacket {
  readonly from: { address: string; port: number };
  readonly at: number;
}

/** PCMU (payload type 0, RFC 3551 §6): 8000 samples/s, one byte each, so 20 ms is 160 bytes. */
export const PCMU = { payloadType: 0, clockRate: 8000, bytesPer20ms: 160 } as const;

export function encodeRtp(p: RtpPacket): Buffer {
  const b = Buffer.alloc(12 + p.payload.length);
  b[0] = 0x80; // version 2, no padding, no extension, no CSRC
  b[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  b.writeUInt16BE(p.sequence & 0xffff, 2);
  b.writeUInt32BE(p.timestamp >>> 0, 4);
  b.writeUInt32BE(p.ssrc >>> 0, 8);
  p.payload.copy(b, 12);
  return b;
}

/** The packet, or undefined for anything that is not RTP version 2 with a whole header (e.g. osmo-mgw's keep-alive dummy). */
export function decodeRtp(b: Buffer): RtpPacket | undefined {
  if (b.length < 12 || b[0] >> 6 !== 2) return undefined;
  const csrcs = b[0] & 0x0f;
  let offset = 12 + 4 * csrcs;
  if (b[0] & 0x10) {
    if (b.length < offset + 4) return undefined;
    offset += 4 + 4 * b.readUInt16BE(offset + 2);
  }
  let end = b.length;
  if (b[0] & 0x20) end -= b[b.length - 1];
  if (offset > end) return undefined;
  return {
    payloadType: b[1] & 0x7f,
    marker: (b[1] & 0x80) !== 0,
    sequence: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(offset, end),
  };
}

/** One 20 ms PCMU frame whose bytes say which stream and packet they belong to (so payloads can be matched). */
export function pcmuFrame(tag: number, index: number): Buffer {
  const f = Buffer.alloc(PCMU.bytesPer20ms, 0xff);
  f.writeUInt32BE(tag >>> 0, 0);
  f.writeUInt32BE(index >>> 0, 4);
  return f;
}

export interface StreamOptions {
  readonly count: number;
  /** Time between packets; 20 for real-time pacing. */
  readonly intervalMs?: number;
}

export class RtpEndpoint {
  readonly received: Received[] = [];
  /** Datagrams that were not RTP (keep-alives, junk). */
  nonRtp = 0;
  readonly ssrc: number;
  private sequence: number;
  private timestamp: number;
  private sentCount = 0;

  private constructor(
    readonly socket: Socket,
    /** Distinguishes this endpoint's payloads. */
    readonly tag: number,
  ) {
    this.ssrc = (Math.random() * 0xffffffff) >>> 0;
    this.sequence = Math.floor(Math.random() * 0xffff);
    this.timestamp = (Math.random() * 0xffffffff) >>> 0;
    socket.on('message', (m, r) => {
      const p = decodeRtp(m);
      if (!p) this.nonRtp++;
      else this.received.push({ ...p, payload: Buffer.from(p.payload), from: { address: r.address, port: r.port }, at: Date.now() });
    });
  }

  static async open(tag: number, address = '127.0.0.1'): Promise<RtpEndpoint> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, address, () => resolve());
    });
    return new RtpEndpoint(s, tag);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get address(): string {
    return this.socket.address().address;
  }

  get sent(): number {
    return this.sentCount;
  }

  /** Sends `count` PCMU packets to `to` (symmetric RTP: from this endpoint's own port), paced. */
  async stream(to: { address: string; port: number }, opts: StreamOptions): Promise<void> {
    const interval = opts.intervalMs ?? 20;
    const started = Date.now();
    for (let i = 0; i < opts.count; i++) {
      const index = this.sentCount++;
      const packet = encodeRtp({
        payloadType: PCMU.payloadType,
        marker: index === 0,
        sequence: this.sequence,
        timestamp: this.timestamp,
        ssrc: this.ssrc,
        payload: pcmuFrame(this.tag, index),
      });
      this.sequence = (this.sequence + 1) & 0xffff;
      this.timestamp = (this.timestamp + PCMU.bytesPer20ms) >>> 0;
      this.socket.send(packet, to.port, to.address);
      // Pace against the start time so timer drift does not accumulate.
      const wait = started + (i + 1) * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Received packets whose payload came from the endpoint with `tag`. */
  from(tag: number): Received[] {
    return this.received.filter((p) => p.payload.length >= 8 && p.payload.readUInt32BE(0) === tag >>> 0);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

export interface Continuity {
  readonly packets: number;
  readonly ssrcs: number[];
  readonly payloadTypes: number[];
  /** Steps between consecutive sequence numbers other than +1 (mod 2^16). */
  readonly sequenceBreaks: number;
  /** Steps between consecutive timestamps other than the packet duration. */
  readonly timestampBreaks: number;
  /** Packets whose frame index is not the previous one's plus one (loss or reordering). */
  readonly indexGaps: number;
  /** Frame indexes carried by the payloads, in arrival order. */
  readonly indexes: number[];
}

/** How a received stream hangs together: what a test asserts instead of header equality, since a media gateway may rewrite SSRC and sequence numbers. */
export function continuity(packets: readonly RtpPacket[], samplesPerPacket: number = PCMU.bytesPer20ms): Continuity {
  let sequenceBreaks = 0;
  let timestampBreaks = 0;
  let indexGaps = 0;
  const indexes = packets.map((p) => p.payload.readUInt32BE(4));
  for (let i = 1; i < packets.length; i++) {
    if (((packets[i - 1].sequence + 1) & 0xffff) !== packets[i].sequence) sequenceBreaks++;
    if (((packets[i - 1].timestamp + samplesPerPacket) >>> 0) !== packets[i].timestamp) timestampBreaks++;
    if (indexes[i] !== indexes[i - 1] + 1) indexGaps++;
  }
  return {
    packets: packets.length,
    ssrcs: [...new Set(packets.map((p) => p.ssrc))],
    payloadTypes: [...new Set(packets.map((p) => p.payloadType))],
    sequenceBreaks,
    timestampBreaks,
    indexGaps,
    indexes,
  };
}

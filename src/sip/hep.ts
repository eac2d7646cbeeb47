/**
 * HEP version 3 (the Homer "Extensible Encapsulation Protocol", as drachtio-server's sofia-sip
 * sends SIP captures with `--homer` / `<capture-server>`): a pure decoder over one datagram.
 * Layout: "HEP3", total length (uint16), then chunks of vendor id (uint16), type (uint16),
 * length incl. its 6-byte header (uint16) and value. Vendor 0 types used here: 1 address family,
 * 2 IP protocol, 3/4 IPv4 source/destination, 5/6 IPv6 source/destination, 7/8 ports,
 * 9/10 time (s, µs), 11 payload protocol (1 = SIP), 12 capture agent id, 15 payload.
 * Input is hostile: any bytes give a value or a typed error, never an exception.
 */

export interface HepPacket {
  readonly family: 'ipv4' | 'ipv6';
  readonly ipProtocol: number;
  readonly src: { readonly address: string; readonly port: number };
  readonly dst: { readonly address: string; readonly port: number };
  /** Milliseconds since the epoch, when the agent captured it. */
  readonly timeMs: number;
  /** 1 = SIP (HEP's protocol type). */
  readonly payloadType: number;
  readonly captureId: number;
  readonly payload: Buffer;
}

export type HepDecodeResult = { ok: true; packet: HepPacket } | { ok: false; reason: string };

const MAGIC = 0x48455033; // "HEP3"
export const HEP_PAYLOAD_SIP = 1;

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function ipv6(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(at + i).toString(16));
  return groups.join(':');
}

export function decodeHep(b: Buffer): HepDecodeResult {
  if (b.length < 6) return { ok: false, reason: 'shorter than the HEP3 header' };
  if (b.readUInt32BE(0) !== MAGIC) return { ok: false, reason: 'not HEP3 (no "HEP3" magic)' };
  const total = b.readUInt16BE(4);
  if (total < 6 || total > b.length) return { ok: false, reason: `total length ${total} does not fit the ${b.length}-byte datagram` };
  let family: 'ipv4' | 'ipv6' | undefined;
  let ipProtocol = 0;
  let srcAddr: string | undefined;
  let dstAddr: string | undefined;
  let srcPort: number | undefined;
  let dstPort: number | undefined;
  let sec = 0;
  let usec = 0;
  let payloadType = 0;
  let captureId = 0;
  let payload: Buffer | undefined;
  for (let at = 6; at < total; ) {
    if (at + 6 > total) return { ok: false, reason: `truncated chunk header at byte ${at}` };
    const vendor = b.readUInt16BE(at);
    const type = b.readUInt16BE(at + 2);
    const len = b.readUInt16BE(at + 4);
    if (len < 6 || at + len > total) return { ok: false, reason: `chunk ${vendor}/${type} length ${len} overruns the packet at byte ${at}` };
    const v = at + 6;
    const n = len - 6;
    if (vendor === 0) {
      const need = (k: number): string | undefined => (n === k ? undefined : `chunk type ${type} has ${n} bytes, ${k} expected`);
      let bad: string | undefined;
      switch (type) {
        case 1:
          if (!(bad = need(1))) family = b[v] === 2 ? 'ipv4' : b[v] === 10 ? 'ipv6' : undefined;
          break;
        case 2:
          if (!(bad = need(1))) ipProtocol = b[v];
          break;
        case 3:
          if (!(bad = need(4))) srcAddr = ipv4(b, v);
          break;
        case 4:
          if (!(bad = need(4))) dstAddr = ipv4(b, v);
          break;
        case 5:
          if (!(bad = need(16))) srcAddr = ipv6(b, v);
          break;
        case 6:
          if (!(bad = need(16))) dstAddr = ipv6(b, v);
          break;
        case 7:
          if (!(bad = need(2))) srcPort = b.readUInt16BE(v);
          break;
        case 8:
          if (!(bad = need(2))) dstPort = b.readUInt16BE(v);
          break;
        case 9:
          if (!(bad = need(4))) sec = b.readUInt32BE(v);
          break;
        case 10:
          if (!(bad = need(4))) usec = b.readUInt32BE(v);
          break;
        case 11:
          if (!(bad = need(1))) payloadType = b[v];
          break;
        case 12:
          if (!(bad = need(4))) captureId = b.readUInt32BE(v);
          break;
        case 15:
          payload = b.subarray(v, v + n);
          break;
        default:
          // keep-alive, auth key, compressed payload, correlation id, vendor extensions: not needed.
          break;
      }
      if (bad) return { ok: false, reason: bad };
    }
    at += len;
  }
  if (!family) return { ok: false, reason: 'no (known) address family chunk' };
  if (srcAddr === undefined || dstAddr === undefined || srcPort === undefined || dstPort === undefined) return { ok: false, reason: 'addresses or ports missing' };
  if (!payload) return { ok: false, reason: 'no payload chunk' };
  return {
    ok: true,
    packet: {
      family,
      ipProtocol,
      src: { address: srcAddr, port: srcPort },
      dst: { address: dstAddr, port: dstPort },
      timeMs: sec * 1000 + Math.floor(usec / 1000),
      payloadType,
      captureId,
      payload,
    },
  };
}

/** One HEP3 datagram (IPv4, SIP payload): for tests and for relaying captures. */
export function encodeHep(p: Omit<HepPacket, 'family'> & { family?: 'ipv4' }): Buffer {
  const chunks: Buffer[] = [];
  const chunk = (type: number, value: Buffer): void => {
    const h = Buffer.alloc(6);
    h.writeUInt16BE(0, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt16BE(6 + value.length, 4);
    chunks.push(h, value);
  };
  const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
  const u16 = (n: number): Buffer => {
    const x = Buffer.alloc(2);
    x.writeUInt16BE(n);
    return x;
  };
  const u32 = (n: number): Buffer => {
    const x = Buffer.alloc(4);
    x.writeUInt32BE(n >>> 0);
    return x;
  };
  const v4 = (a: string): Buffer => Buffer.from(a.split('.').map((x) => Number(x) & 0xff));
  chunk(1, u8(2));
  chunk(2, u8(p.ipProtocol));
  chunk(3, v4(p.src.address));
  chunk(4, v4(p.dst.address));
  chunk(7, u16(p.src.port));
  chunk(8, u16(p.dst.port));
  chunk(9, u32(Math.floor(p.timeMs / 1000)));
  chunk(10, u32((p.timeMs % 1000) * 1000));
  chunk(11, u8(p.payloadType));
  chunk(12, u32(p.captureId));
  chunk(15, p.payload);
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(6);
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([head, body]);
}

/**
 * Classic libpcap reader down to SCTP DATA chunk payloads: Ethernet (incl. 802.1Q), Linux cooked
 * (SLL, SLL2), raw IPv4 and BSD loopback; IPv4; SCTP directly or over UDP (RFC 6951).
 * Pure function over a Buffer; malformed frames are skipped, never thrown on.
 */

export interface SctpDataChunk {
  /** 1-based frame number in the capture. */
  frame: number;
  /** Seconds since the epoch, microsecond (or nanosecond) precision. */
  time: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  stream: number;
  ppid: number;
  /** True when the chunk is a whole user message (B and E flags, RFC 9260 §3.3.1). */
  complete: boolean;
  data: Buffer;
}

export interface PcapError {
  error: string;
}

const LINK_NULL = 0;
const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_RAW_ALT = [12, 14];
const LINK_SLL = 113;
const LINK_SLL2 = 276;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
/** RFC 6951 §5.1 registered SCTP-over-UDP port. */
export const SCTP_UDP_PORT = 9899;

/** `udpPorts`: UDP ports carrying SCTP (RFC 6951); the registered 9899 unless told otherwise. */
export function readPcap(buf: Buffer, udpPorts: readonly number[] = [SCTP_UDP_PORT]): SctpDataChunk[] | PcapError {
  if (buf.length < 24) return { error: 'file shorter than a pcap global header' };
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else return { error: 'not a classic pcap file (pcapng is not supported)' };
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nano = true;
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const linkType = u32(20) & 0xffff;
  const out: SctpDataChunk[] = [];
  let pos = 24;
  let frame = 0;
  while (pos + 16 <= buf.length) {
    const sec = u32(pos);
    const frac = u32(pos + 4);
    const incl = u32(pos + 8);
    pos += 16;
    if (incl > buf.length - pos) break;
    frame++;
    const time = sec + frac / (nano ? 1e9 : 1e6);
    const pkt = buf.subarray(pos, pos + incl);
    pos += incl;
    const ipAt = ipOffset(pkt, linkType);
    if (ipAt >= 0) readIpv4(pkt, ipAt, frame, time, out, udpPorts);
  }
  return out;
}

function ipOffset(pkt: Buffer, linkType: number): number {
  if (linkType === LINK_ETHERNET) {
    let at = 12;
    let type = pkt.length >= 14 ? pkt.readUInt16BE(12) : 0;
    while (type === 0x8100 && pkt.length >= at + 6) {
      at += 4;
      type = pkt.readUInt16BE(at);
    }
    return type === 0x0800 ? at + 2 : -1;
  }
  if (linkType === LINK_SLL) return pkt.length >= 16 && pkt.readUInt16BE(14) === 0x0800 ? 16 : -1;
  if (linkType === LINK_SLL2) return pkt.length >= 20 && pkt.readUInt16BE(0) === 0x0800 ? 20 : -1;
  if (linkType === LINK_RAW || LINK_RAW_ALT.includes(linkType)) return 0;
  if (linkType === LINK_NULL) return pkt.length >= 4 ? 4 : -1;
  return -1;
}

function ipText(pkt: Buffer, at: number): string {
  return `${pkt[at]}.${pkt[at + 1]}.${pkt[at + 2]}.${pkt[at + 3]}`;
}

function readIpv4(pkt: Buffer, at: number, frame: number, time: number, out: SctpDataChunk[], udpPorts: readonly number[]): void {
  if (pkt.length < at + 20 || pkt[at] >> 4 !== 4) return;
  const ihl = (pkt[at] & 0xf) * 4;
  const total = Math.min(pkt.readUInt16BE(at + 2), pkt.length - at);
  if ((pkt.readUInt16BE(at + 6) & 0x3fff) !== 0) return;
  const proto = pkt[at + 9];
  const src = ipText(pkt, at + 12);
  const dst = ipText(pkt, at + 16);
  let l4 = at + ihl;
  const end = at + total;
  if (l4 >= end) return;
  if (proto === IPPROTO_UDP) {
    if (end - l4 < 8) return;
    const sp = pkt.readUInt16BE(l4);
    const dp = pkt.readUInt16BE(l4 + 2);
    if (!udpPorts.includes(sp) && !udpPorts.includes(dp)) return;
    l4 += 8;
  } else if (proto !== IPPROTO_SCTP) return;
  readSctp(pkt, l4, end, { frame, time, src, dst }, out);
}

function readSctp(
  pkt: Buffer,
  at: number,
  end: number,
  meta: { frame: number; time: number; src: string; dst: string },
  out: SctpDataChunk[],
): void {
  if (end - at < 12) return;
  const srcPort = pkt.readUInt16BE(at);
  const dstPort = pkt.readUInt16BE(at + 2);
  let c = at + 12;
  while (c + 4 <= end) {
    const type = pkt[c];
    const flags = pkt[c + 1];
    const len = pkt.readUInt16BE(c + 2);
    if (len < 4 || c + len > end) return;
    if (type === 0 && len >= 16) {
      out.push({
        ...meta,
        srcPort,
        dstPort,
        stream: pkt.readUInt16BE(c + 8),
        ppid: pkt.readUInt32BE(c + 12),
        complete: (flags & 3) === 3,
        data: Buffer.from(pkt.subarray(c + 16, c + len)),
      });
    }
    c += (len + 3) & ~3;
  }
}

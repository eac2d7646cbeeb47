/**
 * A call's trail as a classic pcap (LINKTYPE_RAW, IPv4): each message's own bytes in the packet
 * that carried it — SIP and MGCP in UDP, ISUP in an M3UA DATA message (RFC 4666 §3.3.1, encoded
 * here from the message's routing label) in an SCTP DATA chunk with PPID 3 (RFC 9260 §3.3.1) and a
 * CRC-32C checksum. IP, UDP and SCTP headers are synthesized: the SCTP ports are those of the
 * association's UDP encapsulation (RFC 6951), TSNs count per direction, there is no INIT.
 * Pure function; addresses that are not IPv4 literals are written as 0.0.0.0.
 */
import { isIPv4 } from 'node:net';
import { encodeM3ua } from '../ss7/m3ua/codec.js';
import { crc32c } from '../util/crc32c.js';
import type { TapAddress, TappedMessage } from '../util/message-tap.js';
import type { TrailEvent } from './call-trail.js';

const LINKTYPE_RAW = 101;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const PPID_M3UA = 3;
/** RFC 4666 §1.4.7: M3UA's registered port, used when a side's port is unknown (0). */
const M3UA_PORT = 2905;

export interface PacketPath {
  local: TapAddress;
  remote: TapAddress;
}

/** Where a message without its own addresses went (ISUP: the SG association it used). */
export type PathResolver = (msg: TappedMessage) => PacketPath | undefined;

function ipv4(address: string): Buffer {
  const b = Buffer.alloc(4);
  if (isIPv4(address)) address.split('.').forEach((o, i) => (b[i] = Number(o)));
  return b;
}

function ipChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipPacket(proto: number, src: string, dst: string, id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(0x4000, 6); // DF
  h[8] = 64;
  h[9] = proto;
  ipv4(src).copy(h, 12);
  ipv4(dst).copy(h, 16);
  h.writeUInt16BE(ipChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

function udp(srcPort: number, dstPort: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(srcPort, 0);
  h.writeUInt16BE(dstPort, 2);
  h.writeUInt16BE(8 + data.length, 4);
  // Checksum 0: none (allowed over IPv4, RFC 768).
  return Buffer.concat([h, data]);
}

function sctpData(srcPort: number, dstPort: number, vtag: number, tsn: number, streamSeq: number, data: Buffer): Buffer {
  const pad = (4 - (data.length % 4)) % 4;
  const packet = Buffer.alloc(12 + 16 + data.length + pad);
  packet.writeUInt16BE(srcPort, 0);
  packet.writeUInt16BE(dstPort, 2);
  packet.writeUInt32BE(vtag, 4);
  const chunk = 12;
  packet[chunk] = 0; // DATA
  packet[chunk + 1] = 0x03; // B and E: a whole user message
  packet.writeUInt16BE(16 + data.length, chunk + 2);
  packet.writeUInt32BE(tsn >>> 0, chunk + 4);
  packet.writeUInt16BE(1, chunk + 8); // stream 1: M3UA DATA stays off stream 0 (RFC 4666 §1.4.7)
  packet.writeUInt16BE(streamSeq & 0xffff, chunk + 10);
  packet.writeUInt32BE(PPID_M3UA, chunk + 12);
  data.copy(packet, chunk + 16);
  // RFC 9260 Appendix A: the CRC-32C goes in with its least significant byte first.
  packet.writeUInt32LE(crc32c(packet), 8);
  return packet;
}

function m3uaData(msg: TappedMessage): Buffer | undefined {
  if (!msg.mtp) return undefined;
  return encodeM3ua({ type: 'DATA', protocolData: { ...msg.mtp, data: msg.bytes } });
}

const port = (a: TapAddress, fallback: number): number => (a.port > 0 && a.port < 65536 ? a.port : fallback);

/** The pcap file of these events, in their order; messages with no known path are left out. */
export function trailToPcap(events: readonly TrailEvent[], resolve: PathResolver = () => undefined): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(LINKTYPE_RAW, 20);
  const out: Buffer[] = [header];
  const tsn = new Map<string, number>();
  let id = 1;
  for (const ev of events) {
    const m = ev.msg;
    const path = m.local && m.remote ? { local: m.local, remote: m.remote } : resolve(m);
    if (!path) continue;
    const [from, to] = m.dir === 'out' ? [path.local, path.remote] : [path.remote, path.local];
    let packet: Buffer;
    if (m.protocol === 'isup') {
      const data = m3uaData(m);
      if (!data) continue;
      const sp = port(from, M3UA_PORT);
      const dp = port(to, M3UA_PORT);
      const dirKey = `${from.address}:${sp}>${to.address}:${dp}`;
      const n = tsn.get(dirKey) ?? 0;
      tsn.set(dirKey, n + 1);
      packet = ipPacket(IPPROTO_SCTP, from.address, to.address, id++, sctpData(sp, dp, 0x5ca1ab1e, 1000 + n, n, data));
    } else {
      packet = ipPacket(IPPROTO_UDP, from.address, to.address, id++, udp(port(from, 0), port(to, 0), m.bytes));
    }
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(ev.t / 1000), 0);
    rec.writeUInt32LE(Math.round((ev.t % 1000) * 1000), 4);
    rec.writeUInt32LE(packet.length, 8);
    rec.writeUInt32LE(packet.length, 12);
    out.push(rec, packet);
  }
  return Buffer.concat(out);
}

import { readFileSync } from 'node:fs';
import { readPcap, type SctpDataChunk } from './pcap.js';
import { decodeSignalling, type DecodeOptions } from './signalling.js';
import { PPID_M3UA } from '../sctp/association.js';

/** RFC 4666 §1.4.7: M3UA's registered SCTP port. */
const M3UA_PORT = 2905;

/** Where a chunk was in the capture, and what it decodes to. */
export interface DecodedFrame extends Pick<SctpDataChunk, 'frame' | 'time' | 'src' | 'dst' | 'srcPort' | 'dstPort' | 'stream'> {
  decoded: object;
}

function isM3ua(c: SctpDataChunk): boolean {
  return c.ppid === PPID_M3UA || c.srcPort === M3UA_PORT || c.dstPort === M3UA_PORT;
}

/** Decodes every complete M3UA DATA chunk in a capture held in memory. */
export function decodePcapBuffer(buf: Buffer, opts: DecodeOptions): DecodedFrame[] | { error: string } {
  const chunks = readPcap(buf, opts.sctpUdpPorts);
  if (!Array.isArray(chunks)) return chunks;
  const out: DecodedFrame[] = [];
  for (const c of chunks) {
    if (!c.complete || !isM3ua(c)) continue;
    const { frame, time, src, dst, srcPort, dstPort, stream } = c;
    out.push({ frame, time, src, dst, srcPort, dstPort, stream, decoded: decodeSignalling(c.data, opts) });
  }
  return out;
}

/** Reads a classic pcap file and decodes its M3UA/ISUP traffic (`softswitch decode --pcap FILE`). */
export function decodePcapFile(path: string, opts: DecodeOptions): DecodedFrame[] | { error: string } {
  return decodePcapBuffer(readFileSync(path), opts);
}

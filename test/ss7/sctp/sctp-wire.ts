/**
 * SCTP packets built and read byte by byte for tests (RFC 9260 §3), independent of the package's
 * own codec: common header, chunks padded to 4 bytes, CRC32c (polycrc, as the package stores it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { crc32c } = createRequire(import.meta.url)('polycrc') as { crc32c: (b: Buffer) => number };

export const CHUNK = { DATA: 0, INIT: 1, INIT_ACK: 2, SACK: 3, HEARTBEAT: 4, ABORT: 6, SHUTDOWN: 7, SHUTDOWN_ACK: 8, COOKIE_ECHO: 10, COOKIE_ACK: 11 } as const;
/** RFC 9260 §3.3.10 cause codes used here. */
export const CAUSE = { INVALID_MANDATORY_PARAMETER: 7, NO_USER_DATA: 9, USER_INITIATED_ABORT: 12 } as const;

export interface WireChunk {
  type: number;
  flags: number;
  /** The Length field (header included, padding excluded). */
  length: number;
  /** Bytes after the 4-byte chunk header, up to Length. */
  value: Buffer;
}

export interface WirePacket {
  srcPort: number;
  dstPort: number;
  vtag: number;
  crcOk: boolean;
  chunks: WireChunk[];
}

export interface WireCause {
  code: number;
  length: number;
  info: Buffer;
}

/** One chunk, Length = 4 + value, zero-padded to a multiple of 4. */
export function chunk(type: number, flags: number, value: Buffer = Buffer.alloc(0)): Buffer {
  const length = 4 + value.length;
  const b = Buffer.alloc((length + 3) & ~3);
  b.writeUInt8(type, 0);
  b.writeUInt8(flags, 1);
  b.writeUInt16BE(length, 2);
  value.copy(b, 4);
  return b;
}

/** A DATA chunk (RFC 9260 §3.3.1); with no user data its Length is 16. Flags default B|E. */
export function dataChunk(o: { tsn: number; stream?: number; ssn?: number; ppid?: number; flags?: number; userData?: Buffer }): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(o.tsn >>> 0, 0);
  head.writeUInt16BE(o.stream ?? 0, 4);
  head.writeUInt16BE(o.ssn ?? 0, 6);
  head.writeUInt32BE(o.ppid ?? 3, 8);
  return chunk(CHUNK.DATA, o.flags ?? 0x03, Buffer.concat([head, o.userData ?? Buffer.alloc(0)]));
}

/** Common header + chunks with a correct CRC32c. */
export function sctpPacket(h: { srcPort: number; dstPort: number; vtag: number }, chunks: Buffer[]): Buffer {
  const b = Buffer.concat([Buffer.alloc(12), ...chunks]);
  b.writeUInt16BE(h.srcPort, 0);
  b.writeUInt16BE(h.dstPort, 2);
  b.writeUInt32BE(h.vtag >>> 0, 4);
  b.writeUInt32LE(crc32c(b), 8);
  return b;
}

export function decodePacket(b: Buffer): WirePacket | undefined {
  if (b.length < 12) return undefined;
  const copy = Buffer.from(b);
  const stored = copy.readUInt32LE(8);
  copy.writeUInt32LE(0, 8);
  const chunks: WireChunk[] = [];
  for (let off = 12; off + 4 <= b.length; ) {
    const length = b.readUInt16BE(off + 2);
    if (length < 4 || off + length > b.length) return undefined;
    chunks.push({ type: b[off], flags: b[off + 1], length, value: Buffer.from(b.subarray(off + 4, off + length)) });
    off += (length + 3) & ~3;
  }
  return { srcPort: b.readUInt16BE(0), dstPort: b.readUInt16BE(2), vtag: b.readUInt32BE(4), crcOk: crc32c(copy) === stored, chunks };
}

/** Error causes of an ABORT or ERROR chunk value (RFC 9260 §3.3.10). */
export function errorCauses(value: Buffer): WireCause[] {
  const out: WireCause[] = [];
  for (let off = 0; off + 4 <= value.length; ) {
    const length = value.readUInt16BE(off + 2);
    if (length < 4) break;
    out.push({ code: value.readUInt16BE(off), length, info: Buffer.from(value.subarray(off + 4, off + length)) });
    off += (length + 3) & ~3;
  }
  return out;
}

export const hasTshark = spawnSync('tshark', ['-v']).status === 0 && spawnSync('text2pcap', ['-v']).status === 0;

/**
 * tshark's reading of one SCTP packet (wrapped in a dummy IPv4 header by text2pcap), checksum
 * verified as CRC32c: the fields asked for, one value list per field.
 */
export function tsharkFields(packet: Buffer, fields: string[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'sctp-tshark-'));
  try {
    const hex = [...packet].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    writeFileSync(join(dir, 'p.txt'), `000000 ${hex}\n`);
    const t2p = spawnSync('text2pcap', ['-q', '-i', '132', join(dir, 'p.txt'), join(dir, 'p.pcap')]);
    if (t2p.status !== 0) throw new Error(`text2pcap: ${t2p.stderr}`);
    const args = ['-r', join(dir, 'p.pcap'), '-o', 'sctp.checksum:CRC 32c', '-T', 'fields', '-E', 'separator=|'];
    for (const f of fields) args.push('-e', f);
    const ts = spawnSync('tshark', args, { encoding: 'utf8' });
    if (ts.status !== 0) throw new Error(`tshark: ${ts.stderr}`);
    const values = ts.stdout.trim().split('|');
    return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? '']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

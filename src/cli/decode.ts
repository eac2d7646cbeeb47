/**
 * `softswitch decode HEX | --pcap FILE [--sctp-udp-port N] [--isup-variant ansi|itu]`:
 * trace bytes → JSON on stdout.
 */
import { parseArgs } from 'node:util';
import { SoftswitchError } from '../errors.js';
import { decodePcapFile, decodeSignalling } from '../ss7/decode/index.js';
import type { Variant } from '../ss7/variant.js';

/** Hex as traces print it: spaces, colons, newlines, a 0x prefix and od-style offsets tolerated. */
export function parseHex(text: string): Buffer {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^\s*[0-9a-f]{4,8}[:\s]\s+(?=[0-9a-f]{2}\b)/i, ''));
  const clean = lines.join(' ').replace(/0x/gi, '').replace(/[\s:.-]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(clean)) {
    throw new SoftswitchError('SSW_ERR_DECODE_INPUT', `${clean.length % 2 ? 'odd number of hex digits' : 'not hex'}`);
  }
  return Buffer.from(clean, 'hex');
}

export async function decodeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { pcap: { type: 'string' }, 'isup-variant': { type: 'string', default: 'ansi' }, 'sctp-udp-port': { type: 'string', multiple: true } },
  });
  const variant = values['isup-variant'];
  if (variant !== 'ansi' && variant !== 'itu') {
    process.stderr.write('--isup-variant must be ansi or itu\n');
    return 2;
  }
  const ports = (values['sctp-udp-port'] ?? []).map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    process.stderr.write('--sctp-udp-port must be a UDP port number\n');
    return 2;
  }
  const opts = { variant: variant as Variant, sctpUdpPorts: ports.length ? [9899, ...ports] : undefined };
  if (values.pcap) {
    const frames = decodePcapFile(values.pcap, opts);
    if ('error' in frames) throw new SoftswitchError('SSW_ERR_DECODE_INPUT', `${values.pcap}: ${frames.error}`);
    process.stdout.write(`${JSON.stringify(frames, null, 2)}\n`);
    return 0;
  }
  const text = positionals.length ? positionals.join(' ') : '';
  if (!text) {
    process.stderr.write('usage: softswitch decode HEX | --pcap FILE [--isup-variant ansi|itu]\n');
    return 2;
  }
  process.stdout.write(`${JSON.stringify(decodeSignalling(parseHex(text), opts), null, 2)}\n`);
  return 0;
}

import type { WireWriter } from '../../../wire/writer.js';

/**
 * Address signals as text, one character per BCD nibble (Q.763 §3.9 f)): '0'-'9', 'A' (spare 10),
 * 'B' (code 11), 'C' (code 12), 'D', 'E', 'F' (ST, end of pulsing). On encode '*' is taken as 'B'
 * and '#' as 'C', and lower case is accepted.
 */
const NIBBLE_CHARS = '0123456789ABCDEF';

const CHAR_TO_NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  CHAR_TO_NIBBLE[NIBBLE_CHARS.charCodeAt(i)] = i;
  CHAR_TO_NIBBLE[NIBBLE_CHARS.toLowerCase().charCodeAt(i)] = i;
}
CHAR_TO_NIBBLE['*'.charCodeAt(0)] = 11;
CHAR_TO_NIBBLE['#'.charCodeAt(0)] = 12;

/** Both digits of an octet, first digit in bits 4-1 (Q.763 §3.9 f)). */
const PAIR: string[] = [];
const LOW: string[] = [];
for (let b = 0; b < 256; b++) {
  PAIR.push(NIBBLE_CHARS[b & 0xf] + NIBBLE_CHARS[b >> 4]);
  LOW.push(NIBBLE_CHARS[b & 0xf]);
}

export function nibbleOf(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const n = c < 128 ? CHAR_TO_NIBBLE[c] : -1;
  if (n < 0) throw new RangeError(`ISUP digit "${text[i]}" in "${text}" is not one of 0-9 A-F * #`);
  return n;
}

/** The octet for two digit characters, indexed by (first code << 7) | second code; -1 if either is not a digit. */
const OCTET_OF_PAIR = new Int16Array(128 * 128).fill(-1);
for (let a = 0; a < 128; a++) {
  for (let b = 0; b < 128; b++) {
    if (CHAR_TO_NIBBLE[a] >= 0 && CHAR_TO_NIBBLE[b] >= 0) OCTET_OF_PAIR[(a << 7) | b] = CHAR_TO_NIBBLE[a] | (CHAR_TO_NIBBLE[b] << 4);
  }
}

/** Writes digits two per octet, a trailing filler 0 when odd. */
export function writeBcd(w: WireWriter, digits: string): void {
  const n = digits.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = digits.charCodeAt(i);
    const b = digits.charCodeAt(i + 1);
    const o = (a | b) < 128 ? OCTET_OF_PAIR[(a << 7) | b] : -1;
    if (o < 0) {
      nibbleOf(digits, i);
      nibbleOf(digits, i + 1);
    }
    w.u8(o);
  }
  if (i < n) w.u8(nibbleOf(digits, i));
}

/**
 * Four digits per pair of octets, filled on first use (at most 65,536 short strings), so a
 * 12-digit number is three concatenations instead of six.
 */
const QUAD: (string | undefined)[] = new Array(65536);

function quad(x: number): string {
  let s = QUAD[x];
  if (s === undefined) s = QUAD[x] = PAIR[x & 0xff] + PAIR[x >> 8];
  return s;
}

/** Reads octets [start, end) as digits; drops the last (filler) nibble when `odd`. */
export function readBcd(buf: Buffer, start: number, end: number, odd: boolean): string {
  let s = '';
  const last = odd ? end - 1 : end;
  let i = start;
  for (; i + 1 < last; i += 2) s += quad(buf[i] | (buf[i + 1] << 8));
  if (i < last) s += PAIR[buf[i]];
  if (odd && end > start) s += LOW[buf[end - 1]];
  return s;
}

/**
 * Byte values and the ASCII case fold shared by the scanners that read SIP straight from a
 * datagram's bytes (call-id-peek.ts, raw-request.ts) without the full parser.
 */

export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

/** An ASCII letter's lower-case byte (other bytes unchanged): header names compare case-insensitively. */
export function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

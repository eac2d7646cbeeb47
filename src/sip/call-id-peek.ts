/**
 * The Call-ID of a raw SIP message without parsing it (for the call trail's tap): the first
 * `Call-ID` or compact `i` header (RFC 3261 §7.3.3, §20.8) in the header section, names compared
 * case-insensitively, whitespace allowed before the colon (HCOLON, §25.1). Never throws; undefined
 * when there is none.
 */

import { COLON, CR, HTAB, LF, SP, lowerAscii } from './raw-bytes.js';

/** Longest Call-ID kept; longer ones are cut (a key, not a parse). */
const MAX_CALL_ID = 256;

/** Index just past `name` and HCOLON at `at`, or -1. `name` is lower case ASCII. */
function afterName(buf: Buffer, at: number, end: number, name: string): number {
  let i = at;
  for (let k = 0; k < name.length; k++, i++) {
    if (i >= end || lowerAscii(buf[i]) !== name.charCodeAt(k)) return -1;
  }
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i < end && buf[i] === COLON ? i + 1 : -1;
}

export function peekCallId(buf: Buffer): string | undefined {
  let line = buf.indexOf(LF);
  while (line >= 0 && line + 1 < buf.length) {
    const start = line + 1;
    let end = buf.indexOf(LF, start);
    if (end < 0) end = buf.length;
    const stop = end > start && buf[end - 1] === CR ? end - 1 : end;
    // The empty line ends the header section (§7).
    if (stop === start) return undefined;
    const c = lowerAscii(buf[start]);
    let v = -1;
    if (c === 0x63) v = afterName(buf, start, stop, 'call-id');
    else if (c === 0x69) v = afterName(buf, start, stop, 'i');
    if (v >= 0) {
      while (v < stop && (buf[v] === SP || buf[v] === HTAB)) v++;
      let e = stop;
      while (e > v && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
      return e > v ? buf.toString('latin1', v, Math.min(e, v + MAX_CALL_ID)) : undefined;
    }
    line = end < buf.length ? end : -1;
  }
  return undefined;
}

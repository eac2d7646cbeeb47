/** SIP message serialiser (RFC 3261 §7): start line, headers in order, Content-Length from the body. */
import { CANONICAL_NAMES } from './constants.js';
import type { SipMessage } from './message.js';

export function serializeMessage(msg: SipMessage): Buffer {
  let head = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  for (const row of msg.headers.entries()) {
    if (row.key === 'content-length') continue;
    const name = row.name.length === 1 ? row.name : (CANONICAL_NAMES[row.key] ?? row.name);
    // A CR or LF inside a value would inject headers (RFC 3261 §7.3.1 allows neither outside folding).
    const value = /[\r\n]/.test(row.value) ? row.value.replace(/[\r\n]+/g, ' ') : row.value;
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  // One allocation: head written as UTF-8 in place, body copied after it.
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headBytes);
  return out;
}

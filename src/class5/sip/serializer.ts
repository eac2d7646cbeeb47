/** SIP message serialiser (RFC 3261 §7): start line, headers in order, Content-Length from the body. */
import { WireWriter } from '../../wire/writer.js';
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
  const w = new WireWriter(head.length * 2 + msg.body.length);
  w.bytes(Buffer.from(head, 'utf8'));
  w.bytes(msg.body);
  return w.finish();
}

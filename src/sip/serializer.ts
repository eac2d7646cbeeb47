/** SIP message serialiser (RFC 3261 §7): start line, headers in order, Content-Length from the body. */
import { CANONICAL_NAMES } from './constants.js';
import type { SipMessage } from './message.js';

// A CR or LF anywhere but a line end would inject headers (RFC 3261 §7.3.1 allows neither outside folding).
const oneLine = (text: string): string => (/[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text);

const NOT_TOKEN = /[^A-Za-z0-9\-.!%*_+`'~]/;
const NOT_TOKEN_ALL = /[^A-Za-z0-9\-.!%*_+`'~]/g;

/** §7.1: the Request-URI and method carry no whitespace, so none can end the start line. */
export function serializeMessage(msg: SipMessage): Buffer {
  let head = msg.kind === 'request' ? `${msg.method.replace(NOT_TOKEN_ALL, '')} ${msg.uri.replace(/\s+/g, '')} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${oneLine(msg.reason)}\r\n`;
  for (const row of msg.headers.entries()) {
    if (row.key === 'content-length') continue;
    const spelled = row.name.length === 1 ? row.name : (CANONICAL_NAMES[row.key] ?? row.name);
    // §25.1: a header name is a token; anything else (from an application's header map) is dropped from it.
    const name = NOT_TOKEN.test(spelled) ? spelled.replace(NOT_TOKEN_ALL, '') : spelled;
    if (!name) continue;
    head += `${name}: ${oneLine(row.value)}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  // One allocation: head written as UTF-8 in place, body copied after it.
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headBytes);
  return out;
}

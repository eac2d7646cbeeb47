/**
 * SIP message parser (RFC 3261 §7) for one datagram. Pure and total: any bytes give a message
 * or a {@link ParseError} value. Headers are split and unfolded here; structured header values
 * (Via, CSeq, name-addr) are parsed on demand by `header-values.ts`.
 */
import { WireReader } from '../wire/reader.js';
import { LIMITS } from './constants.js';
import { SipHeaders, type SipMessage, type SipRequest } from './message.js';

export type ParseErrorCode =
  | 'too-large'
  | 'empty'
  | 'no-header-end'
  | 'bad-start-line'
  | 'bad-version'
  | 'line-too-long'
  | 'too-many-headers'
  | 'bad-header'
  | 'bad-content-length'
  | 'truncated-body';

export interface ParseError {
  code: ParseErrorCode;
  detail: string;
  /** The status a UAS answers with when it can (RFC 3261 §21.4.1 400, §21.5.6 505, §21.4.11 413). */
  status: 400 | 413 | 505;
  /** Request line and headers when they were readable, so the core can still answer. */
  partial?: SipRequest;
}

type Failure = { ok: false; error: ParseError };
export type ParseResult = { ok: true; message: SipMessage } | Failure;

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VERSION = /^SIP\/2\.0$/i;
const ANY_VERSION = /^SIP\/\d+\.\d+$/i;

function fail(code: ParseErrorCode, detail: string, status: ParseError['status'] = 400, partial?: SipRequest): Failure {
  return { ok: false, error: { code, detail, status, partial } };
}

/** Offset of the empty line ending the header section, and the width of its terminator. */
function findHeaderEnd(buf: Buffer, from: number): { at: number; width: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  // A bare-LF blank line counts only if it comes before the first CRLF one.
  const lf = (crlf >= 0 ? buf.subarray(0, crlf + 2) : buf).indexOf('\n\n', from, 'latin1');
  if (lf >= 0) return { at: lf, width: 2 };
  if (crlf >= 0) return { at: crlf, width: 4 };
  return undefined;
}

export function parseMessage(buf: Buffer): ParseResult {
  if (buf.length > LIMITS.maxMessageBytes) return fail('too-large', `${buf.length} bytes`, 413);
  let start = 0;
  // RFC 3261 §7.5: ignore CRLFs before the start-line (keep-alives).
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start === buf.length) return fail('empty', 'no start line');
  const end = findHeaderEnd(buf, start);
  if (!end) return fail('no-header-end', 'no empty line after headers');
  const head = buf.toString('utf8', start, end.at);
  const lines = head.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  const startLine = lines[0];
  if (startLine.length > LIMITS.maxLineChars) return fail('line-too-long', 'start line');

  const unfolded: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length > LIMITS.maxLineChars) return fail('line-too-long', `header line ${i}`);
    // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
    if ((line.startsWith(' ') || line.startsWith('\t')) && unfolded.length > 0) {
      const joined = unfolded[unfolded.length - 1] + ' ' + line.trim();
      if (joined.length > LIMITS.maxLineChars) return fail('line-too-long', `folded header ${i}`);
      unfolded[unfolded.length - 1] = joined;
    } else {
      unfolded.push(line);
    }
    if (unfolded.length > LIMITS.maxHeaders) return fail('too-many-headers', `more than ${LIMITS.maxHeaders}`, 413);
  }

  const headers = new SipHeaders();
  let headerError: string | undefined;
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!name || !TOKEN.test(name)) {
      headerError = `bad header line "${line.slice(0, 40)}"`;
      break;
    }
    headers.append(name, line.slice(colon + 1).trim());
  }

  const first = parseStartLine(startLine, headers);
  if (!first.ok) return first;
  const partial = first.message.kind === 'request' ? first.message : undefined;
  if (headerError) return fail('bad-header', headerError, 400, partial);

  // RFC 3261 §20.14 / §18.3: Content-Length delimits the body; on a datagram, a missing one means "to the end".
  const bodyStart = start + (end.at - start) + end.width;
  const reader = new WireReader(buf, bodyStart);
  const lengths = headers.getAll('content-length');
  let length = reader.remaining;
  if (lengths.length > 0) {
    const only = lengths[0];
    if (!/^\d{1,9}$/.test(only) || lengths.some((v) => v !== only)) return fail('bad-content-length', `Content-Length "${lengths.join(',')}"`, 400, partial);
    length = Number(only);
    if (length > reader.remaining) return fail('truncated-body', `Content-Length ${length} > ${reader.remaining} bytes`, 400, partial);
  }
  first.message.body = reader.bytes(length);
  return first;
}

function parseStartLine(line: string, headers: SipHeaders): ParseResult {
  const parts = line.split(' ');
  if (ANY_VERSION.test(parts[0])) {
    if (parts.length < 2) return fail('bad-start-line', `"${line.slice(0, 60)}"`);
    const code = parts[1];
    if (!/^[1-6]\d\d$/.test(code)) return fail('bad-start-line', `status "${code}"`);
    if (!VERSION.test(parts[0])) return fail('bad-version', parts[0], 505);
    return {
      ok: true,
      message: { kind: 'response', version: 'SIP/2.0', status: Number(code), reason: parts.slice(2).join(' '), headers, body: Buffer.alloc(0) },
    };
  }
  const [method, uri = '', version = ''] = parts;
  if (!TOKEN.test(method)) return fail('bad-start-line', `method "${method.slice(0, 20)}"`);
  // From here the method is known, so the headers can still carry a 400 back (RFC 4475 §3.1.2.7–§3.1.2.10).
  const message: SipRequest = { kind: 'request', method, uri, version, headers, body: Buffer.alloc(0) };
  // §7.1: Method SP Request-URI SP SIP-Version, single spaces, nothing after the version.
  if (parts.length !== 3) return fail('bad-start-line', `"${line.slice(0, 60)}"`, 400, message);
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*:\S+$/.test(uri)) return fail('bad-start-line', `Request-URI "${uri.slice(0, 60)}"`, 400, message);
  if (!ANY_VERSION.test(version)) return fail('bad-start-line', `version "${version.slice(0, 20)}"`, 400, message);
  if (!VERSION.test(version)) return fail('bad-version', version, 505, message);
  message.version = 'SIP/2.0';
  return { ok: true, message };
}

/**
 * MGCP 1.0 text codec (RFC 3435 §3): pure functions between Buffers and {@link MgcpMessage}s.
 * Decoding never throws: every byte sequence yields messages and/or {@link MgcpDecodeError}
 * values carrying the return code to answer. Text is handled as latin1 so bytes round-trip.
 */
import { isVerb, LIMITS, MAX_TRANSACTION_ID, RC } from './constants.js';
import type { MgcpCommand, MgcpDecodeError, MgcpDecoded, MgcpMessage, MgcpParam, MgcpResponse } from './messages.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9+\-/@._]{0,31}$/;
const TOKEN_RE = /^[\x21-\x7e]+$/;
const DIGITS_RE = /^[0-9]{1,9}$/;
const VERSION_RE = /^[0-9]{1,3}\.[0-9]{1,3}$/;
/** RFC 3435 §3.2.1 names version 1.0; RFC 2705 gateways still send 0.1. */
const SUPPORTED_VERSIONS = new Set(['1.0', '0.1']);
const CONTROL_RE = /[\x00-\x08\x0a-\x1f\x7f]/;

function fail(code: number, reason: string, transactionId?: number, inResponse?: boolean): MgcpDecodeError {
  return {
    type: 'error',
    code,
    reason,
    ...(transactionId !== undefined ? { transactionId } : {}),
    ...(inResponse ? { inResponse } : {}),
  };
}

interface Lines {
  lines: string[];
  /** Offset of each line in the text. */
  starts: number[];
  next: number;
  error?: string;
}

/** Control characters other than HTAB, or a CR not ending a line; and whether any line ends in a bare LF. */
function scanBytes(buf: Uint8Array): { suspicious: boolean; bareLf: boolean } {
  let bareLf = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c < 32) {
      if (c === 13) {
        if (buf[i + 1] !== 10) return { suspicious: true, bareLf };
        i++;
      } else if (c === 10) bareLf = true;
      else if (c !== 9) return { suspicious: true, bareLf };
    } else if (c === 127) return { suspicious: true, bareLf };
  }
  return { suspicious: false, bareLf };
}

/** Splits a message's lines: CRLF or LF end a line (RFC 3435 §3.1); control characters other than HTAB are refused. */
function readMessageLines(text: string, start: number, suspicious: boolean): Lines {
  const lines: string[] = [];
  const starts: number[] = [];
  let pos = start;
  let error: string | undefined;
  let total = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let end = nl;
    if (nl < text.length && end > pos && text.charCodeAt(end - 1) === 13) end--;
    const next = nl + 1;
    if (end - pos === 1 && text.charCodeAt(pos) === 46) return { lines, starts, next, ...(error ? { error } : {}) };
    if (!error) {
      if (end - pos > LIMITS.maxLine) error = `line longer than ${LIMITS.maxLine} characters`;
      else if (++total > LIMITS.maxParams + 256) error = 'too many lines';
      else if (suspicious) {
        for (let i = pos; i < end; i++) {
          const c = text.charCodeAt(i);
          if ((c < 32 && c !== 9) || c === 127) {
            error = 'control character in message';
            break;
          }
        }
      }
      if (!error) {
        lines.push(text.slice(pos, end));
        starts.push(pos);
      }
    }
    pos = next;
  }
  return { lines, starts, next: pos, ...(error ? { error } : {}) };
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Tokens of a header line separated by runs of SP/HTAB, with their start offsets. */
function tokens(line: string): { words: string[]; starts: number[] } {
  const words: string[] = [];
  const starts: number[] = [];
  let i = 0;
  while (i < line.length && words.length < 8) {
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= line.length) break;
    const s = i;
    while (i < line.length && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    words.push(line.slice(s, i));
    starts.push(s);
  }
  return { words, starts };
}

function parseTransactionId(s: string | undefined): number | undefined {
  if (s === undefined || !DIGITS_RE.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_TRANSACTION_ID ? n : undefined;
}

function parseParams(
  lines: string[],
  from: number,
): { params: MgcpParam[]; sdpStart: number } | { error: string } {
  const params: MgcpParam[] = [];
  let i = from;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0 || isBlank(line)) return { params, sdpStart: i + 1 };
    if (params.length >= LIMITS.maxParams) return { error: `more than ${LIMITS.maxParams} parameter lines` };
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: 'parameter line without name and colon' };
    const name = line.slice(0, colon).trimEnd();
    if (!NAME_RE.test(name)) return { error: 'malformed parameter name' };
    params.push({ name: name.toUpperCase(), value: line.slice(colon + 1).trim() });
  }
  return { params, sdpStart: i };
}

/** A message's lines within the datagram text; `canonical` when every line ends in CRLF. */
interface MessageText {
  text: string;
  lines: string[];
  starts: number[];
  canonical: boolean;
}

/** RFC 3435 §3.1: the session description follows the empty line, up to the end or a "." line. */
function collectSdp(m: MessageText, from: number): string | undefined | { error: string } {
  const { lines } = m;
  let end = lines.length;
  while (end > from && lines[end - 1].length === 0) end--;
  if (end <= from) return undefined;
  const size = m.starts[end - 1] + lines[end - 1].length + 2 - m.starts[from];
  if (size > LIMITS.maxSdpBytes) return { error: `session description larger than ${LIMITS.maxSdpBytes} bytes` };
  if (m.canonical) {
    const last = end - 1;
    const lastEnd = m.starts[last] + lines[last].length;
    if (m.text.charCodeAt(lastEnd) === 13 && m.text.charCodeAt(lastEnd + 1) === 10) return m.text.slice(m.starts[from], lastEnd + 2);
    return m.text.slice(m.starts[from], lastEnd) + '\r\n';
  }
  return lines.slice(from, end).join('\r\n') + '\r\n';
}

function decodeCommand(m: MessageText): MgcpCommand | MgcpDecodeError {
  const { lines } = m;
  const { words } = tokens(lines[0]);
  const transactionId = parseTransactionId(words[1]);
  if (transactionId === undefined) return fail(RC.PROTOCOL_ERROR, 'missing or malformed transaction id');
  const verb = words[0].toUpperCase();
  // RFC 3435 §3.2.1: unknown verbs are answered 504 with the transaction id.
  if (!isVerb(verb)) return fail(RC.UNKNOWN_COMMAND, `unknown command ${verb.slice(0, 8)}`, transactionId);
  if (words.length < 5 || words.length > 6) return fail(RC.PROTOCOL_ERROR, 'malformed command line', transactionId);
  if (words[3].toUpperCase() !== 'MGCP') return fail(RC.PROTOCOL_ERROR, 'protocol name is not MGCP', transactionId);
  if (!VERSION_RE.test(words[4])) return fail(RC.PROTOCOL_ERROR, 'malformed protocol version', transactionId);
  if (words[5] !== undefined && !TOKEN_RE.test(words[5])) return fail(RC.PROTOCOL_ERROR, 'malformed profile', transactionId);
  if (!SUPPORTED_VERSIONS.has(words[4]))
    return fail(RC.INCOMPATIBLE_VERSION, `unsupported version ${words[4]}`, transactionId);
  const endpoint = words[2];
  // RFC 3435 §2.1.1 / §3.2.1.3: local-name@domain.
  const at = endpoint.lastIndexOf('@');
  if (at <= 0 || at === endpoint.length - 1 || !TOKEN_RE.test(endpoint)) return fail(RC.ENDPOINT_UNKNOWN, 'malformed endpoint name', transactionId);
  const p = parseParams(lines, 1);
  if ('error' in p) return fail(RC.PROTOCOL_ERROR, p.error, transactionId);
  const sdp = collectSdp(m, p.sdpStart);
  if (typeof sdp === 'object') return fail(RC.PROTOCOL_ERROR, sdp.error, transactionId);
  return {
    type: 'command',
    verb,
    transactionId,
    endpoint,
    version: words[4],
    ...(words[5] !== undefined ? { profile: words[5] } : {}),
    params: p.params,
    ...(sdp !== undefined ? { sdp } : {}),
  };
}

function decodeResponse(m: MessageText): MgcpResponse | MgcpDecodeError {
  const { lines } = m;
  const header = lines[0];
  const { words, starts } = tokens(header);
  const transactionId = parseTransactionId(words[1]);
  if (transactionId === undefined) return fail(RC.PROTOCOL_ERROR, 'missing or malformed transaction id', undefined, true);
  const code = Number(words[0]);
  let packageName: string | undefined;
  let commentAt = words.length > 2 ? starts[2] : header.length;
  // RFC 3435 §3.3: 8xx codes are followed by "/" and the package name.
  if (code >= 800 && code <= 899 && words[2]?.startsWith('/') && words[2].length > 1 && TOKEN_RE.test(words[2])) {
    packageName = words[2].slice(1);
    commentAt = words.length > 3 ? starts[3] : header.length;
  }
  const p = parseParams(lines, 1);
  if ('error' in p) return fail(RC.PROTOCOL_ERROR, p.error, transactionId, true);
  const sdp = collectSdp(m, p.sdpStart);
  if (typeof sdp === 'object') return fail(RC.PROTOCOL_ERROR, sdp.error, transactionId, true);
  return {
    type: 'response',
    code,
    transactionId,
    ...(packageName !== undefined ? { packageName } : {}),
    comment: header.slice(commentAt).trim(),
    params: p.params,
    ...(sdp !== undefined ? { sdp } : {}),
  };
}

function decodeLines(m: MessageText): MgcpDecoded {
  const first = m.lines[0];
  const c0 = first.charCodeAt(0);
  const isResponse =
    c0 >= 48 && c0 <= 57 && first.length >= 3 && /^[0-9]{3}(?:[ \t]|$)/.test(first);
  return isResponse ? decodeResponse(m) : decodeCommand(m);
}

/**
 * Decodes one datagram into its messages; piggy-backed messages are separated by a line
 * holding a single "." (RFC 3435 §3.5.5).
 */
export function decode(buf: Uint8Array): MgcpDecoded[] {
  if (buf.length === 0) return [fail(RC.PROTOCOL_ERROR, 'empty datagram')];
  if (buf.length > LIMITS.maxDatagram) {
    // Not parsed; its first line still names the transaction, so a command can be answered 510.
    const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, LIMITS.maxLine)).toString('latin1');
    const nl = head.indexOf('\n');
    const first = nl < 0 ? '' : head.slice(0, nl);
    const inResp = /^[0-9]{3}(?:[ \t]|\r?$)/.test(first);
    return [fail(RC.PROTOCOL_ERROR, `datagram larger than ${LIMITS.maxDatagram} bytes`, parseTransactionId(tokens(first).words[1]), inResp)];
  }
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('latin1');
  const out: MgcpDecoded[] = [];
  const { suspicious, bareLf } = scanBytes(buf);
  let pos = 0;
  while (pos < text.length) {
    const { lines, starts, next, error } = readMessageLines(text, pos, suspicious);
    pos = next;
    let first = 0;
    while (first < lines.length && isBlank(lines[first])) first++;
    if (error === undefined && first >= lines.length) continue;
    if (out.length >= LIMITS.maxMessagesPerDatagram) {
      out.push(fail(RC.PROTOCOL_ERROR, 'too many piggy-backed messages'));
      break;
    }
    if (error !== undefined) {
      const txid = first < lines.length ? parseTransactionId(tokens(lines[first]).words[1]) : undefined;
      const inResp = first < lines.length && /^[0-9]{3}(?:[ \t]|$)/.test(lines[first]);
      out.push(fail(RC.PROTOCOL_ERROR, error, txid, inResp));
      continue;
    }
    out.push(
      decodeLines({
        text,
        lines: first === 0 ? lines : lines.slice(first),
        starts: first === 0 ? starts : starts.slice(first),
        canonical: !bareLf,
      }),
    );
  }
  if (out.length === 0) out.push(fail(RC.PROTOCOL_ERROR, 'no message in datagram'));
  return out;
}

function hasLineBreakOrControl(s: string): boolean {
  return CONTROL_RE.test(s);
}

/**
 * One pass over a session description: `control` for a control character or a CR not before LF,
 * `dot-line` for a line holding only "." (it would end the message, RFC 3435 §3.5.5),
 * `bare-lf` when some line ends in LF alone, else `canonical`.
 */
function sdpShape(sdp: string): 'control' | 'dot-line' | 'bare-lf' | 'canonical' {
  let bareLf = false;
  let lineStart = 0;
  for (let i = 0; i < sdp.length; i++) {
    const c = sdp.charCodeAt(i);
    if (c >= 32) {
      if (c === 127) return 'control';
      continue;
    }
    if (c === 9) continue;
    const lineEnd = i;
    if (c === 13) {
      if (sdp.charCodeAt(i + 1) !== 10) return 'control';
      i++;
    } else if (c === 10) bareLf = true;
    else return 'control';
    if (lineEnd - lineStart === 1 && sdp.charCodeAt(lineStart) === 46) return 'dot-line';
    lineStart = i + 1;
  }
  if (sdp.length - lineStart === 1 && sdp.charCodeAt(lineStart) === 46) return 'dot-line';
  return bareLf ? 'bare-lf' : 'canonical';
}

/** Why `msg` cannot be put on the wire unambiguously, or undefined when it can. */
export function checkEncodable(msg: MgcpMessage): string | undefined {
  const r = inspect(msg);
  return typeof r === 'string' ? r : undefined;
}

/** A reason to refuse `msg`, or whether its session description needs its line ends rewritten. */
function inspect(msg: MgcpMessage): string | { canonicalSdp: boolean } {
  if (!Number.isInteger(msg.transactionId) || msg.transactionId < 0 || msg.transactionId > MAX_TRANSACTION_ID)
    return 'transaction id out of range';
  if (msg.type === 'command') {
    if (!TOKEN_RE.test(msg.verb)) return 'malformed verb';
    if (!TOKEN_RE.test(msg.endpoint) || !msg.endpoint.includes('@')) return 'malformed endpoint name';
    if (!TOKEN_RE.test(msg.version) || (msg.profile !== undefined && !TOKEN_RE.test(msg.profile)))
      return 'malformed version';
  } else {
    if (!Number.isInteger(msg.code) || msg.code < 0 || msg.code > 999) return 'return code out of range';
    if (hasLineBreakOrControl(msg.comment)) return 'control character in commentary';
    if (msg.packageName !== undefined && !TOKEN_RE.test(msg.packageName)) return 'malformed package name';
  }
  if (msg.params.length > LIMITS.maxParams) return 'too many parameters';
  for (const p of msg.params) {
    if (!NAME_RE.test(p.name)) return `malformed parameter name ${JSON.stringify(p.name)}`;
    if (hasLineBreakOrControl(p.value)) return `control character in parameter ${p.name}`;
  }
  if (msg.sdp === undefined) return { canonicalSdp: true };
  const shape = sdpShape(msg.sdp);
  if (shape === 'dot-line') return 'session description holds a "." line';
  if (shape === 'control') return 'control character in session description';
  return { canonicalSdp: shape === 'canonical' };
}

function render(msg: MgcpMessage, sdpCanonical: boolean): string {
  let s: string;
  if (msg.type === 'command') {
    s = `${msg.verb} ${msg.transactionId} ${msg.endpoint} MGCP ${msg.version}`;
    if (msg.profile !== undefined) s += ` ${msg.profile}`;
  } else {
    s = `${String(msg.code).padStart(3, '0')} ${msg.transactionId}`;
    if (msg.packageName !== undefined) s += ` /${msg.packageName}`;
    if (msg.comment) s += ` ${msg.comment}`;
  }
  s += '\r\n';
  for (const p of msg.params) s += p.value ? `${p.name}: ${p.value}\r\n` : `${p.name}:\r\n`;
  if (msg.sdp) {
    const body = sdpCanonical ? msg.sdp : msg.sdp.replace(/\r?\n/g, '\r\n');
    s += '\r\n' + body + (body.endsWith('\r\n') ? '' : '\r\n');
  }
  return s;
}

/**
 * Encodes one message, or answers why it cannot be (what {@link checkEncodable} says), checking
 * it once: the transaction layer's path for every command it sends.
 */
export function encodeOrReason(msg: MgcpMessage): Buffer | string {
  const r = inspect(msg);
  return typeof r === 'string' ? r : Buffer.from(render(msg, r.canonicalSdp), 'latin1');
}

/**
 * Encodes one message, or several piggy-backed in one datagram (RFC 3435 §3.5.5).
 * Throws TypeError for a message {@link checkEncodable} refuses: that is a programming error.
 */
export function encode(msgs: MgcpMessage | readonly MgcpMessage[]): Buffer {
  const list = Array.isArray(msgs) ? (msgs as readonly MgcpMessage[]) : [msgs as MgcpMessage];
  let text = '';
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const r = inspect(m);
    if (typeof r === 'string') throw new TypeError(`MGCP message cannot be encoded: ${r}`);
    if (i > 0) text += '.\r\n';
    text += render(m, r.canonicalSdp);
  }
  return Buffer.from(text, 'latin1');
}

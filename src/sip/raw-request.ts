/**
 * Just enough of a SIP request, read straight from a datagram's bytes, to refuse a new INVITE or
 * absorb an ACK without the full parser (RFC 3261 §7.1 request line, §7.3 headers, §7.3.3 compact
 * names, §20 header fields): the method, every Via line, From, To (and its tag), Call-ID, CSeq.
 * It is conservative: anything it is not sure about (folded lines, quoted display names in To,
 * repeated From/To/Call-ID/CSeq, a Via line with several values, control characters, an
 * unterminated or oversized header section) gives undefined, and the caller falls back to the full
 * parser, which answers every case properly. Never throws.
 */

import { COLON, CR, HTAB, LF, SP, lowerAscii } from './raw-bytes.js';

/** Header sections larger than this are left to the full parser. */
const MAX_HEAD = 8192;
/** Header lines looked at, at most. */
const MAX_LINES = 64;

export interface RawVia {
  /** The whole value of the top Via (a single via-parm). */
  value: string;
  host: string;
  port: number | undefined;
  branch: string | undefined;
  /** RFC 3581: the client asks for the source port back (`rport`, with or without a value). */
  rport: boolean;
}

export interface RawRequest {
  method: string;
  /** Values of the Via header lines, top first. */
  vias: string[];
  topVia: RawVia;
  from: string;
  to: string;
  /** The To tag (§8.2.6.2), undefined outside a dialog. */
  toTag: string | undefined;
  callId: string;
  cseq: string;
  cseqMethod: string;
}

const TOKEN_CHARS = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Whether `s` has control characters other than HTAB (or anything past Latin-1 from a bad decode). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== HTAB) || c === 0x7f) return true;
  }
  return false;
}

/** The canonical name of a header we need, from its wire name (lower-cased), or undefined. */
function known(name: string): 'via' | 'from' | 'to' | 'call-id' | 'cseq' | undefined {
  switch (name) {
    case 'via':
    case 'v':
      return 'via';
    case 'from':
    case 'f':
      return 'from';
    case 'to':
    case 't':
      return 'to';
    case 'call-id':
    case 'i':
      return 'call-id';
    case 'cseq':
      return 'cseq';
    default:
      return undefined;
  }
}

/** §20.39 tag of a To/From value without quotes: after the name-addr's '>' or, for an addr-spec, after the URI. */
export function tagOf(value: string): string | undefined | null {
  if (value.includes('"')) return null;
  let params: string;
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    if (gt < 0) return null;
    params = value.slice(gt + 1);
  } else {
    const semi = value.indexOf(';');
    params = semi < 0 ? '' : value.slice(semi);
  }
  const m = /;[ \t]*tag[ \t]*=[ \t]*([^;\s,]+)/i.exec(params);
  return m ? m[1] : undefined;
}

/** §20.42 via-parm: `SIP/2.0/UDP host[:port];params`, one value only. */
export function parseRawVia(value: string): RawVia | undefined {
  if (value.includes(',')) return undefined;
  const m = /^SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*[A-Za-z0-9.!%*_+`'~-]+[ \t]+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?[ \t]*(;.*)?$/.exec(value);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  let branch: string | undefined;
  let rport = false;
  for (const p of (m[3] ?? '').split(';')) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name === 'branch') branch = eq < 0 ? '' : p.slice(eq + 1).trim();
    else if (name === 'rport') rport = true;
  }
  return { value, host: m[1], port, branch, rport };
}

export function scanRequest(buf: Buffer): RawRequest | undefined {
  const first = buf.indexOf(LF);
  if (first <= 0 || first > MAX_HEAD) return undefined;
  const lineEnd = buf[first - 1] === CR ? first - 1 : first;
  // §7.1 Request-Line: Method SP Request-URI SP SIP-Version.
  const sp1 = buf.indexOf(SP);
  if (sp1 <= 0 || sp1 >= lineEnd || sp1 > 32) return undefined;
  const method = buf.toString('latin1', 0, sp1);
  if (!TOKEN_CHARS.test(method)) return undefined;
  const sp2 = buf.lastIndexOf(SP, lineEnd - 1);
  if (sp2 <= sp1 + 1 || buf.toString('latin1', sp2 + 1, lineEnd) !== 'SIP/2.0') return undefined;

  const vias: string[] = [];
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let at = first + 1;
  let lines = 0;
  for (;;) {
    if (at >= buf.length || at > MAX_HEAD || ++lines > MAX_LINES) return undefined;
    const end = buf.indexOf(LF, at);
    if (end < 0) return undefined;
    const stop = end > at && buf[end - 1] === CR ? end - 1 : end;
    if (stop === at) break; // the empty line ends the header section
    // §7.3.1 folded continuation lines: left to the full parser.
    if (buf[at] === SP || buf[at] === HTAB) return undefined;
    const colon = buf.indexOf(COLON, at);
    if (colon < 0 || colon >= stop) return undefined;
    let nameEnd = colon;
    while (nameEnd > at && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HTAB)) nameEnd--;
    let name = '';
    for (let i = at; i < nameEnd; i++) name += String.fromCharCode(lowerAscii(buf[i]));
    const which = known(name);
    if (which) {
      const value = buf.toString('latin1', colon + 1, stop).trim();
      if (value === '' || hasControl(value)) return undefined;
      if (which === 'via') vias.push(value);
      else if (which === 'from') {
        if (from !== undefined) return undefined;
        from = value;
      } else if (which === 'to') {
        if (to !== undefined) return undefined;
        to = value;
      } else if (which === 'call-id') {
        if (callId !== undefined) return undefined;
        callId = value;
      } else {
        if (cseq !== undefined) return undefined;
        cseq = value;
      }
    }
    at = end + 1;
  }
  if (vias.length === 0 || from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  const topVia = parseRawVia(vias[0]);
  if (!topVia) return undefined;
  const toTag = tagOf(to);
  if (toTag === null) return undefined;
  // §20.16 CSeq: a number and the method.
  const c = /^(\d{1,10})[ \t]+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(cseq);
  if (!c) return undefined;
  return { method, vias, topVia, from, to, toTag, callId, cseq, cseqMethod: c[2] };
}

export interface RawResponseOptions {
  status: number;
  reason: string;
  toTag: string;
  /** Extra header lines, name and value (e.g. Retry-After, Reason). */
  headers?: ReadonlyArray<readonly [string, string]>;
  server?: string;
}

/**
 * A stateless response to a scanned request (§8.2.6): every Via (the top one stamped with
 * `received` and `rport` as §18.2.1 and RFC 3581 §4 ask), From, To with our tag, Call-ID, CSeq,
 * and where it goes (§18.2.2 over UDP: the source address; the source port when rport was asked,
 * else the sent-by port, else 5060).
 */
export function buildRawResponse(req: RawRequest, source: { address: string; port: number }, o: RawResponseOptions): { bytes: Buffer; to: { address: string; port: number } } {
  const v = req.topVia;
  const semi = v.value.indexOf(';');
  const head = semi < 0 ? v.value : v.value.slice(0, semi);
  // rport keeps its place with the source port as its value; a received the sender wrote goes.
  const kept: string[] = [];
  for (const p of semi < 0 ? [] : v.value.slice(semi + 1).split(';')) {
    const n = p.split('=')[0].trim().toLowerCase();
    if (n === 'rport') kept.push(`rport=${source.port}`);
    else if (n !== 'received') kept.push(p);
  }
  if (v.host.replace(/^\[|\]$/g, '') !== source.address) kept.push(`received=${source.address}`);
  const top = kept.length > 0 ? `${head};${kept.join(';')}` : head;
  let s = `SIP/2.0 ${o.status} ${o.reason}\r\nVia: ${top}\r\n`;
  for (let i = 1; i < req.vias.length; i++) s += `Via: ${req.vias[i]}\r\n`;
  s += `From: ${req.from}\r\nTo: ${req.toTag === undefined ? `${req.to};tag=${o.toTag}` : req.to}\r\nCall-ID: ${req.callId}\r\nCSeq: ${req.cseq}\r\n`;
  for (const [n, val] of o.headers ?? []) s += `${n}: ${val}\r\n`;
  if (o.server) s += `Server: ${o.server}\r\n`;
  s += 'Content-Length: 0\r\n\r\n';
  const port = v.rport ? source.port : (v.port ?? 5060);
  return { bytes: Buffer.from(s, 'latin1'), to: { address: source.address, port } };
}

/** A header of a scanned request for an admission policy: the scanned ones, else the first line named so (compact names not mapped). */
export function rawHeader(buf: Buffer, req: RawRequest, name: string): string | undefined {
  const n = name.toLowerCase();
  switch (known(n)) {
    case 'via':
      return req.vias[0];
    case 'from':
      return req.from;
    case 'to':
      return req.to;
    case 'call-id':
      return req.callId;
    case 'cseq':
      return req.cseq;
    default:
      break;
  }
  let at = buf.indexOf(LF) + 1;
  for (let lines = 0; at > 0 && at < buf.length && lines < MAX_LINES; lines++) {
    const end = buf.indexOf(LF, at);
    if (end < 0) return undefined;
    const stop = end > at && buf[end - 1] === CR ? end - 1 : end;
    if (stop === at) return undefined;
    const colon = buf.indexOf(COLON, at);
    if (colon > at && colon < stop && buf.toString('latin1', at, colon).trim().toLowerCase() === n) return buf.toString('latin1', colon + 1, stop).trim();
    at = end + 1;
  }
  return undefined;
}

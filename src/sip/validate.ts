/**
 * Syntax checks a UAS makes on a request that would create state, before anything acts on it
 * (RFC 3261 §8.2, §7.3, §25.1; RFC 4475 §3.1.2 and §3.3; RFC 5118). Pure: returns what is
 * wrong, for the reason phrase of the 400, or undefined.
 */
import { parseUri, parseVia } from './header-values.js';
import { splitList, type SipRequest } from './message.js';

/** §8.1.1: the headers every request carries (Max-Forwards aside: RFC 2543 peers omit it, RFC 4475 §3.4.1). */
const MANDATORY: ReadonlyArray<[key: string, name: string]> = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

/** Headers that carry one value (§7.3.1: only list headers may repeat; RFC 4475 §3.3.8). */
const SINGLE: ReadonlyArray<[key: string, name: string]> = [
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['from', 'From'],
  ['to', 'To'],
  ['max-forwards', 'Max-Forwards'],
  ['content-type', 'Content-Type'],
  ['date', 'Date'],
  ['expires', 'Expires'],
];

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** gen-value as token / host (IPv6 references and bare IPv6 in `received`, RFC 5118 §4.4). */
const GEN_VALUE = /^[A-Za-z0-9\-.!%*_+`'~:[\]]+$/;
const SCHEME_URI = /^[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>"]+$/;
/** §20.17 rfc1123-date, GMT only (RFC 4475 §3.1.2.12). */
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Index just past the quoted-string starting at `from` (which is a '"'), or -1 when it never closes. */
function skipQuoted(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

/** `*( SEMI generic-param )` with LWS around ';' and '=' (§25.1 SEMI, EQUAL); no empty parameter. */
function validParams(text: string): boolean {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  ws();
  while (i < n) {
    if (text[i] !== ';') return false;
    i++;
    ws();
    const nameStart = i;
    while (i < n && !' \t;='.includes(text[i])) i++;
    if (!TOKEN.test(text.slice(nameStart, i))) return false;
    ws();
    if (text[i] === '=') {
      i++;
      ws();
      if (text[i] === '"') {
        const end = skipQuoted(text, i);
        if (end < 0) return false;
        i = end;
      } else {
        const valueStart = i;
        while (i < n && !' \t;'.includes(text[i])) i++;
        if (!GEN_VALUE.test(text.slice(valueStart, i))) return false;
      }
      ws();
    }
  }
  return true;
}

/**
 * name-addr or addr-spec with header parameters (§20.10, §20.20, §20.39). Beyond the RFC's
 * token rule, an unquoted display name is refused only for the characters that change how the
 * header splits (`,` `;` `"`), so deployed names like `John (Home)` still pass.
 */
export function validNameAddr(text: string, allowStar = false): boolean {
  const t = text.trim();
  if (allowStar && t === '*') return true;
  let lt = -1;
  if (t.startsWith('"')) {
    const end = skipQuoted(t, 0);
    if (end < 0) return false;
    lt = t.indexOf('<', end);
    if (lt < 0 || t.slice(end, lt).trim() !== '') return false;
  } else {
    lt = t.indexOf('<');
    if (lt >= 0 && /[",;]/.test(t.slice(0, lt))) return false;
  }
  if (lt >= 0) {
    const gt = t.indexOf('>', lt);
    if (gt < 0) return false;
    // §25.1 LAQUOT/RAQUOT: no whitespace inside the brackets (RFC 4475 §3.1.2.14).
    if (!SCHEME_URI.test(t.slice(lt + 1, gt))) return false;
    return validParams(t.slice(gt + 1));
  }
  // §20.10: an addr-spec with a comma, question mark or semicolon must be in <> (RFC 4475 §3.1.2.13).
  const semi = t.indexOf(';');
  const uri = (semi < 0 ? t : t.slice(0, semi)).trim();
  if (!SCHEME_URI.test(uri) || /[,?]/.test(uri)) return false;
  return validParams(semi < 0 ? '' : t.slice(semi));
}

/** Splits at commas outside quotes and brackets, keeping empty elements (`a,,b` has three). */
function splitKeepingEmpty(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle++;
    else if (c === '>' && angle > 0) angle--;
    else if (c === ',' && angle === 0) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

/** §20.42: every element a `SIP/2.0/transport sent-by` with well-formed parameters (RFC 4475 §3.1.2.1). */
function validVia(value: string): boolean {
  for (const element of splitKeepingEmpty(value)) {
    const via = parseVia(element);
    if (!via || via.version !== '2.0') return false;
    const semi = element.indexOf(';');
    if (semi >= 0 && !validParams(element.slice(semi))) return false;
  }
  return true;
}

/**
 * §19.1.1 and RFC 5118: a sip/sips Request-URI has a host (an IPv6 address only in brackets)
 * and no headers component (RFC 4475 §3.1.2.11). Other schemes are judged by the core (416).
 */
function validRequestUri(uri: string): boolean {
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return true;
  const u = parseUri(uri);
  return u !== undefined && u.host !== '' && u.headers === undefined;
}

function rows(req: SipRequest, key: string): string[] {
  const out: string[] = [];
  for (const r of req.headers.entries()) if (r.key === key) out.push(r.value);
  return out;
}

/** The first thing wrong with the request, as a few words for the 400 reason phrase, or undefined. */
export function requestDefect(req: SipRequest): string | undefined {
  const missing = MANDATORY.filter(([key]) => !req.headers.has(key)).map(([, name]) => name);
  if (missing.length) return `missing ${missing.join(', ')}`;
  for (const [key, name] of SINGLE) {
    const values = rows(req, key);
    if (values.length > 1) return `multiple ${name}`;
  }
  if (!validRequestUri(req.uri)) return 'Request-URI';
  for (const [key, name] of [['from', 'From'], ['to', 'To']] as const) {
    const value = rows(req, key)[0];
    if (splitList(value).length !== 1 || !validNameAddr(value)) return name;
  }
  for (const value of rows(req, 'contact')) {
    for (const element of splitKeepingEmpty(value)) if (!validNameAddr(element, true)) return 'Contact';
  }
  for (const value of rows(req, 'via')) if (!validVia(value)) return 'Via';
  const mf = req.headers.get('max-forwards');
  // §20.22: 0-255.
  if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) return 'Max-Forwards';
  const date = req.headers.get('date');
  if (date !== undefined && !RFC1123.test(date)) return 'Date';
  return undefined;
}

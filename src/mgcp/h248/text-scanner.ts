/**
 * The lexical layer of the H.248.1 text encoding (RFC 3525 §B.2): LWSP with comments, SafeChar
 * words, quoted strings, the octet strings of Local/Remote, and the punctuation that carries its
 * own white space (EQUAL, COMMA, LBRKT, RBRKT, LSBRKT, RSBRKT). The grammar is context-dependent
 * ("Add" is a token or a NAME by position), so the parser pulls what it expects from here.
 * Failures throw {@link ParseFailure}; the codec turns it into a value, callers never see it.
 */
import { isIPv6 } from 'node:net';
import { LIMITS } from './constants.js';

export class ParseFailure {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {}
}

/** SafeChar = DIGIT / ALPHA / "+" / "-" / "&" / "!" / "_" / "/" / "'" / "?" / "@" / "^" / "`" / "~" / "*" / "$" / "\" / "(" / ")" / "%" / "|" / "." */
export const SAFE = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of "+-&!_/'?@^`~*$\\()%|.") t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** Characters allowed inside a quotedString: SafeChar / RestChar / WSP (no DQUOTE, no line ends). */
export function isQuotable(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c <= 0x7e && c !== 0x22);
}

export const C = {
  HTAB: 0x09,
  LF: 0x0a,
  CR: 0x0d,
  SP: 0x20,
  DQUOTE: 0x22,
  HASH: 0x23,
  COMMA: 0x2c,
  COLON: 0x3a,
  SEMI: 0x3b,
  LT: 0x3c,
  EQUAL: 0x3d,
  GT: 0x3e,
  LSBRKT: 0x5b,
  BACKSLASH: 0x5c,
  RSBRKT: 0x5d,
  LBRKT: 0x7b,
  RBRKT: 0x7d,
} as const;

export class Scanner {
  pos = 0;

  constructor(readonly s: string) {}

  fail(reason: string, at = this.pos): never {
    throw new ParseFailure(reason, at);
  }

  get atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  peek(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  /** LWSP = *(WSP / COMMENT / EOL); COMMENT = ";" *(SafeChar / RestChar / WSP / %x22) EOL. */
  lwsp(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === C.SP || c === C.HTAB || c === C.CR || c === C.LF) p++;
      else if (c === C.SEMI) {
        p++;
        while (p < s.length) {
          const d = s.charCodeAt(p);
          if (d === C.CR || d === C.LF) break;
          if (d !== C.HTAB && (d < 0x20 || d > 0x7e)) this.fail('control character in comment', p);
          p++;
        }
      } else break;
    }
    this.pos = p;
  }

  /** SEP = (WSP / EOL / COMMENT) LWSP: at least one separator. */
  sep(what: string): void {
    const c = this.peek();
    if (c !== C.SP && c !== C.HTAB && c !== C.CR && c !== C.LF && c !== C.SEMI) this.fail(`separator expected after ${what}`);
    this.lwsp();
  }

  /** Consumes `ch` surrounded by LWSP when it comes next; false (nothing consumed) otherwise. */
  punct(ch: number): boolean {
    const save = this.pos;
    this.lwsp();
    if (this.peek() === ch) {
      this.pos++;
      this.lwsp();
      return true;
    }
    this.pos = save;
    return false;
  }

  expect(ch: number, what: string): void {
    if (!this.punct(ch)) this.fail(`${what} expected`);
  }

  /** The next character after LWSP, without consuming anything. */
  peekAfterLwsp(): number {
    const save = this.pos;
    this.lwsp();
    const c = this.peek();
    this.pos = save;
    return c;
  }

  /** 1*SafeChar, bounded. */
  word(what: string): string {
    const s = this.s;
    const start = this.pos;
    let p = start;
    while (p < s.length && SAFE[s.charCodeAt(p)] === 1) p++;
    if (p === start) this.fail(`${what} expected`);
    if (p - start > LIMITS.maxValueLength) this.fail(`${what} longer than ${LIMITS.maxValueLength} characters`, start);
    this.pos = p;
    return s.slice(start, p);
  }

  /** The SafeChar word that comes next (after LWSP), without consuming it; "" when none. */
  peekWord(): string {
    const save = this.pos;
    this.lwsp();
    const s = this.s;
    let p = this.pos;
    while (p < s.length && SAFE[s.charCodeAt(p)] === 1 && p - this.pos <= LIMITS.maxValueLength) p++;
    const w = s.slice(this.pos, p);
    this.pos = save;
    return w;
  }

  /** quotedString = DQUOTE *(SafeChar / RestChar / WSP) DQUOTE; the content without quotes. */
  quoted(): string {
    const s = this.s;
    if (this.peek() !== C.DQUOTE) this.fail('quoted string expected');
    const start = this.pos + 1;
    let p = start;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === C.DQUOTE) break;
      if (!isQuotable(c)) this.fail('character not allowed in a quoted string', p);
      p++;
    }
    if (p >= s.length) this.fail('unterminated quoted string', start - 1);
    if (p - start > LIMITS.maxValueLength) this.fail(`quoted string longer than ${LIMITS.maxValueLength} characters`, start);
    this.pos = p + 1;
    return s.slice(start, p);
  }

  /** VALUE = quotedString / 1*(SafeChar). */
  value(what: string): string {
    return this.peek() === C.DQUOTE ? this.quoted() : this.word(what);
  }

  /**
   * octetString = *(nonEscapeChar), nonEscapeChar = ("\}" / %x01-7C / %x7E-FF), read after the
   * LBRKT up to the unescaped "}" (consumed). White space and line ends around it are dropped:
   * they belong to LBRKT/RBRKT.
   */
  octets(): string {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === C.SP || c === C.HTAB || c === C.CR || c === C.LF) p++;
      else break;
    }
    const start = p;
    let escaped = false;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === C.RBRKT) break;
      if (c === 0) this.fail('NUL in octet string', p);
      if (c === C.BACKSLASH && s.charCodeAt(p + 1) === C.RBRKT) {
        escaped = true;
        p += 2;
        continue;
      }
      p++;
    }
    if (p >= s.length) this.fail('unterminated octet string', start);
    let end = p;
    while (end > start) {
      const c = s.charCodeAt(end - 1);
      if (c === C.SP || c === C.HTAB || c === C.CR || c === C.LF) end--;
      else break;
    }
    this.pos = p + 1;
    this.lwsp();
    const raw = s.slice(start, end);
    return escaped ? raw.replaceAll('\\}', '}') : raw;
  }

  /** Everything up to (not including) the next "}" — for digit map values, which hold no braces. */
  until(ch: number, what: string, max: number): string {
    const s = this.s;
    const start = this.pos;
    const end = s.indexOf(String.fromCharCode(ch), start);
    if (end < 0) this.fail(`unterminated ${what}`);
    if (end - start > max) this.fail(`${what} longer than ${max} characters`);
    this.pos = end;
    return s.slice(start, end);
  }
}

// ---------------------------------------------------------------- lexical shapes (§B.2)


/** NAME = ALPHA *63(ALPHA / DIGIT / "_") */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** pkgdName = (PackageName SLASH ItemID) / (PackageName SLASH "*") / ("*" SLASH "*") */
export const PKGD_RE = /^(?:[A-Za-z][A-Za-z0-9_]{0,63}\/(?:[A-Za-z][A-Za-z0-9_]{0,63}|\*)|\*\/\*)$/;
/** pathNAME = ["*"] NAME *("/" / "*" / ALPHA / DIGIT / "_" / "$") ["@" pathDomainName] */
const PATH_NAME_RE = /^\*?[A-Za-z][A-Za-z0-9_]{0,63}[/*A-Za-z0-9_$]*(?:@[A-Za-z0-9*][A-Za-z0-9\-*.]{0,63})?$/;
/** extensionParameter = "X" ("-" / "+") 1*6(ALPHA / DIGIT) */
export const EXTENSION_RE = /^[Xx][-+][A-Za-z0-9]{1,6}$/;
/** TimeStamp = Date "T" Time; Date = 8(DIGIT); Time = 8(DIGIT) */
export const TIMESTAMP_RE = /^[0-9]{8}[Tt][0-9]{8}$/;
export const DOMAIN_RE = /^[A-Za-z0-9][A-Za-z0-9\-.]{0,63}$/;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const IPV6_CHARS_RE = /^[0-9A-Fa-f:.]{2,45}$/;
export const HEX_AUTH_RE = /^0[xX][0-9A-Fa-f]{8}$/;
export const HEX_AUTH_DATA_RE = /^0[xX][0-9A-Fa-f]{24,64}$/;
export const MTP_RE = /^[0-9A-Fa-f]{4,8}$/;
export const DIGITS_RE = /^[0-9]{1,10}$/;
/** The characters a digit map may hold once its white space is removed. */
const DIGIT_MAP_RE = /^[0-9A-Ka-kLlSsTtZzXx.\-[\]()|]+$/;

export function isTerminationId(s: string): boolean {
  if (s.length === 0 || s.length > LIMITS.maxTerminationIdLength) return false;
  return s === '$' || s === '*' || PATH_NAME_RE.test(s);
}

export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

export function isIPv6Address(s: string): boolean {
  return IPV6_CHARS_RE.test(s) && isIPv6(s);
}

/** The digit map without white space when it follows §B.2 digitMap, else undefined. */
export function normalizeDigitMap(raw: string): string | undefined {
  const body = raw.replace(/[ \t\r\n]+/g, '');
  if (body.length === 0 || body.length > LIMITS.maxValueLength || !DIGIT_MAP_RE.test(body)) return undefined;
  const inner = body.startsWith('(') ? (body.endsWith(')') ? body.slice(1, -1) : undefined) : body;
  if (inner === undefined) return undefined;
  for (const alt of inner.split('|')) {
    // digitString = 1*(digitPosition [DOT]); digitPosition = letter / "x" / "[" digitLetter "]"
    if (!/^(?:(?:[0-9A-Ka-kLlSsTtZzXx]|\[(?:[0-9]-[0-9]|[0-9A-Ka-kLlSsTtZz])*\])\.?)+$/.test(alt)) return undefined;
  }
  return body;
}

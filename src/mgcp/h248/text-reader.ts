/**
 * The shared reading rules of the H.248.1 v1 text grammar (RFC 3525 §B.2) over {@link Scanner}:
 * tokens in either form and any case, EQUAL/LBRKT/RBRKT/COMMA with their white space, bounded
 * lists, UINT16/UINT32, names, TerminationID, ContextID, RequestID and mId. The descriptor and
 * message rules build on it ({@link DescriptorReader}, {@link TextParser}).
 */
import { LIMITS, MAX_UINT16, MAX_UINT32, tokenOf, type Token } from './constants.js';
import type { ContextId, Mid, RequestId } from './messages.js';
import { C, DIGITS_RE, DOMAIN_RE, isIPv4, isIPv6Address, isTerminationId, MTP_RE, Scanner } from './text-scanner.js';

export class GrammarReader {
  protected readonly sc: Scanner;

  constructor(text: string) {
    this.sc = new Scanner(text);
  }

  get offset(): number {
    return this.sc.pos;
  }


  protected tok(what: string): Token | undefined {
    this.sc.lwsp();
    const save = this.sc.pos;
    const w = this.sc.word(what);
    const t = tokenOf(w);
    if (t === undefined) this.sc.pos = save;
    return t;
  }

  protected expectTok(expected: Token, what: string): void {
    const at = this.sc.pos;
    if (this.tok(what) !== expected) this.sc.fail(`${what} expected`, at);
  }

  protected equal(): void {
    this.sc.expect(C.EQUAL, '"="');
  }

  protected lbrkt(): void {
    this.sc.expect(C.LBRKT, '"{"');
  }

  protected rbrkt(): void {
    this.sc.expect(C.RBRKT, '"}"');
  }

  /** "{" item *("," item) "}" — or, with `allowEmpty`, "{" "}". The opening brace is consumed here. */
  protected list<T>(item: () => T, what: string, allowEmpty = false): T[] {
    this.lbrkt();
    const out: T[] = [];
    if (allowEmpty && this.sc.punct(C.RBRKT)) return out;
    do {
      if (out.length >= LIMITS.maxListItems) this.sc.fail(`more than ${LIMITS.maxListItems} items in ${what}`);
      out.push(item());
    } while (this.sc.punct(C.COMMA));
    this.rbrkt();
    return out;
  }

  protected uint(max: number, what: string): number {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word(what);
    if (!DIGITS_RE.test(w)) this.sc.fail(`${what}: digits expected`, at);
    const n = Number(w);
    if (n > max) this.sc.fail(`${what} out of range`, at);
    return n;
  }

  protected uint32(what: string): number {
    return this.uint(MAX_UINT32, what);
  }

  protected uint16(what: string): number {
    return this.uint(MAX_UINT16, what);
  }

  protected name(re: RegExp, what: string): string {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word(what);
    if (!re.test(w)) this.sc.fail(`malformed ${what}`, at);
    return w;
  }

  protected terminationId(): string {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('TerminationID');
    if (!isTerminationId(w)) this.sc.fail('malformed TerminationID', at);
    return w;
  }

  protected contextId(): ContextId {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('ContextID');
    if (w === '-' || w === '$' || w === '*') return w;
    if (!DIGITS_RE.test(w) || Number(w) > MAX_UINT32) this.sc.fail('malformed ContextID', at);
    return Number(w);
  }

  protected requestId(): RequestId {
    this.sc.lwsp();
    const at = this.sc.pos;
    const w = this.sc.word('RequestID');
    if (w === '*') return w;
    if (!DIGITS_RE.test(w) || Number(w) > MAX_UINT32) this.sc.fail('malformed RequestID', at);
    return Number(w);
  }

  protected quotedOrWordValue(what: string): string {
    this.sc.lwsp();
    return this.sc.value(what);
  }


  /** The word after the next "{", without consuming anything. */
  protected peekAfterBrace(): string {
    const save = this.sc.pos;
    let w = '';
    if (this.sc.punct(C.LBRKT)) w = this.sc.peekWord();
    this.sc.pos = save;
    return w;
  }

  /** mId = ((domainAddress / domainName) [":" portNumber]) / mtpAddress / deviceName */
  mid(): Mid {
    const sc = this.sc;
    const c = sc.peek();
    const start = sc.pos;
    if (c === C.LSBRKT || c === C.LT) {
      const close = c === C.LSBRKT ? ']' : '>';
      const end = sc.s.indexOf(close, start + 1);
      if (end < 0 || end - start > 66) sc.fail('unterminated address in mId');
      const inner = sc.s.slice(start + 1, end);
      sc.pos = end + 1;
      let port: number | undefined;
      if (sc.peek() === C.COLON) {
        sc.pos++;
        const at = sc.pos;
        const p = sc.word('portNumber');
        if (!/^[0-9]{1,5}$/.test(p) || Number(p) > MAX_UINT16) sc.fail('malformed portNumber', at);
        port = Number(p);
      }
      const withPort = port !== undefined ? { port } : {};
      if (c === C.LT) {
        if (!DOMAIN_RE.test(inner)) sc.fail('malformed domainName', start);
        return { kind: 'domain', name: inner, ...withPort };
      }
      if (isIPv4(inner)) return { kind: 'ip4', address: inner, ...withPort };
      if (isIPv6Address(inner)) return { kind: 'ip6', address: inner, ...withPort };
      return sc.fail('malformed domainAddress', start);
    }
    const w = sc.word('mId');
    if (tokenOf(w) === 'Mtp' && sc.peekAfterLwsp() === C.LBRKT) {
      // mtpAddress = MTPToken LBRKT 4*8(HEXDIG) RBRKT
      this.lbrkt();
      const at = sc.pos;
      const hex = sc.word('MTP address');
      if (!MTP_RE.test(hex)) sc.fail('malformed MTP address', at);
      this.rbrkt();
      return { kind: 'mtp', address: hex };
    }
    if (!isTerminationId(w) || w === '$' || w === '*') sc.fail('malformed deviceName', start);
    return { kind: 'device', name: w };
  }

}

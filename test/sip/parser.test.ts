import { mulberry32 } from '../../src/util/prng.js';
import { describe, expect, it } from 'vitest';
import { parseMessage, type ParseResult } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { parseCSeq, parseNameAddr, parseUri, parseVia } from '../../src/sip/header-values.js';
import type { SipMessage } from '../../src/sip/message.js';
import { LIMITS } from '../../src/sip/constants.js';
import { crlf, invite, SDP } from './fixtures.js';

function ok(r: ParseResult): SipMessage {
  if (!r.ok) throw new Error(`expected a message, got ${r.error.code}: ${r.error.detail}`);
  return r.message;
}

function err(r: ParseResult) {
  if (r.ok) throw new Error('expected a parse error');
  return r.error;
}

describe('SIP parser: well-formed messages', () => {
  it('parses an INVITE with SDP and reads the headers the call layer needs', () => {
    const m = ok(parseMessage(invite()));
    expect(m.kind).toBe('request');
    if (m.kind !== 'request') return;
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:+4930123456@198.51.100.1');
    expect(m.headers.get('call-id')).toBe('call-1@192.0.2.10');
    expect(parseNameAddr(m.headers.get('from')!)).toMatchObject({ displayName: 'Alice', uri: 'sip:+4940111@192.0.2.10', tag: 'a1' });
    expect(parseUri(m.uri)).toMatchObject({ scheme: 'sip', user: '+4930123456', host: '198.51.100.1' });
    expect(m.headers.get('P-Asserted-Identity')).toBe('<sip:+4940111@192.0.2.10;user=phone>');
    expect(m.body.toString()).toBe(SDP);
  });

  it('parses a response with a multi-word reason phrase', () => {
    const m = ok(parseMessage(crlf(['SIP/2.0 183 Session Progress', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''])));
    expect(m).toMatchObject({ kind: 'response', status: 183, reason: 'Session Progress' });
  });

  it('accepts compact header forms (RFC 3261 §7.3.3)', () => {
    const m = ok(parseMessage(crlf(['OPTIONS sip:x@h SIP/2.0', 'v: SIP/2.0/UDP h:5062;branch=z9hG4bKc', 'f: <sip:a@h>;tag=1', 't: sip:x@h', 'i: cid', 'CSeq: 1 OPTIONS', 'm: <sip:a@h>', 'l: 0', '', ''])));
    expect(m.headers.get('Via')).toBe('SIP/2.0/UDP h:5062;branch=z9hG4bKc');
    expect(m.headers.get('from')).toBe('<sip:a@h>;tag=1');
    expect(m.headers.get('Call-ID')).toBe('cid');
    expect(m.headers.get('contact')).toBe('<sip:a@h>');
    expect(m.headers.get('i')).toBe('cid');
  });

  it('splits multi-valued headers across rows and commas, not inside quotes or <>', () => {
    const m = ok(parseMessage(crlf([
      'BYE sip:x@h SIP/2.0',
      'Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/UDP p2;branch=z9hG4bK2',
      'Via: SIP/2.0/UDP p3;branch=z9hG4bK3',
      'Record-Route: "Proxy, Inc" <sip:p1;lr>, <sip:p2;lr;x="a,b">',
      'From: <sip:a@h>;tag=1', 'To: <sip:x@h>;tag=2', 'Call-ID: c', 'CSeq: 2 BYE', 'Content-Length: 0', '', '',
    ])));
    expect(m.headers.getAll('via').map((v) => parseVia(v)?.host)).toEqual(['p1', 'p2', 'p3']);
    expect(m.headers.getAll('record-route')).toEqual(['"Proxy, Inc" <sip:p1;lr>', '<sip:p2;lr;x="a,b">']);
    expect(m.headers.get('via')).toBe('SIP/2.0/UDP p1;branch=z9hG4bK1');
  });

  it('unfolds continuation lines and tolerates odd whitespace (RFC 4475 §3.1.1.1 "wsinv" style)', () => {
    const m = ok(parseMessage(crlf([
      'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
      'TO :',
      ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
      'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
      '  ;',
      '  tag = 98asjd8',
      'MaX-fOrWaRdS: 0068',
      'Call-ID: wsinv.ndaksdj@192.0.2.1',
      'Content-Length   : 0',
      'cseq: 0009',
      '  INVITE',
      'Via  : SIP  /   2.0',
      ' /UDP',
      '    192.0.2.2;branch=390skdjuw',
      's :',
      'NewFangledHeader:   newfangled value',
      ' continued newfangled value',
      'UnknownHeaderWithUnusualValue: ;;,,;;,;',
      '', '',
    ])));
    expect(parseCSeq(m.headers.get('cseq')!)).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseVia(m.headers.get('via')!)).toMatchObject({ transport: 'UDP', host: '192.0.2.2', branch: '390skdjuw' });
    expect(m.headers.get('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(parseNameAddr(m.headers.get('to')!)?.uri).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(m.headers.get('subject')).toBe('');
  });

  it('accepts an unusual but legal method token and URI scheme (RFC 4475 "intmeth", "novelsc")', () => {
    const meth = "!interesting-Method0123456789_*+`.%indeed'~";
    const m = ok(parseMessage(crlf([`${meth} sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0`, 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', `CSeq: 3882340 ${meth}`, 'Content-Length: 0', '', ''])));
    expect(m.kind === 'request' && m.method).toBe(meth);
    const n = ok(parseMessage(crlf(['OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0', '', ''])));
    expect(n.kind === 'request' && n.uri).toBe('soap.beep://192.0.2.103:3002');
  });

  it('skips leading CRLFs and takes the body up to Content-Length only', () => {
    const m = ok(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), crlf(['MESSAGE sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 5', '', 'helloEXTRA'])])));
    expect(m.body.toString()).toBe('hello');
  });

  it('takes the rest of the datagram as body when Content-Length is absent (RFC 3261 §18.3)', () => {
    const m = ok(parseMessage(crlf(['MESSAGE sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', '', 'hello'])));
    expect(m.body.toString()).toBe('hello');
  });

  it('accepts bare-LF line ends', () => {
    const m = ok(parseMessage(Buffer.from('OPTIONS sip:x@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nContent-Length: 0\n\n')));
    expect(m.headers.get('via')).toContain('branch=z9hG4bK1');
  });
});

describe('SIP parser: hostile and malformed input gives typed errors', () => {
  const base = ['INVITE sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@h>;tag=1', 'To: <sip:x@h>', 'Call-ID: c', 'CSeq: 1 INVITE'];
  const cases: Array<[string, Buffer, string, number]> = [
    ['empty datagram', Buffer.alloc(0), 'empty', 400],
    ['only CRLFs', Buffer.from('\r\n\r\n\r\n'), 'empty', 400],
    ['no blank line after headers', Buffer.from(base.join('\r\n')), 'no-header-end', 400],
    ['negative Content-Length (RFC 4475 "ncl")', crlf([...base, 'Content-Length: -999', '', '']), 'bad-content-length', 400],
    ['two different Content-Lengths (RFC 4475 "mcl01")', crlf([...base, 'Content-Length: 0', 'l: 5', '', 'hello']), 'bad-content-length', 400],
    ['Content-Length larger than the body (RFC 4475 "clerr")', crlf([...base, 'Content-Length: 9999', '', 'v=0']), 'truncated-body', 400],
    ['Content-Length with letters', crlf([...base, 'Content-Length: 1e3', '', '']), 'bad-content-length', 400],
    ['SIP/7.0 (RFC 4475 "badvers")', crlf(['OPTIONS sip:t.watson@example.org SIP/7.0', ...base.slice(1), 'Content-Length: 0', '', '']), 'bad-version', 505],
    ['garbage start line', crlf(['HELLO', ...base.slice(1), '', '']), 'bad-start-line', 400],
    ['extra spaces in request line (RFC 4475 "lwsruri")', crlf(['INVITE  sip:x@h  SIP/2.0', ...base.slice(1), '', '']), 'bad-start-line', 400],
    ['status code out of range', crlf(['SIP/2.0 999 Bad', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', '', '']), 'bad-start-line', 400],
    ['header line without colon', crlf([...base, 'NoColonHere', '', '']), 'bad-header', 400],
    ['header name with space (RFC 4475 style)', crlf([...base, 'Bad Name: x', '', '']), 'bad-header', 400],
    ['oversized datagram', Buffer.alloc(LIMITS.maxMessageBytes + 1, 0x41), 'too-large', 413],
    ['too many headers', crlf([...base, ...Array.from({ length: LIMITS.maxHeaders + 1 }, (_, i) => `X-H${i}: ${i}`), '', '']), 'too-many-headers', 413],
    ['over-long header line', crlf([...base, `X-Long: ${'a'.repeat(LIMITS.maxLineChars + 1)}`, '', '']), 'line-too-long', 400],
    ['binary noise', Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]), 'bad-start-line', 400],
  ];
  for (const [name, buf, code, status] of cases) {
    it(name, () => {
      const e = err(parseMessage(buf));
      expect(e.code).toBe(code);
      expect(e.status).toBe(status);
    });
  }

  it('keeps the request line and headers of a request it rejects, so the core can answer 400', () => {
    const e = err(parseMessage(crlf([...base, 'Content-Length: -1', '', ''])));
    expect(e.partial?.method).toBe('INVITE');
    expect(e.partial?.headers.get('call-id')).toBe('c');
  });
});

describe('SIP serialiser', () => {
  it('round-trips an INVITE: parse → serialise → parse gives the same message', () => {
    const a = ok(parseMessage(invite()));
    const bytes = serializeMessage(a);
    const b = ok(parseMessage(bytes));
    expect(b.headers.entries().map((r) => [r.key, r.value])).toEqual(a.headers.entries().map((r) => [r.key, r.value]));
    expect(b.body.equals(a.body)).toBe(true);
    expect(bytes.toString('latin1')).toMatch(/^INVITE sip:\+4930123456@198\.51\.100\.1 SIP\/2\.0\r\nVia: /);
  });

  it('writes Content-Length from the body, not from the header it was given', () => {
    const m = ok(parseMessage(crlf(['MESSAGE sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 2', '', 'hi'])));
    m.body = Buffer.from('hello world');
    const text = serializeMessage(m).toString();
    expect(text).toContain('Content-Length: 11\r\n\r\nhello world');
    expect(text.match(/Content-Length/g)).toHaveLength(1);
  });

  it('never lets a CR/LF in a header value start a new header', () => {
    const m = ok(parseMessage(crlf(['OPTIONS sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0', '', ''])));
    m.headers.set('Reason', 'Q.850;cause=16\r\nEvil: yes');
    const back = ok(parseMessage(serializeMessage(m)));
    expect(back.headers.has('evil')).toBe(false);
  });
});


describe('SIP parser: seeded fuzz', () => {
  it('20,000 mutated and random inputs: no throw, every result a message or a typed error', () => {
    const rnd = mulberry32(0x5151);
    const seeds = [invite(), crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:x@h>;tag=2', 'CSeq: 1 INVITE', 'Content-Length: 3', '', 'abc'])];
    const special = [0x0d, 0x0a, 0x3a, 0x20, 0x09, 0x2c, 0x3b, 0x3c, 0x3e, 0x22, 0x00, 0xff, 0x30, 0x2d];
    const codes = new Set(['too-large', 'empty', 'no-header-end', 'bad-start-line', 'bad-version', 'line-too-long', 'too-many-headers', 'bad-header', 'bad-content-length', 'truncated-body']);
    let messages = 0;
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 10 === 0) {
        buf = Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
      } else {
        buf = Buffer.from(seeds[i % 2]);
        const edits = 1 + Math.floor(rnd() * 6);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rnd() * buf.length);
          const op = rnd();
          if (op < 0.4) buf[at] = rnd() < 0.6 ? special[Math.floor(rnd() * special.length)] : Math.floor(rnd() * 256);
          else if (op < 0.6) buf = buf.subarray(0, at);
          else if (op < 0.8) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + Math.floor(rnd() * 40)), buf.subarray(at)]);
          else buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + Math.floor(rnd() * 20)))]);
        }
      }
      const r = parseMessage(buf);
      if (r.ok) {
        messages++;
        const again = parseMessage(serializeMessage(r.message));
        expect(again.ok).toBe(true);
      } else {
        expect(codes.has(r.error.code)).toBe(true);
      }
    }
    expect(messages).toBeGreaterThan(1000);
  });
});

describe('header values after the torture vectors (RFC 4475, RFC 5118)', () => {
  it("a '?' in the user part is not a headers component; one after the host is", () => {
    expect(parseUri('sip:a?b@example.com')).toMatchObject({ user: 'a?b', host: 'example.com', headers: undefined });
    expect(parseUri('sip:user@example.com?Route=%3Csip:x%3E')).toMatchObject({ user: 'user', host: 'example.com', headers: 'Route=%3Csip:x%3E' });
  });

  it('an IPv6 address is a host only in brackets, and only when it is an IPv6 address', () => {
    expect(parseUri('sip:[2001:db8::10]:5070')).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
    expect(parseUri('sip:[2001:db8::10:5070]')).toMatchObject({ host: '[2001:db8::10:5070]', port: undefined });
    expect(parseUri('sip:2001:db8::10')).toBeUndefined();
    expect(parseUri('sip:user@[2001:db8:::192.0.2.1]')).toBeUndefined();
    expect(parseUri('sip:user@exa mple.com')).toBeUndefined();
  });

  it("a '<' inside a quoted display name does not open the URI", () => {
    expect(parseNameAddr('"a <b>" <sip:c@example.com>;tag=1')).toMatchObject({ displayName: 'a <b>', uri: 'sip:c@example.com', tag: '1' });
  });

  it('a Via of another protocol version parses with its version (for the 505)', () => {
    expect(parseVia('SIP/7.0/UDP c.example.com;branch=z9hG4bKx')).toMatchObject({ version: '7.0', host: 'c.example.com' });
  });

  it('a request line with extra spaces is refused with the request kept, so a 400 can be sent', () => {
    const r = parseMessage(Buffer.from('INVITE  sip:a@b  SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.partial?.headers.get('via')).toBe('SIP/2.0/UDP h;branch=z9hG4bK1');
  });
});


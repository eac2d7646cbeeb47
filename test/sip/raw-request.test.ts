import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRawResponse, rawHeader, scanRequest, tagOf } from '../../src/sip/raw-request.js';
import { buildResponse, responseDestination, stampReceived } from '../../src/sip/build.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import type { SipRequest } from '../../src/sip/message.js';
import { crlf, inDialog, invite } from './fixtures.js';

const src = { address: '203.0.113.7', port: 40123 };

/** What the full stack would send statelessly (build.ts), for comparison. */
function fullStack503(buf: Buffer, toTag: string) {
  const r = parseMessage(buf);
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  const req = r.message as SipRequest;
  stampReceived(req, src);
  return { res: buildResponse(req, 503, { toTag, headers: { 'Retry-After': '5' } }), to: responseDestination(req, src) };
}

describe('raw request scanner (the shedding fast path)', () => {
  it('reads method, Vias, From, To, Call-ID and CSeq of an INVITE as the full parser does', () => {
    const raw = scanRequest(invite({ extra: ['Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-second'] }))!;
    expect(raw).toMatchObject({ method: 'INVITE', from: '"Alice" <sip:+4940111@192.0.2.10>;tag=a1', to: '<sip:+4930123456@198.51.100.1>', toTag: undefined, callId: 'call-1@192.0.2.10', cseq: '1 INVITE', cseqMethod: 'INVITE' });
    expect(raw.vias).toEqual(['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc-1', 'SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-second']);
    expect(raw.topVia).toMatchObject({ host: '192.0.2.10', port: 5060, branch: 'z9hG4bK-abc-1', rport: false });
  });

  it('compact names (§7.3.3), any case, space before the colon, bare LF line ends', () => {
    const buf = Buffer.from('INVITE sip:a@b SIP/2.0\nv : SIP/2.0/UDP h.example;rport;branch=z9hG4bK-x\nF: <sip:c@d>;tag=9\nt: sip:a@b\ni:  id-1 \nCSEQ: 7 INVITE\nl: 0\n\n', 'latin1');
    expect(scanRequest(buf)).toMatchObject({ method: 'INVITE', from: '<sip:c@d>;tag=9', to: 'sip:a@b', toTag: undefined, callId: 'id-1', cseq: '7 INVITE', topVia: { host: 'h.example', port: undefined, rport: true } });
  });

  it('finds the To tag of name-addr and addr-spec forms, and only in the header parameters', () => {
    expect(scanRequest(inDialog('ACK', 'shedabc', 1))!.toTag).toBe('shedabc');
    expect(tagOf('<sip:a@b;tag=uri-param>')).toBeUndefined();
    expect(tagOf('<sip:a@b>;TAG = x1')).toBe('x1');
    expect(tagOf('sip:a@b;tag=y')).toBe('y');
    expect(tagOf('"quoted ;tag=no" <sip:a@b>')).toBeNull();
  });

  it('leaves to the full parser what it is not sure about', () => {
    const base = invite().toString('latin1');
    const cases = {
      folded: base.replace('Max-Forwards: 70', 'Max-Forwards:\r\n 70'),
      twoTo: base.replace('Max-Forwards: 70', 'To: <sip:x@y>'),
      quotedTo: base.replace('To: <sip:', 'To: "Bob" <sip:'),
      commaVia: base.replace(';branch=z9hG4bK-abc-1', ';branch=z9hG4bK-abc-1, SIP/2.0/UDP 10.0.0.1'),
      noCallId: base.replace(/Call-ID:[^\r]*\r\n/, ''),
      control: base.replace('call-1@', 'call\x01-1@'),
      unterminated: base.slice(0, base.indexOf('\r\n\r\n')),
      badVersion: base.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'),
      badCseq: base.replace('CSeq: 1 INVITE', 'CSeq: one INVITE'),
      badPort: base.replace('192.0.2.10:5060;', '192.0.2.10:70000;'),
    };
    for (const [name, text] of Object.entries(cases)) expect(scanRequest(Buffer.from(text, 'latin1')), name).toBeUndefined();
  });

  it('builds the same 503 as the full stack: Vias stamped with received and rport, To tag added, same destination', () => {
    for (const buf of [invite(), Buffer.from(invite().toString('latin1').replace(';branch=', ';rport;branch='), 'latin1'), invite({ port: 5080 })]) {
      const raw = scanRequest(buf)!;
      const ours = buildRawResponse(raw, src, { status: 503, reason: 'Service Unavailable', toTag: 't1', headers: [['Retry-After', '5']] });
      const theirs = fullStack503(buf, 't1');
      const parsed = parseMessage(ours.bytes);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok || parsed.message.kind !== 'response') return;
      expect(parsed.message.status).toBe(503);
      for (const h of ['via', 'from', 'to', 'call-id', 'cseq', 'retry-after']) expect(parsed.message.headers.get(h), h).toBe(theirs.res.headers.get(h));
      expect(ours.to).toEqual(theirs.to);
      expect(serializeMessage(theirs.res).length).toBeGreaterThan(0);
    }
  });

  it('gives an admission policy other headers by name', () => {
    const buf = invite({ extra: ['Event: refer'] });
    const raw = scanRequest(buf)!;
    expect(rawHeader(buf, raw, 'Event')).toBe('refer');
    expect(rawHeader(buf, raw, 'to')).toBe(raw.to);
    expect(rawHeader(buf, raw, 'x-absent')).toBeUndefined();
  });

  it('never throws on hostile bytes, and what it reads is a request the full parser also reads', () => {
    const seed = invite().toString('latin1');
    const mutated = fc.tuple(fc.nat(seed.length), fc.nat(40), fc.uint8Array({ maxLength: 40 })).map(([at, cut, bytes]) => Buffer.concat([Buffer.from(seed.slice(0, at), 'latin1'), Buffer.from(bytes), Buffer.from(seed.slice(at + cut), 'latin1')]));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a))), (buf) => {
        const raw = scanRequest(buf);
        if (raw) {
          const r = buildRawResponse(raw, src, { status: 503, reason: 'Service Unavailable', toTag: 'z' });
          expect(parseMessage(r.bytes).ok).toBe(true);
          expect(r.to.port).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000, seed: 4475 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { checkEncodable, decode, detectEncoding, encode, encodeText } from '../../../src/mgcp/h248/codec.js';
import { LIMITS, TOKEN_BY_TEXT, TOKENS } from '../../../src/mgcp/h248/constants.js';
import type { H248DecodeError, Message } from '../../../src/mgcp/h248/messages.js';
import { ABNF_ONLY, SAMPLES, SEGMENT_SAMPLES } from './samples.js';

const ALL = { ...SAMPLES, ...ABNF_ONLY, ...SEGMENT_SAMPLES };

function decodeOk(text: string): Message {
  const m = decode(text);
  if (m.type === 'error') throw new Error(`${m.reason} at ${m.offset}: ${JSON.stringify(text.slice(m.offset, m.offset + 30))}`);
  return m;
}

function decodeErr(text: string): H248DecodeError {
  const m = decode(text);
  if (m.type !== 'error') throw new Error(`accepted: ${text}`);
  return m;
}

describe('H.248 text codec', () => {
  it('v3 segmentation: Segment/SM and END/& in both encodings; refused below version 3 and out of range', () => {
    expect(encode(SEGMENT_SAMPLES.segment_reply_complete).toString('latin1')).toContain('Segment = 4711/2/END');
    expect(encode(SEGMENT_SAMPLES.segment_reply_complete, { encoding: 'compact' }).toString('latin1')).toContain('SM=4711/2/&');
    expect(encode(SEGMENT_SAMPLES.reply_segment_last_error, { encoding: 'compact' }).toString('latin1')).toContain('P=4712/3/&{ER=500{}}');
    expect(decodeOk('MEGACO/3 <mg>\nreply = 5/2/end { error = 500 { } }').transactions[0]).toMatchObject({ type: 'reply', id: 5, segment: { number: 2, complete: true } });
    expect(decodeErr('MEGACO/1 <mg>\nSegment = 7/1').reason).toMatch(/version 3/);
    expect(decodeErr('MEGACO/1 <mg>\nReply = 7/1 { Error = 500 { } }').reason).toMatch(/version 3/);
    decodeErr('MEGACO/3 <mg>\nSegment = 7');
    decodeErr('MEGACO/3 <mg>\nSegment = 7/65536');
    decodeErr('MEGACO/3 <mg>\nSegment = 7/1/X');
    decodeErr('MEGACO/3 <mg>\nSegment = 7/1/END/2');
    decodeErr('MEGACO/3 <mg>\nTransaction = 7/1 { Context = - { AuditValue = a } }');
    expect(checkEncodable({ ...SEGMENT_SAMPLES.segment_reply, version: 1 })).toMatch(/version 3/);
  });

  it('has one token for every spelling, pretty and compact (RFC 3525 §B.3)', () => {
    const forms = Object.values(TOKENS).flatMap(([p, c]) => (p === c ? [p] : [p, c]));
    expect(TOKEN_BY_TEXT.size).toBe(new Set(forms.map((f) => f.toUpperCase())).size);
    expect(TOKEN_BY_TEXT.get('SC')).toBe('ServiceChange');
    expect(TOKEN_BY_TEXT.get('SERVICECHANGE')).toBe('ServiceChange');
  });

  for (const [name, msg] of Object.entries(ALL)) {
    it(`${name}: pretty and compact both decode to the value they were written from`, () => {
      const pretty = encode(msg);
      const compact = encode(msg, { encoding: 'compact' });
      expect(decode(pretty)).toEqual(msg);
      expect(decode(compact)).toEqual(msg);
      expect(compact.length).toBeLessThan(pretty.length);
      expect(detectEncoding(compact)).toBe('compact');
      expect(detectEncoding(pretty)).toBe('pretty');
    });
  }

  it('reads the RFC 3525 Appendix A.1.1 ServiceChange as written there (white space, comments, mixed case)', () => {
    const m = decodeOk(
      '; a comment before the header\r\nMEGACO/1 [124.124.124.222]\r\nTransaction = 9998 {\r\n   Context = - {\r\n      ServiceChange = ROOT {Services {\r\n' +
        '         Method=Restart,\r\n         ServiceChangeAddress=55555, Profile=ResGW/1}\r\n      }\r\n   }\r\n}\r\n',
    );
    expect(m.mid).toEqual({ kind: 'ip4', address: '124.124.124.222' });
    expect(m.transactions[0]).toEqual({
      type: 'request',
      id: 9998,
      actions: [{ contextId: '-', commands: [{ command: 'serviceChange', terminationId: 'ROOT', params: { method: 'restart', address: 55555, profile: { name: 'ResGW', version: 1 } } }] }],
    });
    const c = decodeOk('!/1 <mg1>\nt=1{c=-{sc=root{sv{mt=rs,re="901"}}}} ; trailing comment\n');
    expect(c.transactions[0]).toMatchObject({ id: 1, actions: [{ commands: [{ command: 'serviceChange', params: { method: 'restart', reason: '901' } }] }] });
  });

  it('keeps session descriptions as octets: "}" escaped as "\\}", no white space around', () => {
    const sdp = 'v=0\r\na=fmtp:101 0-15\r\na=x-odd:{brace}\\';
    const msg: Message = {
      type: 'message',
      version: 1,
      mid: { kind: 'device', name: 'mgc' },
      transactions: [{ type: 'request', id: 1, actions: [{ contextId: 1, commands: [{ command: 'modify', terminationId: 'rtp/1', descriptors: [{ type: 'media', streams: [{ remote: sdp }] }] }] }] }],
    };
    for (const encoding of ['pretty', 'compact'] as const) {
      const text = encodeText(msg, { encoding });
      expect(text).toContain('a=x-odd:{brace\\}\\');
      expect(decode(text)).toEqual(msg);
    }
  });

  it('reports where decoding stopped, with the transaction id so a request can be answered 403', () => {
    const e = decodeErr('MEGACO/1 [1.2.3.4]:2944\nTransaction = 12 { Context = 5 { Add = tdm/1/1 { Media { Stream = x } } } }');
    expect(e).toMatchObject({ code: 403, transactionId: 12, inRequest: true, mid: { kind: 'ip4', address: '1.2.3.4', port: 2944 }, version: 1 });
    expect(e.reason).toMatch(/StreamID/);
    const r = decodeErr('MEGACO/1 <mg>\nReply = 7 { Context = 5 { Frobnicate = 1 } }');
    expect(r).toMatchObject({ code: 400, transactionId: 7, inRequest: false });
    const partial = decodeErr('MEGACO/1 <mg>\nPending = 3 {} Transaction = 4 { Context = 1 { } }');
    expect(partial.transactions).toEqual([{ type: 'pending', id: 3 }]);
    expect(partial.transactionId).toBe(4);
    expect(decodeErr('SIP/2.0 200 OK\r\n\r\n')).toMatchObject({ code: 400, offset: 0 });
    expect(decodeErr('')).toMatchObject({ code: 400 });
  });

  it('refuses what the ABNF refuses', () => {
    const bad = [
      'MEGACO/1[1.2.3.4] Transaction = 1 { Context = 1 { Add = a } }', // no SEP before mId
      'MEGACO/123 [1.2.3.4] Transaction = 1 { Context = 1 { Add = a } }', // version is 1*2 DIGIT
      'MEGACO/1 [1.2.3.999] Transaction = 1 { Context = 1 { Add = a } }',
      'MEGACO/1 <-bad> T=1{C=1{A=a}}',
      'MEGACO/1 <mg> T=4294967296{C=1{A=a}}', // TransactionID is UINT32
      'MEGACO/1 <mg> T=1{C=1{A=tdm-1}}', // "-" is not in pathNAME
      'MEGACO/1 <mg> T=1{C=1{A=a{}}}', // empty ammParameter list
      'MEGACO/1 <mg> T=1{C=1{A=a{M{ST=1{L{v=0},L{v=0}}}}}}', // Local twice in a stream
      'MEGACO/1 <mg> T=1{C=1{A=a{E=1{al/of{p=}}}}}', // VALUE is 1*SafeChar or quoted
      'MEGACO/1 <mg> T=1{C=1{MF=a{SG{cg/rt{DR=70000}}}}}', // UINT16
      'MEGACO/1 <mg> P=1{C=1{}}', // an action reply is not empty
      'MEGACO/1 <mg> P=1{C=1{SC=ROOT{SV{}}}}', // Services is not empty
      'MEGACO/1 <mg> T=1{C=1{N=a{OE=1{2024T1:al/of}}}}', // TimeStamp is 8DIGIT "T" 8DIGIT
      'MEGACO/1 <mg> T=1{C=1{MF=a{DM=x{#*}}}}', // "#" and "*" are MGCP digit map letters, not H.248's
      'MEGACO/1 <mg> T=1{C=1{A=a{M{L{v=0\u0000}}}}}', // NUL in an octet string
      'MEGACO/1 <mg> T=1{C=1{A=a}}}', // trailing garbage
      'MEGACO/1 <mg> ER=400{"x"} T=1{C=1{A=a}}', // nothing after a message error
    ];
    for (const b of bad) expect(decode(b).type, b).toBe('error');
  });

  it('bounds what it reads', () => {
    const many = `MEGACO/1 <mg>\nT=1{C=1{${Array.from({ length: LIMITS.maxListItems + 1 }, (_, i) => `A=t/${i}`).join(',')}}}`;
    expect(decodeErr(many).reason).toMatch(/more than/);
    expect(decodeErr('MEGACO/1 <mg>\n' + 'x'.repeat(LIMITS.maxMessageBytes))).toMatchObject({ code: 400, offset: 0 });
    const longValue = `MEGACO/1 <mg>\nT=1{C=1{MF=a{E=1{al/of{p=${'v'.repeat(LIMITS.maxValueLength + 1)}}}}}}`;
    expect(decodeErr(longValue).reason).toMatch(/longer than/);
  });

  it('writes only what it can read back: checkEncodable names the problem, encode throws TypeError', () => {
    const base = SAMPLES.notifyReply;
    const withTerm = (terminationId: string): Message => ({
      ...base,
      transactions: [{ type: 'reply', id: 1, actions: [{ contextId: '-', replies: [{ command: 'notify', terminationId }] }] }],
    });
    expect(checkEncodable(withTerm('tdm/1/1'))).toBeUndefined();
    expect(checkEncodable(withTerm('tdm-1'))).toMatch(/TerminationID/);
    expect(checkEncodable({ ...base, transactions: [] })).toMatch(/at least one/);
    expect(checkEncodable({ ...base, transactions: [{ type: 'request', id: -1, actions: [] }] })).toMatch(/out of range/);
    expect(
      checkEncodable({
        ...base,
        transactions: [{ type: 'reply', id: 1, actions: [{ contextId: 1, replies: [{ command: 'auditValue', terminationId: 'C' }] }] }],
      }),
    ).toMatch(/context audit/);
    expect(() => encode(withTerm('a b'))).toThrow(TypeError);
    expect(
      checkEncodable({
        ...base,
        transactions: [
          {
            type: 'request',
            id: 1,
            actions: [{ contextId: 1, commands: [{ command: 'modify', terminationId: 'a', descriptors: [{ type: 'events', requestId: 1, events: [{ name: 'al/of', params: [{ kind: 'other', name: 'KA', value: { kind: 'equal', value: '1' } }] }] }] }] }],
          },
        ],
      }),
    ).toMatch(/reads as the KeepActive token/);
  });

  it('quotes values only when they need it', () => {
    const text = encodeText(SAMPLES.serviceChangeForced, { encoding: 'compact' });
    expect(text).toBe('!/1 <mg1.example.net>:2944\nT=17{C=-{SC=tdm/1/17{SV{MT=FO,RE="905 Termination taken out of service"}}}}');
  });
});

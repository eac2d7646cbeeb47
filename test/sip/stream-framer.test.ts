/** The TCP/TLS framer over split and coalesced reads, keep-alives, and hostile bytes (RFC 3261 §18.3, RFC 5626 §3.5.1). */
import { describe, expect, it } from 'vitest';
import { StreamFramer, streamContentLength, type FrameEvent } from '../../src/sip/stream-framer.js';
import { parseMessage } from '../../src/sip/parser.js';

function request(body = '', extra = ''): Buffer {
  const head =
    'INVITE sip:2125550100@127.0.0.1 SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-1\r\n' +
    'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:2125550100@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n' +
    extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(head + body);
}
const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function feed(chunks: Buffer[], max?: number): FrameEvent[] {
  const f = new StreamFramer(max);
  return chunks.flatMap((c) => f.push(c));
}
const messages = (evs: FrameEvent[]) => evs.filter((e): e is Extract<FrameEvent, { type: 'message' }> => e.type === 'message').map((e) => e.bytes);

describe('stream framer', () => {
  it('frames one message delivered whole, body by Content-Length', () => {
    const m = request(sdp);
    const out = messages(feed([m]));
    expect(out).toHaveLength(1);
    expect(out[0].equals(m)).toBe(true);
    const parsed = parseMessage(out[0]);
    expect(parsed.ok && parsed.message.body.toString()).toBe(sdp);
  });

  it('frames the same bytes split at every offset into two reads', () => {
    const m = Buffer.concat([request(sdp), request('', 'Subject: two\r\n')]);
    for (let at = 0; at <= m.length; at++) {
      const out = messages(feed([m.subarray(0, at), m.subarray(at)]));
      expect(out.map((b) => b.toString()), `split at ${at}`).toEqual([request(sdp).toString(), request('', 'Subject: two\r\n').toString()]);
    }
  });

  it('frames coalesced messages and keep-alives in one read', () => {
    const m = Buffer.concat([Buffer.from('\r\n\r\n'), request(sdp), Buffer.from('\r\n\r\n'), request(), request(sdp), Buffer.from('\r\n')]);
    const evs = feed([m]);
    expect(evs.map((e) => e.type)).toEqual(['ping', 'message', 'ping', 'message', 'message']);
  });

  it('answers CRLFCRLF as a ping even when it arrives one byte at a time; a lone CRLF before a message is a pong', () => {
    const f = new StreamFramer();
    const evs = [...'\r\n\r\n'].flatMap((c) => f.push(Buffer.from(c)));
    expect(evs).toEqual([{ type: 'ping' }]);
    expect(f.push(Buffer.concat([Buffer.from('\r\n'), request()])).map((e) => e.type)).toEqual(['pong', 'message']);
  });

  it('random splits of many messages give back every message, byte for byte (fuzz-like, seeded)', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) parts.push(request(i % 3 === 0 ? sdp : 'x'.repeat(rnd(300)), `X-N: ${i}\r\n`));
    const stream = Buffer.concat(parts);
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + rnd(round % 2 ? 7 : 1500);
        chunks.push(stream.subarray(at, at + n));
        at += n;
      }
      const out = messages(feed(chunks));
      expect(out.length).toBe(200);
      expect(Buffer.concat(out).equals(stream)).toBe(true);
    }
  });

  it('a message without Content-Length is a 400 that ends the stream (RFC 3261 §18.3), with its head to answer', () => {
    const noLength = Buffer.from('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-2\r\nCSeq: 1 OPTIONS\r\n\r\n');
    const f = new StreamFramer();
    const evs = f.push(Buffer.concat([request(), noLength, request()]));
    expect(evs.map((e) => e.type)).toEqual(['message', 'error']);
    const err = evs[1] as Extract<FrameEvent, { type: 'error' }>;
    expect(err.status).toBe(400);
    expect(err.head?.toString()).toContain('OPTIONS sip:x@127.0.0.1');
    expect(f.push(request())).toEqual([]);
  });

  it('two different Content-Lengths or a non-number are a 400', () => {
    expect(streamContentLength('A\r\nContent-Length: 3\r\nl: 4')).toBe('bad');
    expect(streamContentLength('A\r\nContent-Length: 3\r\nl: 3')).toBe(3);
    expect(streamContentLength('A\r\ncontent-length : -1')).toBe('bad');
    expect(streamContentLength('A\r\nX-Content-Length: 5')).toBe('missing');
    const evs = feed([Buffer.from('INVITE sip:a@b SIP/2.0\r\nContent-Length: 12abc\r\n\r\n')]);
    expect(evs).toMatchObject([{ type: 'error', status: 400 }]);
  });

  it('bounds the buffer: headers that never end, or a body past the bound, are a 413', () => {
    const f = new StreamFramer(4096);
    let evs: FrameEvent[] = [];
    for (let i = 0; i < 100 && evs.length === 0; i++) evs = f.push(Buffer.from(`X-Filler-${i}: ${'y'.repeat(60)}\r\n`));
    expect(evs).toMatchObject([{ type: 'error', status: 413 }]);
    expect(f.buffered).toBe(0);
    const big = feed([request('', 'X: 1\r\n').toString().replace('Content-Length: 0', 'Content-Length: 999999')].map((s) => Buffer.from(s)), 4096);
    expect(big).toMatchObject([{ type: 'error', status: 413 }]);
  });

  it('never throws on random bytes, and never holds more than its bound', () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = Buffer.from('\r\n:; ContentLength0123456789lL-INVITESIP/2.0\x00\xff');
    for (let run = 0; run < 300; run++) {
      const f = new StreamFramer(2048);
      for (let i = 0; i < 20; i++) {
        const chunk = Buffer.alloc(1 + rnd(400));
        for (let j = 0; j < chunk.length; j++) chunk[j] = rnd(4) === 0 ? rnd(256) : alphabet[rnd(alphabet.length)];
        expect(() => f.push(chunk)).not.toThrow();
        expect(f.buffered).toBeLessThanOrEqual(2048 + 400);
      }
    }
  });
});

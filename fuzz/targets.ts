/**
 * The decoders under fuzz, each with its contract: what it may return, which exceptions (if
 * any) it may throw, its seed corpus and a structured generator. `run` feeds one input and
 * returns a description of a contract violation found in the result, or undefined; an exception
 * escaping `run` is a violation unless `allowed` says it is the decoder's typed error.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { parseMessage } from '../src/sip/parser.js';
import { StreamFramer } from '../src/sip/stream-framer.js';
import { requestDefect } from '../src/sip/validate.js';
import { parseCSeq, parseNameAddr, parseUri, parseVia } from '../src/sip/header-values.js';
import { serializeMessage } from '../src/sip/serializer.js';
import { buildResponse } from '../src/sip/build.js';
import { buildRawResponse, rawHeader, scanRequest } from '../src/sip/raw-request.js';
import type { SipRequest } from '../src/sip/message.js';
import { decodeM3ua, decodeM3uaLenient, encodeM3ua } from '../src/ss7/m3ua/codec.js';
import { decodeIsup, decodeIsupByTable, encodeIsup } from '../src/ss7/isup/codec.js';
import { readPcap } from '../src/ss7/decode/pcap.js';
import { guardListeners } from '../src/ss7/sctp/guard.js';
import { screenSctpPacket } from '../src/ss7/sctp/packet-screen.js';
import { decode as mgcpDecode, encode as mgcpEncode, checkEncodable as mgcpCheckEncodable } from '../src/mgcp/mgcp/codec.js';
import { decode as h248Decode, encode as h248Encode, checkEncodable as h248CheckEncodable } from '../src/mgcp/h248/codec.js';
import { declineAllStreams } from '../src/calls/sdp.js';
import { parseOrigin, rewriteOrigin } from '../src/calls/sdp-origin.js';
import { decodeHep, encodeHep } from '../src/sip/hep.js';
import { loadConfig } from '../src/config/load.js';
import { SoftswitchError } from '../src/errors.js';
import { parseDeck, deckCsvLines } from '../src/class4/lcr/deck.js';
import { splitCsvLine } from '../src/class4/lcr/csv.js';
import type { Variant } from '../src/ss7/variant.js';
import { samples as m3uaSamples } from '../test/ss7/m3ua/samples.js';
import { allSamples as isupSamples, TCPDUMP_ISUP } from '../test/ss7/isup/samples.js';
import { SAMPLES as H248_V1_SAMPLES, SEGMENT_SAMPLES as H248_SEGMENT_SAMPLES } from '../test/mgcp/h248/samples.js';

const H248_SAMPLES = { ...H248_V1_SAMPLES, ...H248_SEGMENT_SAMPLES };
import { CHUNK, chunk as sctpChunk, dataChunk, sctpPacket } from '../test/ss7/sctp/sctp-wire.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SHARED_VECTORS = '/work/shared/vectors';

export interface FuzzTarget {
  readonly name: string;
  /** Share of the total iterations. */
  readonly weight: number;
  /** Largest input generated (a little above the decoder's own limit, to cross it). */
  readonly maxLen: number;
  /** Text protocol: token mutation applies. */
  readonly text: boolean;
  readonly dictionary: readonly string[];
  seeds(): Buffer[];
  /** Structured inputs (fast-check), or undefined when mutation alone fits. */
  structured?(): fc.Arbitrary<Buffer>;
  /** One input through the decoder; a string describes a contract violation seen in the result. */
  run(input: Buffer): string | undefined;
  /** An exception the contract allows (a typed error), counted apart from violations. */
  allowed?(err: unknown): boolean;
  /** Throws caught on the decoder's behalf (the SCTP guard), counted as `caught`. */
  caught?(): number;
  /** Checked after the run (process-wide side effects, e.g. prototype pollution). */
  after?(): string | undefined;
}

const once = <T>(f: () => T): (() => T) => {
  let v: T | undefined;
  return () => (v ??= f());
};

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p));
    else out.push(p);
  }
  return out;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const crlf = (lines: string[]) => lines.join('\r\n');

// ---------------------------------------------------------------- SIP

const SDP_SEEDS = [
  crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/AVP 0 8', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '']),
  crlf(['v=0', 'o=- 2890844526 2890842807 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 2001:db8::10', 't=0 0', 'm=audio 49170 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'm=video 0 RTP/AVP 31', '']),
  crlf(['v=0', 'o=- 1 23 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 16002 RTP/AVP 8', 'a=ptime:20', '']),
  'v=0\nc=IN IP4 $\nm=audio $ RTP/AVP 4\na=ptime:30\n',
];

function sipInvite(body: string, extra: string[] = []): string {
  return crlf([
    'INVITE sip:+4930123456@198.51.100.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc-1',
    'Max-Forwards: 70',
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    'To: <sip:+4930123456@198.51.100.1>',
    'Call-ID: call-1@192.0.2.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.10:5060>',
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ]);
}

const SIP_DICT = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'SIP/2.0', 'SIP/3.0', 'sip:', 'sips:', 'tel:', ';branch=z9hG4bK', ';tag=',
  ';received=', ';rport', 'Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Contact', 'm', 'Content-Length', 'l',
  'Content-Type', 'c', 'Max-Forwards', 'Expires', 'Route', 'Record-Route', 'Require', 'Proxy-Require', 'Supported', 'Date',
  '<', '>', '"', '\\', ',', ';', ':', '=', '*', '[2001:db8::1]', '[::ffff:192.0.2.1]', '0', '-1', '4294967296', '\r\n', '\r\n\r\n', '\n',
  ' ', '\t', '\r\n ', '%00', '%', 'application/sdp', 'multipart/mixed;boundary=x', 'Mon, 01 Jan 2024 00:00:00 GMT',
];

function sipSeeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of [join(ROOT, 'test/sip/vectors'), join(SHARED_VECTORS, 'sip-torture')]) {
    for (const f of filesUnder(dir)) if (!f.endsWith('.md')) out.push(readFileSync(f));
  }
  for (const sdp of SDP_SEEDS) out.push(latin1(sipInvite(sdp)));
  // Messages our own serializer writes: a request parsed back, and responses built for it.
  const parsed = parseMessage(latin1(sipInvite(SDP_SEEDS[0], ['Route: <sip:edge.example.net;lr>', 'Supported: timer, 100rel'])));
  if (parsed.ok && parsed.message.kind === 'request') {
    const req = parsed.message as SipRequest;
    out.push(serializeMessage(req));
    for (const status of [100, 180, 200, 404, 486, 503]) out.push(serializeMessage(buildResponse(req, status, { toTag: 'b7' })));
  }
  return out;
}

const sipToken = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
const sipHost = fc.oneof(fc.ipV4(), fc.domain(), fc.ipV6().map((a) => `[${a}]`));
const sipUriArb = fc
  .tuple(fc.constantFrom('sip', 'sips', 'tel', 'mailto', 'x'), fc.option(sipToken), sipHost, fc.option(fc.integer({ min: 0, max: 70000 })), fc.array(sipToken, { maxLength: 3 }))
  .map(([s, u, h, p, params]) => `${s}:${u ? u + '@' : ''}${h}${p !== null ? ':' + p : ''}${params.map((x) => ';' + x).join('')}`);
const headerLine = fc.oneof(
  fc.tuple(sipHost, fc.string()).map(([h, b]) => `Via: SIP/2.0/${b.length % 2 ? 'UDP' : 'TCP'} ${h};branch=z9hG4bK${b}`),
  fc.tuple(fc.string(), sipUriArb, sipToken).map(([d, u, t]) => `From: "${d}" <${u}>;tag=${t}`),
  sipUriArb.map((u) => `To: <${u}>`),
  fc.string().map((s) => `Call-ID: ${s}`),
  fc.tuple(fc.integer({ min: -1, max: 2 ** 32 }), sipToken).map(([n, m]) => `CSeq: ${n} ${m}`),
  fc.integer({ min: -5, max: 300 }).map((n) => `Max-Forwards: ${n}`),
  fc.integer({ min: -5, max: 100000 }).map((n) => `Content-Length: ${n}`),
  fc.tuple(sipToken, fc.string()).map(([n, v]) => `${n}: ${v}`),
  fc.string().map((s) => ` ${s}`),
);
const sipArb = fc
  .tuple(
    fc.oneof(sipToken, fc.constantFrom('INVITE', 'BYE', 'ACK', 'OPTIONS', 'SIP/2.0 200 OK', 'SIP/2.0 999 X')),
    sipUriArb,
    fc.constantFrom('SIP/2.0', 'SIP/1.0', 'sip/2.0', 'SIP/2.0 x'),
    fc.array(headerLine, { maxLength: 14 }),
    fc.oneof(fc.constant(''), fc.constantFrom(...SDP_SEEDS), fc.string({ maxLength: 200 })),
  )
  .map(([m, u, v, hs, body]) => latin1(`${m.startsWith('SIP/') ? m : `${m} ${u} ${v}`}\r\n${hs.join('\r\n')}\r\n\r\n${body}`));

/**
 * SIP over TCP/TLS: the input as a stream, in three reads split where its bytes say; the framer
 * never throws, holds at most its bound plus one read, and stops for good after an error.
 * Every message it frames goes through the SIP contract too.
 */
const STREAM_BOUND = 4_096;
function runSipStream(input: Buffer): string | undefined {
  const f = new StreamFramer(STREAM_BOUND);
  const a = input.length ? input[0] % (input.length + 1) : 0;
  const b = input.length ? Math.max(a, input[input.length - 1] % (input.length + 1)) : 0;
  let failed = false;
  for (const part of [input.subarray(0, a), input.subarray(a, b), input.subarray(b)]) {
    const events = f.push(part);
    if (failed && events.length > 0) return 'events after a framing error';
    if (f.buffered > STREAM_BOUND + part.length) return `buffered ${f.buffered} over the bound`;
    for (const ev of events) {
      if (ev.type === 'error') failed = true;
      if (ev.type === 'message') {
        if (ev.bytes.length > STREAM_BOUND) return `message of ${ev.bytes.length} over the bound`;
        const bad = runSip(ev.bytes);
        if (bad) return bad;
      }
    }
  }
  return undefined;
}

function runSip(input: Buffer): string | undefined {
  const r = parseMessage(input);
  if (!r.ok) {
    if (![400, 413, 505].includes(r.error.status)) return `parse error status ${r.error.status}`;
    if (r.error.partial) requestDefect(r.error.partial);
    return undefined;
  }
  const m = r.message;
  if (m.kind === 'request') {
    requestDefect(m);
    parseUri(m.uri);
  } else if (!(m.status >= 100 && m.status <= 699)) return `response status ${m.status}`;
  for (const v of m.headers.getAll('via')) parseVia(v);
  const cseq = m.headers.get('cseq');
  if (cseq !== undefined) parseCSeq(cseq);
  for (const k of ['from', 'to', 'contact']) {
    const v = m.headers.get(k);
    if (v !== undefined) parseNameAddr(v);
  }
  return undefined;
}

/**
 * The shedding fast path's scanner (src/sip/raw-request.ts): undefined or a request; what it
 * reads must build a 503 the full parser reads back, with the same Call-ID and CSeq, to a valid port.
 */
function runSipRaw(input: Buffer): string | undefined {
  const raw = scanRequest(input);
  if (!raw) return undefined;
  rawHeader(input, raw, 'event');
  const r = buildRawResponse(raw, { address: '192.0.2.1', port: 5060 }, { status: 503, reason: 'Service Unavailable', toTag: 'f1', headers: [['Retry-After', '5']] });
  const back = parseMessage(r.bytes);
  if (!back.ok) return `raw 503 does not parse: ${back.error.code}`;
  // The scanner copies bytes (latin1 both ways); the parser reads UTF-8: compare what each reads of the same bytes.
  const full = parseMessage(input);
  const want = full.ok ? full.message.headers : undefined;
  if (want && (back.message.headers.get('call-id') !== want.get('call-id') || back.message.headers.get('cseq') !== want.get('cseq'))) return 'raw 503 lost Call-ID or CSeq';
  if (!r.bytes.includes(Buffer.from(`\r\nCall-ID: ${raw.callId}\r\n`, 'latin1'))) return 'raw 503 without the Call-ID bytes';
  if (!(r.to.port >= 1 && r.to.port <= 65535)) return `raw 503 to port ${r.to.port}`;
  return undefined;
}

// ---------------------------------------------------------------- SDP (carried by SIP, MGCP, H.248; read by the call engine)

const SDP_DICT = ['v=0', 'o=', 's=-', 'c=IN IP4 ', 'c=IN IP6 ', 't=0 0', 'm=audio ', 'm=video ', 'RTP/AVP', 'a=rtpmap:', 'a=fmtp:', 'a=sendrecv', 'a=inactive', '.', '\r\n.\r\n', '\n.\n', '}', '{', '\r', '\n', '\x00', ' ', '0', '65536', '$'];

const sdpArb = fc
  .tuple(
    fc.constantFrom('v=0', 'v=1', ''),
    fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('$')),
    fc.array(
      fc.tuple(fc.constantFrom('audio', 'video', 'image', ''), fc.integer({ min: -1, max: 70000 }), fc.constantFrom('RTP/AVP', 'udptl', ''), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 5 })),
      { maxLength: 4 },
    ),
    fc.array(fc.string({ maxLength: 40 }).map((s) => `a=${s}`), { maxLength: 6 }),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([v, addr, media, attrs, eol]) =>
    latin1([v, `o=- 1 1 IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0', ...media.map(([k, p, t, f]) => `m=${k} ${p} ${t} ${f.join(' ')}`), ...attrs, ''].join(eol)),
  );

function runSdp(input: Buffer): string | undefined {
  const sdp = input.toString('latin1');
  // MGCP: the session description after the empty line (RFC 3435 §3.1).
  const mgcp = mgcpDecode(latin1(`MDCX 1205 aaln/1@rgw.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nI: 1\r\n\r\n${sdp}`));
  for (const d of mgcp) if (d.type === 'error' && !(d.code >= 400 && d.code <= 599)) return `MGCP error code ${d.code}`;
  // SIP: the body of an INVITE.
  const sip = parseMessage(latin1(sipInvite(sdp)));
  if (!sip.ok && ![400, 413, 505].includes(sip.error.status)) return `SIP status ${sip.error.status}`;
  // H.248: a Remote descriptor's octet string.
  const h = h248Decode(`MEGACO/1 [123.123.123.4]:55555\nTransaction = 10 {\n Context = 1 {\n  Modify = A4444 {\n   Media { Stream = 1 { Remote {\n${sdp}\n} } }\n  }\n }\n}\n`);
  if (h.type === 'error' && h.reason.startsWith('decoder fault')) return h.reason;
  // The call engine reads the offer's m= lines when it declines all streams.
  declineAllStreams(sdp, '192.0.2.1');
  // Every SDP sent on a SIP leg has its o= line rewritten to continue the leg's origin (RFC 3264 §8).
  for (const previous of [undefined, LEG_ORIGIN]) {
    const r = rewriteOrigin(sdp, previous, '1');
    if (!r.ok) continue;
    const lines = r.sdp.split(/\r\n|\n|\r/);
    const end = lines.findIndex((l) => l.startsWith('m='));
    const origins = lines.slice(0, end < 0 ? undefined : end).filter((l) => l.startsWith('o='));
    if (origins.length !== 1 || !parseOrigin(origins[0])) return `origin rewrite left ${origins.length} o= lines: ${JSON.stringify(origins)}`;
    if (previous && parseOrigin(origins[0])!.sessionId !== previous.sessionId) return 'origin rewrite changed the session id';
  }
  return undefined;
}

const LEG_ORIGIN = (() => {
  const r = rewriteOrigin('v=0\r\no=leg 42 7 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\n', undefined, '1');
  if (!r.ok) throw new Error(r.why);
  return r.origin;
})();

// ---------------------------------------------------------------- M3UA

const M3UA_DICT: string[] = [];

function m3uaSeeds(): Buffer[] {
  const out = m3uaSamples.map(encodeM3ua);
  const pcap = readPcap(readFileSync(join(SHARED_VECTORS, 'tcpdump-isup.pcap')));
  if (!('error' in pcap)) for (const c of pcap) out.push(c.data);
  return out;
}

const tlvArb = fc
  .tuple(fc.oneof(fc.constantFrom(0x0002, 0x0004, 0x0006, 0x0007, 0x000b, 0x000c, 0x0012, 0x0013, 0x0200, 0x0204, 0x0205, 0x0206, 0x0207, 0x0210, 0x0011, 0x0009, 0x000d), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -4, max: 8 }))
  .map(([tag, value, lenDelta]) => {
    const len = Math.max(0, Math.min(0xffff, 4 + value.length + (lenDelta > 4 ? 0 : lenDelta)));
    const b = Buffer.alloc((4 + value.length + 3) & ~3);
    b.writeUInt16BE(tag, 0);
    b.writeUInt16BE(len, 2);
    Buffer.from(value).copy(b, 4);
    return b;
  });
const m3uaArb = fc
  .tuple(fc.constantFrom(1, 1, 1, 0, 2), fc.constantFrom(0, 1, 2, 3, 4, 5, 9, 10), fc.integer({ min: 0, max: 12 }), fc.array(tlvArb, { maxLength: 6 }), fc.integer({ min: -8, max: 8 }))
  .map(([ver, cls, type, tlvs, lenDelta]) => {
    const body = Buffer.concat(tlvs);
    const b = Buffer.concat([Buffer.alloc(8), body]);
    b[0] = ver;
    b[2] = cls;
    b[3] = type;
    b.writeUInt32BE(Math.max(0, b.length + (Math.abs(lenDelta) > 4 ? 0 : lenDelta)), 4);
    return b;
  });

function runM3ua(input: Buffer): string | undefined {
  for (const d of [decodeM3ua(input), decodeM3uaLenient(input, [])]) {
    if (typeof d !== 'object' || d === null || typeof d.type !== 'string') return 'result is not a message or DECODE_ERROR';
    if (d.type === 'DECODE_ERROR' && typeof d.errorCode !== 'number') return 'DECODE_ERROR without errorCode';
  }
  return undefined;
}

// ---------------------------------------------------------------- SCTP (the npm `sctp` package's packet and chunk decoder, behind our guard)

const require = createRequire(import.meta.url);
const { crc32c } = require('polycrc') as { crc32c: (b: Buffer) => number };
type PkgPacket = { chunks?: Buffer[] } | false;
const SctpPacket = require('sctp/lib/packet.js') as { fromBuffer(b: Buffer): PkgPacket };
const SctpChunk = require('sctp/lib/chunk.js') as { fromBuffer(b: Buffer): unknown } & (new (type: string, opts: Record<string, unknown>) => { toBuffer(): Buffer });

function sctpSeeds(): Buffer[] {
  const h = { srcPort: 2905, dstPort: 2905, vtag: 0x1234 };
  const u32 = (...v: number[]) => {
    const b = Buffer.alloc(v.length * 4);
    v.forEach((x, i) => b.writeUInt32BE(x >>> 0, i * 4));
    return b;
  };
  const out = [
    sctpPacket({ ...h, vtag: 0 }, [sctpChunk(CHUNK.INIT, 0, Buffer.concat([u32(0xabcdef01, 65535), Buffer.from([0, 16, 0, 16]), u32(1), Buffer.from('000c0006000500000000000000080008c0000004', 'hex')]))]),
    sctpPacket(h, [sctpChunk(CHUNK.INIT_ACK, 0, Buffer.concat([u32(0xabcdef02, 65535), Buffer.from([0, 16, 0, 16]), u32(7), Buffer.from('0007000c636f6f6b69652121', 'hex')]))]),
    sctpPacket(h, [sctpChunk(CHUNK.COOKIE_ECHO, 0, Buffer.from('636f6f6b69652121', 'hex'))]),
    sctpPacket(h, [sctpChunk(CHUNK.COOKIE_ACK, 0)]),
    sctpPacket(h, [dataChunk({ tsn: 1, stream: 1, ssn: 0, userData: encodeM3ua(m3uaSamples[2]) }), dataChunk({ tsn: 2, stream: 0, userData: Buffer.from('0100030100000008', 'hex') })]),
    sctpPacket(h, [sctpChunk(CHUNK.SACK, 0, Buffer.concat([u32(5, 65535), Buffer.from([0, 1, 0, 1]), Buffer.from([0, 2, 0, 3]), u32(4)]))]),
    sctpPacket(h, [sctpChunk(CHUNK.HEARTBEAT, 0, Buffer.from('0001000c6869686968696869', 'hex'))]),
    sctpPacket(h, [sctpChunk(CHUNK.ABORT, 0, Buffer.from('000c000875736572', 'hex'))]),
    sctpPacket(h, [sctpChunk(CHUNK.SHUTDOWN, 0, u32(9)), sctpChunk(CHUNK.SHUTDOWN_ACK, 0), sctpChunk(14, 0)]),
    sctpPacket(h, [sctpChunk(0x40, 0, Buffer.from('deadbeef', 'hex')), sctpChunk(0xc1, 0), sctpChunk(0x80, 0)]),
  ];
  // Chunks as the package itself encodes them.
  for (const [type, opts] of [
    ['init', { initiate_tag: 7, a_rwnd: 1000, outbound_streams: 2, inbound_streams: 2, initial_tsn: 1 }],
    ['sack', { c_tsn_ack: 1, a_rwnd: 1000, sack_info: { gap_blocks: [{ start: 2, finish: 3 }], duplicate_tsn: [1] } }],
    ['data', { tsn: 3, stream_id: 1, ssn: 0, ppid: 3, user_data: Buffer.from('hello') }],
  ] as const) {
    try {
      out.push(sctpPacket(h, [new SctpChunk(type, { ...opts }).toBuffer()]));
    } catch {
      // a package encoder that refuses our options simply gives no seed
    }
  }
  return out;
}

/** As on the wire: our screen, then the package's decoder inside a listener `guardListeners` wraps (throws become a dropped-packet count). */
const sctpSocket = new EventEmitter();
let sctpGuarded = 0;
sctpSocket.on('message', (buf: Buffer) => {
  const packet = SctpPacket.fromBuffer(buf);
  if (packet && packet.chunks) for (const c of packet.chunks) SctpChunk.fromBuffer(c);
});
guardListeners(sctpSocket, 'message', () => sctpGuarded++, screenSctpPacket);

function runSctp(input: Buffer): string | undefined {
  let b = input;
  // Most inputs get a valid CRC32c so the chunk walk is reached as a live stack would.
  if (b.length >= 12 && (b[b.length - 1] & 3) !== 3) {
    b = Buffer.from(b);
    b.writeUInt32LE(0, 8);
    b.writeUInt32LE(crc32c(b), 8);
  }
  sctpSocket.emit('message', b, { address: '127.0.0.1', port: 9899 });
  return undefined;
}

// ---------------------------------------------------------------- ISUP

function isupSeeds(variant: Variant): Buffer[] {
  const out = isupSamples(variant).map((m) => encodeIsup(m, variant));
  if (variant === 'itu') for (const h of Object.values(TCPDUMP_ISUP)) out.push(Buffer.from(h, 'hex'));
  return out;
}

const isupArb = (variant: Variant) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: 0xffff }),
      fc.oneof(fc.constantFrom(0x01, 0x02, 0x05, 0x06, 0x09, 0x0c, 0x10, 0x12, 0x13, 0x14, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x2c, 0x2f, 0xe9, 0xec), fc.integer({ min: 0, max: 255 })),
      fc.uint8Array({ maxLength: 8 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 12 })), { maxLength: 6 }),
      fc.boolean(),
    )
    .map(([cic, type, fixed, opts, eop]) => {
      const parts = [Buffer.from([cic & 0xff, cic >> 8, type]), Buffer.from(fixed)];
      for (const [code, v] of opts) parts.push(Buffer.from([code, v.length]), Buffer.from(v));
      if (eop) parts.push(Buffer.from([0]));
      void variant;
      return Buffer.concat(parts);
    });

function runIsup(variant: Variant, input: Buffer): string | undefined {
  const a = decodeIsup(input, variant);
  const b = decodeIsupByTable(input, variant);
  for (const d of [a, b]) if (typeof d !== 'object' || d === null || typeof d.type !== 'string') return 'result is not a message or error';
  return undefined;
}

// ---------------------------------------------------------------- MGCP

const MGCP_SEEDS = [
  'CRCX 1204 aaln/1@rgw.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nL: p:10, a:PCMU\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 10.1.1.1\r\nm=audio 4000 RTP/AVP 0\r\n',
  '200 1204 OK\r\nI: FDE234C8\r\nZ: rtpbridge/1@mgw\r\n\r\nv=0\r\no=- 1 23 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16002 RTP/AVP 8\r\n',
  '200 2005 OK\n.\nDLCX 1244 card23/21@tgw-7.example.net MGCP 1.0\nC: A3C47F21456789F0\nI: FDE234C8\n',
  'RSIP 1200 *@rgw-2567.whatever.net MGCP 1.0\nRM: restart\nRD: 0\n',
  '801 5 /pkg comment here\nK:\n',
  'NTFY 2002 aaln/1@rgw.example.net MGCP 1.0\r\nN: ca@ca1.example.net:5678\r\nX: 0123456789AC\r\nO: L/hd, D/9\r\n',
  'RQNT 1201 aaln/1@rgw.example.net MGCP 1.0\r\nN: ca@ca1.example.net:5678\r\nX: 0123456789AA\r\nR: L/hd(N)\r\nS: L/rg\r\nQ: process,loop\r\n',
  'AUEP 1500 rtpbridge/*@mgw MGCP 1.0\r\nF: A,R,D,S,X,N,I,T,O,ES\r\n',
  'MDCX 1210 aaln/1@rgw.example.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nI: FDE234C8\r\nM: sendrecv\r\nK: 1100-1105, 1107\r\n',
  '400 1210 Bad request\r\n',
  '100 1210 pending\r\n.\r\n250 1211\r\n.\r\n000 1212\r\n',
  'EPCF 2010 aaln/*@rgw MGCP 1.0\r\nB: e:mu\r\n',
  'AUCX 2011 aaln/1@rgw MGCP 0.1\r\nI: 32F345E2\r\nF: C,N,L,M,LC,P\r\n',
];
const MGCP_DICT = ['CRCX', 'MDCX', 'DLCX', 'RQNT', 'NTFY', 'AUEP', 'AUCX', 'RSIP', 'EPCF', 'XXXX', 'MGCP', '1.0', '0.1', '2.0', 'C:', 'I:', 'L:', 'M:', 'N:', 'X:', 'R:', 'S:', 'K:', 'F:', 'Z:', 'Z2:', '@', '*', '$', '.', '\r\n.\r\n', '\r\n\r\n', 'v=0', '999999999', '1000000000', '200', '000', '100', '510', '\t', 'recvonly', 'sendrecv', 'conttest'];

const mgcpArb = fc
  .tuple(
    fc.oneof(fc.constantFrom('CRCX', 'MDCX', 'DLCX', 'RQNT', 'NTFY', 'AUEP', 'AUCX', 'RSIP', 'EPCF'), fc.stringMatching(/^[A-Z0-9]{1,6}$/), fc.integer({ min: 0, max: 999 }).map(String)),
    fc.oneof(fc.integer({ min: 0, max: 1_000_000_000 }).map(String), fc.string({ maxLength: 10 })),
    fc.oneof(fc.constantFrom('aaln/1@rgw', 'rtpbridge/*@mgw', '*@x', '$@y', 'ds/ds1-1/1@tgw'), fc.string({ maxLength: 40 })),
    fc.constantFrom('MGCP 1.0', 'MGCP 0.1', 'MGCP 1', 'MGCP 1.0 NCS 1.0', ''),
    fc.array(fc.tuple(fc.constantFrom('C', 'I', 'L', 'M', 'N', 'X', 'R', 'S', 'K', 'Z', 'RM', 'ZZ', 'x-foo'), fc.string({ maxLength: 30 })), { maxLength: 8 }),
    fc.option(sdpArb),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([verb, tx, ep, ver, params, sdp, eol]) =>
    Buffer.concat([latin1(`${verb} ${tx} ${ep} ${ver}${eol}${params.map(([n, v]) => `${n}: ${v}`).join(eol)}${eol}`), sdp ? Buffer.concat([latin1(eol), sdp]) : Buffer.alloc(0)]),
  );

function runMgcp(input: Buffer): string | undefined {
  const out = mgcpDecode(input);
  if (!Array.isArray(out) || out.length === 0 || out.length > 17) return `decode gave ${Array.isArray(out) ? out.length : typeof out} results`;
  for (const m of out) {
    if (m.type === 'error') {
      if (!(m.code >= 400 && m.code <= 599)) return `error code ${m.code}`;
      continue;
    }
    // What the decoder accepts, our encoder must be able to write back (messages produced by our encoders).
    if (mgcpCheckEncodable(m) === undefined) mgcpEncode(m);
  }
  return undefined;
}

// ---------------------------------------------------------------- HEP3 (drachtio-server's SIP captures)

function hepSeeds(): Buffer[] {
  const base = { ipProtocol: 17, src: { address: '127.0.0.1', port: 5060 }, dst: { address: '192.0.2.7', port: 5062 }, timeMs: 1_700_000_000_123, payloadType: 1, captureId: 7 };
  return [
    encodeHep({ ...base, payload: Buffer.from('INVITE sip:1@x SIP/2.0\r\nCall-ID: a\r\n\r\n') }),
    encodeHep({ ...base, payloadType: 5, payload: Buffer.alloc(0) }),
  ];
}

function runHep(input: Buffer): string | undefined {
  const d = decodeHep(input);
  if (d.ok) return d.packet.payload.length > input.length ? 'payload longer than the datagram' : undefined;
  return typeof d.reason === 'string' && d.reason.length > 0 ? undefined : 'error without a reason';
}

// ---------------------------------------------------------------- H.248 text (pretty and compact)

const H248_DICT = [
  'MEGACO/1', '!/1', 'Transaction', 'T', 'Reply', 'P', 'Context', 'C', 'Add', 'A', 'Modify', 'MF', 'Subtract', 'S', 'Move', 'MV',
  'AuditValue', 'AV', 'Notify', 'N', 'ServiceChange', 'SC', 'Media', 'M', 'Stream', 'ST', 'Local', 'L', 'Remote', 'R',
  'LocalControl', 'O', 'Mode', 'MO', 'SendReceive', 'Events', 'E', 'Signals', 'SG', 'ObservedEvents', 'OE', 'Error', 'ER',
  'Pending', 'PN', 'TransactionResponseAck', 'K', 'ImmAckRequired', 'Services', 'SV', 'Method', 'MT', 'Reason', 'RE',
  'Topology', 'TP', 'Priority', 'PR', 'Emergency', 'EM', '$', '*', '-', 'ROOT', '{', '}', '=', ',', '"', '[', ']', ':', '<', '>',
  ';', '\n', '\r\n', ' ', '4294967295', '4294967296', '0', 'al/on', 'g/sc', 'tdmc/ec', '{}', '{{{{', '}}}}',
  'MEGACO/3', '!/3', 'Segment', 'SM', '/END', '/&', '/65535', '/65536',
];

const h248Seeds = (encoding: 'pretty' | 'compact') =>
  once(() => {
    const out: Buffer[] = [];
    for (const m of Object.values(H248_SAMPLES)) {
      try {
        out.push(h248Encode(m, { encoding }));
      } catch {
        // a sample the writer refuses gives no seed
      }
    }
    return out;
  });

function runH248(input: Buffer): string | undefined {
  const d = h248Decode(input);
  if (d.type === 'error') {
    if (d.reason.startsWith('decoder fault')) return d.reason;
    if (!(d.code >= 400 && d.code <= 599)) return `error code ${d.code}`;
    return undefined;
  }
  if (d.type !== 'message') return `result type ${String((d as { type?: unknown }).type)}`;
  const why = h248CheckEncodable(d);
  if (why?.startsWith('not a message')) return why;
  return undefined;
}

// ---------------------------------------------------------------- config loader

const configDir = once(() => mkdtempSync(join(tmpdir(), 'ssw-fuzz-config-')));
const CONFIG_DICT = ['sip:', 'port:', '5060', 'mgcp:', 'h248:', 'ss7:', 'lab:', 'enabled: true', 'enabled: false', 'api:', '__proto__:', 'constructor:', 'prototype:', '&a', '*a', '<<: *a', '!!binary', '!!js/function', '---', '...', '- ', '{', '}', '[', ']', '"', "'", '#', '\n', '  ', '\t', '~', 'null', '1e999', '0x10', '.inf', '.nan', '? '];

function configSeeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of ['docker/softswitch.production.yaml']) out.push(readFileSync(join(ROOT, f)));
  out.push(latin1('lab:\n  enabled: true\nsip:\n  port: 5070\n'));
  out.push(latin1('{"lab": {"enabled": true}, "mgcp": {"gateways": []}}\n'));
  out.push(latin1('base: &b\n  port: 1\nsip:\n  <<: *b\n'));
  return out;
}

const configArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => latin1(yamlStringify({ lab: { enabled: true }, sip: v }))),
  fc.dictionary(fc.constantFrom('sip', 'mgcp', 'h248', 'ss7', 'lab', 'api', 'lcr', 'calls', 'class5', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }).map((v) => latin1(yamlStringify(v))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => latin1(JSON.stringify(v) ?? '')),
);

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).length;

function runConfig(input: Buffer): string | undefined {
  const file = join(configDir(), 'softswitch.yaml');
  writeFileSync(file, input);
  const text = input.toString('latin1');
  // Half the inputs also arrive as SSW__ environment overrides (key path and value from the input).
  const env: NodeJS.ProcessEnv = {};
  if (input.length && input[0] & 1) {
    const [key = '', value = ''] = text.split('\n', 2);
    env[`SSW__${key.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60)}`] = value.slice(0, 200);
  }
  loadConfig(file, env);
  return undefined;
}

function configAfter(): string | undefined {
  const names = Object.getOwnPropertyNames(Object.prototype);
  if (names.length !== PROTO_KEYS) return `Object.prototype polluted: ${names.slice(PROTO_KEYS).join(',')}`;
  return undefined;
}

// ---------------------------------------------------------------- rate decks

const DECK_DICT = ['prefix', 'npanxx', 'dialcode', 'interstate', 'intrastate', 'indeterminate', 'effective', 'inter', 'intra', 'indet', ',', '"', '""', '\n', '\r\n', '#', '0.0123', '9999.999999', '10000', '-1', '1e3', '2024-02-30', '2024-01-01T23:59:60Z', '1', '201', '2125551', '1234567890123456', ' '];

function deckSeeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of filesUnder(join(ROOT, 'config/rate-decks'))) {
    if (!f.endsWith('.csv')) continue;
    out.push(latin1(readFileSync(f, 'latin1').split('\n').slice(0, 40).join('\n')));
  }
  // Our own writer's output.
  const rows = [
    { prefix: '1212', interstate: 12300, intrastate: 9000, indeterminate: 12300, effective: Date.UTC(2024, 0, 1) },
    { prefix: '1212555', interstate: 1, intrastate: 0, indeterminate: 999_999_999, effective: Date.UTC(2024, 5, 1, 12, 30) },
  ];
  out.push(latin1([...deckCsvLines(rows)].join('\n')));
  out.push(latin1('npanxx,interstate,intrastate\n212555,0.01,0.02\n"212556","0.01",0.03\n'));
  return out;
}

const deckArb = fc
  .tuple(
    fc.shuffledSubarray(['prefix', 'npanxx', 'interstate', 'intrastate', 'indeterminate', 'effective', 'extra'], { minLength: 1 }),
    fc.array(fc.array(fc.oneof(fc.stringMatching(/^\d{0,16}$/), fc.double().map(String), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 8 })), { maxLength: 8 }), { maxLength: 20 }),
  )
  .map(([head, rows]) => latin1([head.join(','), ...rows.map((r) => r.join(','))].join('\n')));

function runDeck(input: Buffer): string | undefined {
  const text = input.toString('latin1');
  const r = parseDeck('fuzz', text);
  if (r.ok) {
    if (r.deck.count !== r.deck.prefixes.length) return `count ${r.deck.count} vs ${r.deck.prefixes.length} prefixes`;
  } else if (r.errorCount < r.errors.length) return 'errorCount below reported errors';
  const nl = text.indexOf('\n');
  splitCsvLine(nl < 0 ? text : text.slice(0, nl));
  return undefined;
}

// ---------------------------------------------------------------- the table

export const TARGETS: readonly FuzzTarget[] = [
  { name: 'sip', weight: 0.165, maxLen: 70_000, text: true, dictionary: SIP_DICT, seeds: once(sipSeeds), structured: () => sipArb, run: runSip },
  { name: 'sip-raw', weight: 0.03, maxLen: 9_000, text: true, dictionary: [...SIP_DICT, 'v: ', 'i: ', 't: ', 'f: ', ';tag=', ';rport', ';branch=z9hG4bK'], seeds: once(sipSeeds), structured: () => sipArb, run: runSipRaw },
  { name: 'sip-stream', weight: 0.02, maxLen: 9_000, text: true, dictionary: [...SIP_DICT, '\r\n\r\n', 'Content-Length: ', 'l: '], seeds: once(sipSeeds), run: runSipStream },
  { name: 'sdp', weight: 0.05, maxLen: 5_000, text: true, dictionary: SDP_DICT, seeds: once(() => SDP_SEEDS.map(latin1)), structured: () => sdpArb, run: runSdp },
  { name: 'm3ua', weight: 0.13, maxLen: 600, text: false, dictionary: M3UA_DICT, seeds: once(m3uaSeeds), structured: () => m3uaArb, run: runM3ua },
  { name: 'sctp', weight: 0.1, maxLen: 1_600, text: false, dictionary: [], seeds: once(sctpSeeds), run: runSctp, caught: () => sctpGuarded },
  { name: 'isup-itu', weight: 0.1, maxLen: 400, text: false, dictionary: [], seeds: once(() => isupSeeds('itu')), structured: () => isupArb('itu'), run: (b) => runIsup('itu', b) },
  { name: 'isup-ansi', weight: 0.1, maxLen: 400, text: false, dictionary: [], seeds: once(() => isupSeeds('ansi')), structured: () => isupArb('ansi'), run: (b) => runIsup('ansi', b) },
  { name: 'mgcp', weight: 0.15, maxLen: 9_000, text: true, dictionary: MGCP_DICT, seeds: once(() => MGCP_SEEDS.map(latin1)), structured: () => mgcpArb, run: runMgcp },
  { name: 'h248-pretty', weight: 0.07, maxLen: 8_000, text: true, dictionary: H248_DICT, seeds: h248Seeds('pretty'), run: runH248 },
  { name: 'h248-compact', weight: 0.07, maxLen: 8_000, text: true, dictionary: H248_DICT, seeds: h248Seeds('compact'), run: runH248 },
  {
    name: 'config',
    weight: 0.005,
    maxLen: 4_000,
    text: true,
    dictionary: CONFIG_DICT,
    seeds: once(configSeeds),
    structured: () => configArb,
    run: runConfig,
    // Contract: SoftswitchError SSW_ERR_CONFIG_UNREADABLE / SSW_ERR_CONFIG_INVALID naming the bad key.
    allowed: (e) => e instanceof SoftswitchError && (e.code === 'SSW_ERR_CONFIG_UNREADABLE' || e.code === 'SSW_ERR_CONFIG_INVALID'),
    after: configAfter,
  },
  { name: 'hep', weight: 0.02, maxLen: 3_000, text: false, dictionary: [], seeds: once(hepSeeds), run: runHep },
  { name: 'deck', weight: 0.02, maxLen: 6_000, text: true, dictionary: DECK_DICT, seeds: once(deckSeeds), structured: () => deckArb, run: runDeck },
];

export function targetByName(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}

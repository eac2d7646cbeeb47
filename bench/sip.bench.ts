/**
 * sip-parse: parse + serialise of an INVITE with SDP per second, against a naive
 * split-based parser/serialiser (no limits, no compact forms, no folding) measured in the same run.
 */
import { parseMessage } from '../src/sip/parser.js';
import { serializeMessage } from '../src/sip/serializer.js';
import { median, opsPerSecond, type Benchmark } from './harness.js';

const SDP = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 40000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');
const INVITE = Buffer.from(
  [
    'INVITE sip:+4930123456@198.51.100.1;user=phone SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-bench-1;rport',
    'Max-Forwards: 70',
    'From: "Alice" <sip:+4940111@192.0.2.10;user=phone>;tag=a1b2c3',
    'To: <sip:+4930123456@198.51.100.1;user=phone>',
    'Call-ID: 6f9a3c1e2b7d@192.0.2.10',
    'CSeq: 1 INVITE',
    'Contact: <sip:+4940111@192.0.2.10:5060>',
    'P-Asserted-Identity: <sip:+4940111@192.0.2.10;user=phone>',
    'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS',
    'Supported: timer, 100rel',
    'User-Agent: bench',
    'Content-Type: application/sdp',
    `Content-Length: ${SDP.length}`,
    '',
    SDP,
  ].join('\r\n'),
);

function naive(buf: Buffer): Buffer {
  const text = buf.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, split).split('\r\n');
  const start = lines[0];
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    headers.push([lines[i].slice(0, c).trim().toLowerCase(), lines[i].slice(c + 1).trim()]);
  }
  const body = text.slice(split + 4);
  return Buffer.from(`${start}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'sip-parse',
    async run() {
      let sink = 0;
      const oursRuns: number[] = [];
      const baseRuns: number[] = [];
      // Interleaved rounds, median of each, so machine load hits both sides alike.
      for (let round = 0; round < 5; round++) {
        oursRuns.push(
          opsPerSecond(() => {
            const r = parseMessage(INVITE);
            if (r.ok) sink += serializeMessage(r.message).length;
          }, 400, 2000),
        );
        baseRuns.push(opsPerSecond(() => (sink += naive(INVITE).length), 400, 2000));
      }
      const ours = median(oursRuns);
      const base = median(baseRuns);
      if (sink === 0) throw new Error('nothing parsed');
      return [
        {
          name: 'sip-parse INVITE parse+serialise',
          value: ours,
          unit: 'msg/s',
          baseline: base,
          ratio: ours / base,
          target: '>= 50,000 msg/s',
          pass: ours >= 50_000,
          note: `baseline: naive split parser without limits/compact forms/folding; INVITE ${INVITE.length} bytes`,
        },
      ];
    },
  },
];

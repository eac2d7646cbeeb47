/**
 * call-trail-tap: what the call trail costs per call — the 16 messages of a SIP→ISUP call with a
 * gateway (7 SIP, 5 ISUP, 4 MGCP), each through its layer's tap (Call-ID peek, MGCP first line and
 * C:, the ring's record) plus the call's links, on a trail at its default caps and full (every call
 * evicts the oldest). Baseline in the same run: parsing the same call's 7 SIP messages with the
 * stack's parser, work the switch does for every call anyway.
 */
import { randomUUID } from 'node:crypto';
import { CallTrail } from '../src/calls/call-trail.js';
import { bearerCallId } from '../src/calls/legs/circuit-bearer.js';
import { mgcpTap } from '../src/mgcp/mgcp/tap.js';
import { peekCallId } from '../src/sip/call-id-peek.js';
import { parseMessage } from '../src/sip/parser.js';
import { tapKey } from '../src/util/message-tap.js';
import { opsPerSecond, type Benchmark } from './harness.js';

const POOL = 1000;
const a = { address: '127.0.0.1', port: 5060 };
const b = { address: '127.0.0.1', port: 5070 };
const gw = { address: '127.0.0.1', port: 2427 };

function sipMessages(callId: string): Buffer[] {
  const h = (first: string, cseq: string, extra = '', body = '') =>
    Buffer.from(
      `${first}\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${callId.slice(0, 8)}\r\nFrom: sipp <sip:sipp@127.0.0.1:5070>;tag=1\r\nTo: <sip:12125550150@127.0.0.1:5060>${first.startsWith('SIP') ? ';tag=2' : ''}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\nContact: <sip:sipp@127.0.0.1:5070>\r\nMax-Forwards: 70\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`,
    );
  const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const ct = 'Content-Type: application/sdp\r\n';
  return [
    h('INVITE sip:12125550150@127.0.0.1:5060 SIP/2.0', '1 INVITE', ct, sdp),
    h('SIP/2.0 100 Trying', '1 INVITE'),
    h('SIP/2.0 183 Session Progress', '1 INVITE', ct, sdp),
    h('SIP/2.0 200 OK', '1 INVITE', ct, sdp),
    h('ACK sip:12125550150@127.0.0.1:5060 SIP/2.0', '1 ACK'),
    h('BYE sip:12125550150@127.0.0.1:5060 SIP/2.0', '2 BYE'),
    h('SIP/2.0 200 OK', '2 BYE'),
  ];
}

interface PooledCall {
  id: string;
  sipCallId: string;
  cic: number;
  sip: Buffer[];
  mgcp: Array<{ out: boolean; bytes: Buffer }>;
}

const ISUP = [Buffer.from('01000110004800000a0300010b0903101021521505100a0703131252550500', 'hex'), Buffer.from('0100061604', 'hex'), Buffer.from('01000900', 'hex'), Buffer.from('01000c020002809000', 'hex'), Buffer.from('01001000', 'hex')];

function pool(): PooledCall[] {
  return Array.from({ length: POOL }, (_, i) => {
    const id = randomUUID();
    const c = bearerCallId(id);
    const tx = 1000 + i * 2;
    return {
      id,
      sipCallId: `${i}-${id}@127.0.0.1`,
      cic: 1 + (i % 24),
      sip: sipMessages(`${i}-${id}@127.0.0.1`),
      mgcp: [
        { out: true, bytes: Buffer.from(`CRCX ${tx} rtpbridge/*@mgw MGCP 1.0\r\nC: ${c}\r\nL: p:20, a:PCMU\r\nM: sendrecv\r\n`) },
        { out: false, bytes: Buffer.from(`200 ${tx} OK\r\nI: 1A\r\nZ: rtpbridge/1@mgw\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4002 RTP/AVP 0\r\n`) },
        { out: true, bytes: Buffer.from(`DLCX ${tx + 1} rtpbridge/1@mgw MGCP 1.0\r\nC: ${c}\r\nI: 1A\r\n`) },
        { out: false, bytes: Buffer.from(`250 ${tx + 1} OK\r\n`) },
      ],
    };
  });
}

function tapCall(trail: CallTrail, mgcp: ReturnType<typeof mgcpTap>, call: PooledCall): void {
  const tap = trail.tap;
  const sip = (i: number, dir: 'in' | 'out') => {
    const bytes = call.sip[i];
    const id = peekCallId(bytes);
    if (id !== undefined) tap({ key: tapKey.sip(id), protocol: 'sip', dir, bytes, local: a, remote: b });
  };
  const isup = (i: number, dir: 'in' | 'out') => tap({ key: tapKey.circuit('tg-ilec', call.cic), protocol: 'isup', dir, bytes: ISUP[i], mtp: { opc: 1, dpc: 2, si: 5, ni: 2, mp: 0, sls: 1 }, opens: i === 0 });
  const mg = (i: number) => (call.mgcp[i].out ? mgcp.sent(call.mgcp[i].bytes, gw) : mgcp.received(call.mgcp[i].bytes, gw));
  sip(0, 'in');
  trail.link(tapKey.sip(call.sipCallId), call.id);
  trail.link(tapKey.mgcp(bearerCallId(call.id)), call.id);
  sip(1, 'out');
  mg(0);
  mg(1);
  trail.link(tapKey.circuit('tg-ilec', call.cic), call.id);
  isup(0, 'out');
  isup(1, 'in');
  sip(2, 'out');
  isup(2, 'in');
  sip(3, 'out');
  sip(4, 'in');
  sip(5, 'in');
  sip(6, 'out');
  isup(3, 'out');
  isup(4, 'in');
  trail.unlink(tapKey.circuit('tg-ilec', call.cic), call.id);
  mg(2);
  mg(3);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'call-trail-tap',
    async run() {
      const calls = pool();
      const trail = new CallTrail();
      const mgcp = mgcpTap(trail.tap, () => ({ address: '127.0.0.1', port: 2727 }));
      const tapped = opsPerSecond((i) => tapCall(trail, mgcp, calls[i % POOL]), 1500, 1000);
      const parsed = opsPerSecond((i) => {
        for (const m of calls[i % POOL].sip) parseMessage(m);
      }, 1500, 1000);
      const tapUs = 1e6 / tapped;
      const parseUs = 1e6 / parsed;
      const full = trail.get(calls[(POOL + 999) % POOL].id);
      return [
        {
          name: 'call-trail-tap',
          value: tapUs,
          unit: 'µs/call',
          baseline: parseUs,
          ratio: tapUs / parseUs,
          note: `16 messages of a SIP→ISUP call with MGCP through the taps and the ring (default caps, full: ${trail.size} calls held, ${(trail.heldBytes / 1048576).toFixed(1)} MiB; last call ${full?.events.length ?? 0} events); baseline: parsing the call's 7 SIP messages with the stack's parser; ratio = tap ÷ parse`,
        },
      ];
    },
  },
];

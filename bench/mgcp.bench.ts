/**
 * mgcp-codec: decode + encode of a CRCX carrying SDP, against a naive split-based codec
 * written here as the baseline (no validation, no limits) measured in the same run.
 * mgcp-transactions: sequential CRCX/DLCX round trips against a real osmo-mgw, when installed.
 */
import { decode, encode } from '../src/mgcp/mgcp/codec.js';
import { MgcpCallAgent } from '../src/mgcp/mgcp/call-agent.js';
import type { MgcpMessage } from '../src/mgcp/mgcp/messages.js';
import { hasOsmoMgw, startOsmoMgw } from '../test/helpers/osmo-mgw.js';
import { median, opsPerSecond, type Benchmark, type BenchResult } from './harness.js';

const CRCX = Buffer.from(
  'CRCX 259260421 ds/ds1-3/17@tgw1.example.net MGCP 1.0\r\n' +
    'C: 1355c6041e\r\n' +
    'L: p:20, a:PCMA, nt:IN\r\n' +
    'M: recvonly\r\n' +
    'N: ca@softswitch.example.net:2727\r\n' +
    'X: 0123456789AC\r\n' +
    '\r\n' +
    'v=0\r\n' +
    'o=- 1439038275 1439038275 IN IP4 192.168.181.247\r\n' +
    's=-\r\n' +
    'c=IN IP4 192.168.181.247\r\n' +
    't=0 0\r\n' +
    'm=audio 29084 RTP/AVP 8 0 101\r\n' +
    'a=rtpmap:8 PCMA/8000\r\n' +
    'a=rtpmap:0 PCMU/8000\r\n' +
    'a=rtpmap:101 telephone-event/8000\r\n' +
    'a=fmtp:101 0-15\r\n' +
    'a=ptime:20\r\n',
  'latin1',
);

interface NaiveMessage {
  head: string[];
  params: Array<[string, string]>;
  sdp: string;
}

function naiveDecode(buf: Buffer): NaiveMessage {
  const text = buf.toString('utf8');
  const [header, body = ''] = text.split(/\r?\n\r?\n/, 2);
  const lines = header.split(/\r?\n/);
  const head = lines[0].split(/\s+/);
  const params = lines.slice(1).map((l): [string, string] => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toUpperCase(), l.slice(i + 1).trim()];
  });
  return { head, params, sdp: body };
}

function naiveEncode(m: NaiveMessage): Buffer {
  const lines = [m.head.join(' '), ...m.params.map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(lines.join('\r\n') + '\r\n' + (m.sdp ? '\r\n' + m.sdp : ''), 'utf8');
}

async function codecBench(): Promise<BenchResult[]> {
  const check = decode(encode(decode(CRCX)[0] as MgcpMessage));
  if (check[0].type !== 'command' || !check[0].sdp) throw new Error('codec round trip failed');
  let sink = 0;
  const runs = { ours: [] as number[], naive: [] as number[] };
  for (let i = 0; i < 5; i++) {
    runs.naive.push(opsPerSecond(() => (sink += naiveEncode(naiveDecode(CRCX)).length), 500, 2000));
    runs.ours.push(
      opsPerSecond(() => {
        const m = decode(CRCX)[0];
        if (m.type !== 'error') sink += encode(m).length;
      }, 500, 2000),
    );
  }
  if (sink === 0) throw new Error('benchmark optimised away');
  const ours = median(runs.ours);
  const naive = median(runs.naive);
  return [
    {
      name: 'mgcp-codec',
      value: ours,
      unit: 'CRCX+SDP decode+encode/s',
      baseline: naive,
      ratio: ours / naive,
      note: `${CRCX.length}-byte CRCX; baseline: naive split-based codec without validation or limits`,
    },
  ];
}

async function transactionBench(): Promise<BenchResult[]> {
  if (!hasOsmoMgw()) return [{ name: 'mgcp-transactions', value: 0, unit: 'CRCX+DLCX pairs/s', note: 'osmo-mgw not installed: skipped' }];
  const mgw = await startOsmoMgw();
  const ca = await MgcpCallAgent.open(0, '127.0.0.1');
  const gw = { address: mgw.address, port: mgw.port };
  try {
    const n = 2000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const c = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: `b${i}`, mode: 'recvonly' });
      await ca.dlcx(gw, { endpoint: c.endpoint, callId: `b${i}`, connectionId: c.connectionId });
    }
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    return [
      {
        name: 'mgcp-transactions',
        value: n / secs,
        unit: 'CRCX+DLCX pairs/s',
        note: `${n} sequential pairs against osmo-mgw on loopback (${((secs / (2 * n)) * 1e6).toFixed(0)} µs per transaction)`,
      },
    ];
  } finally {
    await ca.close();
    await mgw.stop();
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'mgcp-codec', run: codecBench },
  { name: 'mgcp-transactions', run: transactionBench },
];

/**
 * mgcp-codec: decode + encode of a CRCX carrying SDP, against a naive split-based codec
 * written here as the baseline (no validation, no limits) measured in the same run.
 * mgcp-transactions: sequential CRCX/DLCX round trips against a real osmo-mgw, when installed.
 * mgcp-crcx-dlcx: CRCX+DLCX pairs/s through the call agent with 16 pairs outstanding against
 * osmo-mgw, beside a bare UDP client sending the same commands with the same concurrency in the
 * same run (no codec, no transaction layer: what the gateway itself can take); ratio = ours/bare.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decode, encode } from '../src/mgcp/mgcp/codec.js';
import { MgcpCallAgent } from '../src/mgcp/mgcp/call-agent.js';
import type { MgcpMessage } from '../src/mgcp/mgcp/messages.js';
import { hasOsmoMgw, startOsmoMgw } from '../test/helpers/osmo-mgw.js';
import { concurrently, median, opsPerSecond, type Benchmark, type BenchResult } from './harness.js';

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

const OUTSTANDING = 16;
const PAIRS_RUN_MS = Number(process.env.MGCP_PAIRS_MS ?? 8000);

/** The bare client: text commands on a UDP socket, responses matched by transaction id. */
class BareMgcpClient {
  private readonly waiting = new Map<number, (text: string) => void>();
  private tid = 100_000;
  private constructor(private readonly sock: Socket, private readonly gw: { address: string; port: number }) {
    sock.on('message', (b) => {
      const text = b.toString('latin1');
      const m = /^(\d{3}) (\d+)/.exec(text);
      if (!m) return;
      const done = this.waiting.get(Number(m[2]));
      if (done) {
        this.waiting.delete(Number(m[2]));
        done(text);
      }
    });
  }

  static async open(gw: { address: string; port: number }): Promise<BareMgcpClient> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new BareMgcpClient(sock, gw);
  }

  private ask(command: (tid: number) => string): Promise<string | undefined> {
    const tid = this.tid++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(tid);
        resolve(undefined);
      }, 2000);
      this.waiting.set(tid, (text) => {
        clearTimeout(t);
        resolve(text);
      });
      this.sock.send(command(tid), this.gw.port, this.gw.address);
    });
  }

  async pair(i: number): Promise<boolean> {
    const callId = `bare${i.toString(16)}`;
    const r = await this.ask((tid) => `CRCX ${tid} rtpbridge/*@mgw MGCP 1.0\r\nC: ${callId}\r\nM: recvonly\r\n`);
    const conn = r && /^200 /.test(r) ? /\r?\nI: *(\S+)/.exec(r)?.[1] : undefined;
    const endpoint = r && /\r?\nZ: *(\S+)/.exec(r)?.[1];
    if (!conn || !endpoint) return false;
    const d = await this.ask((tid) => `DLCX ${tid} ${endpoint} MGCP 1.0\r\nC: ${callId}\r\nI: ${conn}\r\n`);
    return d !== undefined && /^25\d /.test(d);
  }

  close(): void {
    this.sock.close();
  }
}

async function crcxDlcxBench(): Promise<BenchResult[]> {
  if (!hasOsmoMgw()) return [{ name: 'mgcp-crcx-dlcx', value: 0, unit: 'CRCX+DLCX pairs/s', note: 'osmo-mgw not installed: skipped' }];
  const mgw = await startOsmoMgw();
  const gw = { address: mgw.address, port: mgw.port };
  const ca = await MgcpCallAgent.open(0, '127.0.0.1');
  const bare = await BareMgcpClient.open(gw);
  try {
    const viaAgent = async (i: number) => {
      try {
        const c = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: `ca${i.toString(16)}`, mode: 'recvonly' });
        await ca.dlcx(gw, { endpoint: c.endpoint, callId: `ca${i.toString(16)}`, connectionId: c.connectionId });
        return true;
      } catch {
        return false;
      }
    };
    // Halves alternate (bare, agent, bare, agent) so both see the gateway in the same states.
    const halves = [] as Array<{ rate: number; ok: number; failed: number }>;
    for (let k = 0; k < 4; k++) halves.push(await concurrently(OUTSTANDING, PAIRS_RUN_MS / 2, k % 2 === 0 ? (i) => bare.pair(i) : viaAgent));
    const sum = (xs: typeof halves) => ({ rate: xs.reduce((a, x) => a + x.rate, 0) / xs.length, ok: xs.reduce((a, x) => a + x.ok, 0), failed: xs.reduce((a, x) => a + x.failed, 0) });
    const base = sum([halves[0], halves[2]]);
    const ours = sum([halves[1], halves[3]]);
    return [
      {
        name: 'mgcp-crcx-dlcx',
        value: ours.rate,
        unit: 'CRCX+DLCX pairs/s',
        baseline: base.rate,
        ratio: ours.rate / base.rate,
        target: 'ratio >= 0.8, 0 failures',
        pass: ours.rate / base.rate >= 0.8 && ours.failed === 0,
        note: `${OUTSTANDING} pairs outstanding against osmo-mgw for ${PAIRS_RUN_MS / 1000} s each: call agent ${ours.ok} pairs, ${ours.failed} failed; bare UDP client ${base.ok} pairs, ${base.failed} failed`,
      },
      { name: 'mgcp-crcx-dlcx-failures', value: ours.failed, unit: 'failed pairs', target: '0', pass: ours.failed === 0 },
    ];
  } finally {
    bare.close();
    await ca.close();
    await mgw.stop();
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'mgcp-codec', run: codecBench },
  { name: 'mgcp-transactions', run: transactionBench },
  { name: 'mgcp-crcx-dlcx', run: crcxDlcxBench },
];

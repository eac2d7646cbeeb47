/**
 * m3ua-sctp-throughput: M3UA DATA messages (ISUP IAM inside) echoed by a child process over
 * SCTP/UDP (our transport on both ends), against the same windowed echo over bare Node UDP.
 * The child is this file run with SCTP_BENCH_ROLE=udp|sctp.
 */
import dgram from 'node:dgram';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeM3ua } from '../src/ss7/m3ua/codec.js';
import { acceptSctpOverUdp, connectSctpOverUdp } from '../src/ss7/sctp/udp-transport.js';
import { PPID_M3UA } from '../src/ss7/sctp/association.js';
import type { Benchmark, BenchResult } from './harness.js';

const WINDOW = 256;
const STREAMS = 4;
const MEASURE_MS = 3000;
const DRAIN_MS = 3000;

/** Q.763 IAM, 40 bytes (same layout as test/ss7/sctp/m3ua-payload.ts). */
const IAM = Buffer.from('010001006001' + '0a00' + '0208' + '06031021436587' + '0a080313442143658709' + '1d038090a3' + '31020000' + '3d011f' + '00', 'hex');

function m3uaData(seq: number): Buffer {
  return encodeM3ua({
    type: 'DATA',
    routingContext: [1],
    protocolData: { opc: 11522, dpc: 12163, si: 5, ni: 2, mp: 0, sls: seq & 0x0f, data: IAM },
    correlationId: seq >>> 0,
  });
}

/** The Correlation Id is the last parameter our encoder writes: the final 4 bytes. */
const seqOf = (msg: Buffer): number => msg.readUInt32BE(msg.length - 4);

interface Transport {
  send(msg: Buffer, stream: number): void;
  onMessage(fn: (msg: Buffer) => void): void;
  close(): Promise<void>;
}

interface Outcome {
  rate: number;
  sent: number;
  received: number;
  lost: number;
  reordered: number;
}

async function windowedEcho(t: Transport): Promise<Outcome> {
  let sent = 0;
  let received = 0;
  let reordered = 0;
  let sending = true;
  const next = Array.from({ length: STREAMS }, (_, s) => s);
  let measuredFrom = 0;
  let measuredCount = 0;
  let drained: () => void = () => undefined;
  const sendOne = () => {
    const seq = sent++;
    t.send(m3uaData(seq), seq % STREAMS);
  };
  t.onMessage((msg) => {
    received++;
    const seq = seqOf(msg);
    const s = seq % STREAMS;
    if (seq !== next[s]) reordered++;
    next[s] = seq + STREAMS;
    if (measuredFrom) measuredCount++;
    if (sending) sendOne();
    else if (received === sent) drained();
  });
  // Warm-up, then a timed window of echoes.
  for (let i = 0; i < WINDOW; i++) sendOne();
  await new Promise((r) => setTimeout(r, 500));
  measuredFrom = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const elapsed = performance.now() - measuredFrom;
  const count = measuredCount;
  sending = false;
  await Promise.race([new Promise<void>((r) => ((drained = r), received === sent && r())), new Promise((r) => setTimeout(r, DRAIN_MS))]);
  await t.close();
  return { rate: (count / elapsed) * 1000, sent, received, lost: sent - received, reordered };
}

function startChild(role: 'udp' | 'sctp'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, SCTP_BENCH_ROLE: role },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${role} echo child did not start`)), 15_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/PORT (\d+)/);
      if (m) {
        clearTimeout(t);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

async function udpTransport(port: number): Promise<Transport> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  return {
    send: (msg) => sock.send(msg),
    onMessage: (fn) => sock.on('message', fn),
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

async function sctpTransport(port: number): Promise<Transport> {
  const a = await connectSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: port, streams: STREAMS });
  await new Promise<void>((resolve, reject) => {
    a.once('up', resolve);
    a.once('down', (why: string) => reject(new Error(`sctp set-up failed: ${why}`)));
  });
  return {
    send: (msg, stream) => a.send(msg, stream, PPID_M3UA),
    onMessage: (fn) => a.on('message', (msg: Buffer) => fn(msg)),
    close: () => a.close(),
  };
}

async function measure(role: 'udp' | 'sctp'): Promise<Outcome> {
  const { child, port } = await startChild(role);
  try {
    return await windowedEcho(role === 'udp' ? await udpTransport(port) : await sctpTransport(port));
  } finally {
    child.kill();
  }
}

async function runChild(role: string): Promise<void> {
  if (role === 'udp') {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
    sock.bind(0, '127.0.0.1', () => process.stdout.write(`PORT ${sock.address().port}\n`));
    return;
  }
  const a = await acceptSctpOverUdp({ localAddress: '127.0.0.1', localPort: 0, remoteAddress: '127.0.0.1', remotePort: 0, streams: STREAMS });
  a.on('message', (msg: Buffer, stream: number, ppid: number) => a.send(msg, stream, ppid));
  a.on('down', () => process.exit(0));
  process.stdout.write(`PORT ${a.localPort}\n`);
}

const role = process.env.SCTP_BENCH_ROLE;
if (role) await runChild(role);

export const benchmarks: Benchmark[] = [
  {
    name: 'm3ua-sctp-throughput',
    async run(): Promise<BenchResult[]> {
      const udp = await measure('udp');
      const sctp = await measure('sctp');
      const ratio = sctp.rate / udp.rate;
      return [
        {
          name: 'm3ua-sctp-throughput',
          value: sctp.rate,
          unit: 'msg/s',
          baseline: udp.rate,
          ratio,
          target: '>= 0.25',
          pass: ratio >= 0.25 && sctp.lost === 0 && sctp.reordered === 0,
          note:
            `echoed M3UA DATA (${m3uaData(0).length} B, ISUP IAM) between two processes, window ${WINDOW}, ${STREAMS} streams; ` +
            `sctp/udp lost ${sctp.lost} reordered ${sctp.reordered} of ${sctp.sent}; ` +
            `bare udp lost ${udp.lost} reordered ${udp.reordered} of ${udp.sent}`,
        },
      ];
    },
  },
];

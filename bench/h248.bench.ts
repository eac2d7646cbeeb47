/**
 * h248-codec: decode + encode of an Add transaction with Local/Remote SDP (the message a call
 * sends first), pretty and compact text, against a naive brace-splitting codec written here as
 * the baseline (no grammar, no validation, no limits) measured in the same run.
 * h248-transactions: sequential createConnection/deleteConnection pairs (Add+Add, Subtract+Subtract)
 * against the OTP megaco MG, when Erlang/OTP megaco is installed.
 * h248-add-subtract: the same pairs with 16 outstanding through the controller, beside a bare
 * UDP MGC (answers the MG's ServiceChange, sends the same compact-text Add and Subtract
 * transactions, matches replies by id with regular expressions, no retransmission) in alternating
 * halves of the same run against the same MG; ratio = controller / bare.
 */
import { createSocket, type Socket } from 'node:dgram';
import { H248BearerPort } from '../src/mgcp/h248/bearer.js';
import { decode, encode } from '../src/mgcp/h248/codec.js';
import { H248Controller } from '../src/mgcp/h248/controller.js';
import type { Message } from '../src/mgcp/h248/messages.js';
import { hasErlangMegaco, startMegacoMg } from '../test/helpers/megaco-mg.js';
import { concurrently, median, opsPerSecond, type Benchmark, type BenchResult } from './harness.js';

const ADD: Message = {
  type: 'message',
  version: 1,
  mid: { kind: 'ip4', address: '192.168.181.10', port: 2944 },
  transactions: [
    {
      type: 'request',
      id: 259260421,
      actions: [
        {
          contextId: '$',
          commands: [
            { command: 'add', terminationId: 'tdm/3/17', descriptors: [] },
            {
              command: 'add',
              terminationId: '$',
              descriptors: [
                {
                  type: 'media',
                  streams: [
                    {
                      id: 1,
                      localControl: { mode: 'sendRecv', props: [{ name: 'nt/jit', value: { kind: 'equal', value: '40' } }] },
                      local: 'v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8 0 101',
                      remote:
                        'v=0\r\no=- 1439038275 1439038275 IN IP4 192.168.181.247\r\ns=-\r\nc=IN IP4 192.168.181.247\r\nt=0 0\r\n' +
                        'm=audio 29084 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20',
                    },
                  ],
                },
                { type: 'events', requestId: 2222, events: [{ name: 'nt/cause', params: [] }] },
              ],
            },
          ],
        },
      ],
    },
  ],
};

interface Node {
  head: string;
  body?: Node[] | string;
}

/** The baseline: split on braces and commas, keep Local/Remote bodies raw, no grammar at all. */
function naiveDecode(buf: Buffer): { header: string; nodes: Node[] } {
  const text = buf.toString('latin1');
  const nl = text.indexOf('\n');
  let pos = nl + 1;
  const parse = (): Node[] => {
    const out: Node[] = [];
    let head = '';
    for (; pos < text.length; pos++) {
      const c = text[pos];
      if (c === '{') {
        pos++;
        const h = head.trim();
        if (/^(local|remote|l|r)$/i.test(h)) {
          const end = text.indexOf('}', pos);
          out.push({ head: h, body: text.slice(pos, end) });
          pos = end;
        } else out.push({ head: h, body: parse() });
        head = '';
      } else if (c === '}') {
        if (head.trim()) out.push({ head: head.trim() });
        return out;
      } else if (c === ',') {
        if (head.trim()) out.push({ head: head.trim() });
        head = '';
      } else head += c;
    }
    if (head.trim()) out.push({ head: head.trim() });
    return out;
  };
  return { header: text.slice(0, nl), nodes: parse() };
}

function naiveEncode(m: { header: string; nodes: Node[] }): Buffer {
  const w = (ns: Node[]): string =>
    ns.map((n) => (n.body === undefined ? n.head : typeof n.body === 'string' ? `${n.head}{${n.body}}` : `${n.head}{${w(n.body)}}`)).join(',');
  return Buffer.from(`${m.header}\n${w(m.nodes)}`, 'latin1');
}

async function codecBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const encoding of ['pretty', 'compact'] as const) {
    const bytes = encode(ADD, { encoding });
    const check = decode(encode(decode(bytes) as Message, { encoding }));
    if (check.type !== 'message' || JSON.stringify(check) !== JSON.stringify(ADD)) throw new Error('codec round trip failed');
    let sink = 0;
    const runs = { ours: [] as number[], naive: [] as number[] };
    for (let i = 0; i < 5; i++) {
      runs.naive.push(opsPerSecond(() => (sink += naiveEncode(naiveDecode(bytes)).length), 500, 1000));
      runs.ours.push(
        opsPerSecond(() => {
          const m = decode(bytes);
          if (m.type === 'message') sink += encode(m, { encoding }).length;
        }, 500, 1000),
      );
    }
    if (sink === 0) throw new Error('benchmark optimised away');
    const ours = median(runs.ours);
    const naive = median(runs.naive);
    results.push({
      name: `h248-codec-${encoding}`,
      value: ours,
      unit: 'Add+SDP decode+encode/s',
      baseline: naive,
      ratio: ours / naive,
      note: `${bytes.length}-byte ${encoding} Add transaction (TDM + ephemeral RTP, Local/Remote SDP); baseline: naive brace splitter without grammar, validation or limits`,
    });
  }
  return results;
}

async function transactionBench(): Promise<BenchResult[]> {
  if (!hasErlangMegaco()) return [{ name: 'h248-transactions', value: 0, unit: 'call contexts/s', note: 'Erlang/OTP megaco not installed: skipped' }];
  const controller = await H248Controller.open([{ name: 'mg1', mid: { kind: 'domain', name: 'mg1' } }], { port: 0, address: '127.0.0.1' });
  const bearer = new H248BearerPort(controller, [{ name: 'mg1', domain: 'mg1' }]);
  const registered = new Promise<void>((resolve) => bearer.once('restart', () => resolve()));
  const mg = await startMegacoMg({ mgcPort: controller.local.port, encoding: 'compact' });
  try {
    await registered;
    const n = 500;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const c = await bearer.createConnection({ endpoint: `tdm/1/${1 + (i % 30)}@mg1`, callId: `b${i}`, mode: 'sendrecv' });
      await bearer.deleteConnection(c);
    }
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    return [
      {
        name: 'h248-transactions',
        value: n / secs,
        unit: 'call contexts/s',
        note: `${n} sequential Add(TDM+RTP)/Subtract(both) pairs against the OTP megaco MG, compact text on loopback (${((secs / (2 * n)) * 1e6).toFixed(0)} µs per transaction)`,
      },
    ];
  } finally {
    await mg.stop();
    await bearer.close();
  }
}

const OUTSTANDING = 16;
const PAIRS_RUN_MS = Number(process.env.H248_PAIRS_MS ?? 8000);

/** An MGC reduced to text templates over UDP: what the MG alone can take. */
class BareMgc {
  private readonly waiting = new Map<number, (text: string) => void>();
  private tid = 1_000_000;
  private mg?: { address: string; port: number };
  registered: Promise<void>;

  private constructor(private readonly sock: Socket) {
    let onRegistered: () => void = () => {};
    this.registered = new Promise((r) => (onRegistered = r));
    sock.on('message', (b, from) => {
      const text = b.toString('latin1');
      // The MG's ServiceChange (and any other request): reply to it.
      const req = /T=(\d+)\{C=-\{SC=/i.exec(text);
      if (req) {
        this.mg = { address: from.address, port: from.port };
        sock.send(`!/1 <bare>\nP=${req[1]}{C=-{SC=root}}`, from.port, from.address);
        onRegistered();
        return;
      }
      for (const m of text.matchAll(/P=(\d+)\{/g)) {
        const done = this.waiting.get(Number(m[1]));
        if (done) {
          this.waiting.delete(Number(m[1]));
          done(text);
        }
      }
    });
  }

  static async open(): Promise<BareMgc> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    return new BareMgc(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  private ask(body: (tid: number) => string): Promise<string | undefined> {
    const tid = this.tid++;
    const mg = this.mg!;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(tid);
        resolve(undefined);
      }, 3000);
      this.waiting.set(tid, (text) => {
        clearTimeout(t);
        resolve(text);
      });
      this.sock.send(`!/1 <bare>\n${body(tid)}`, mg.port, mg.address);
    });
  }

  async pair(tdm: string): Promise<boolean> {
    const add = await this.ask((tid) => `T=${tid}{C=\${A=${tdm},A=\${M{ST=1{O{MO=SR},L{\nv=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8 0\n}}}}}}`);
    const ctx = add && /C=(\d+)\{/.exec(add)?.[1];
    const rtp = add && /A=(rtp\/\d+)/i.exec(add)?.[1];
    if (!ctx || !rtp) return false;
    const sub = await this.ask((tid) => `T=${tid}{C=${ctx}{S=${tdm},S=${rtp}}}`);
    return sub !== undefined && !/ER=/.test(sub);
  }

  close(): void {
    this.sock.close();
  }
}

async function addSubtractBench(): Promise<BenchResult[]> {
  if (!hasErlangMegaco()) return [{ name: 'h248-add-subtract', value: 0, unit: 'Add/Subtract pairs/s', note: 'Erlang/OTP megaco not installed: skipped' }];
  const controller = await H248Controller.open([{ name: 'mg1', mid: { kind: 'domain', name: 'mg1' } }], { port: 0, address: '127.0.0.1' });
  const bearer = new H248BearerPort(controller, [{ name: 'mg1', domain: 'mg1' }]);
  const registered = new Promise<void>((resolve) => bearer.once('restart', () => resolve()));
  const mg = await startMegacoMg({ mgcPort: controller.local.port, encoding: 'compact' });
  const bare = await BareMgc.open();
  const mg2 = await startMegacoMg({ mgcPort: bare.port, encoding: 'compact' });
  try {
    await registered;
    await bare.registered;
    // Each worker keeps to its own TDM termination, as calls on distinct DS0s would.
    const free = Array.from({ length: OUTSTANDING }, (_, i) => i + 1);
    const withTdm = async (op: (n: number) => Promise<boolean>) => {
      const n = free.pop()!;
      try {
        return await op(n);
      } finally {
        free.push(n);
      }
    };
    const viaController = (i: number) =>
      withTdm(async (n) => {
        try {
          const c = await bearer.createConnection({ endpoint: `tdm/1/${n}@mg1`, callId: `b${i}`, mode: 'sendrecv' });
          await bearer.deleteConnection(c);
          return true;
        } catch {
          return false;
        }
      });
    const viaBare = () => withTdm((n) => bare.pair(`tdm/1/${n}`));
    const halves = [] as Array<{ rate: number; ok: number; failed: number }>;
    for (let k = 0; k < 4; k++) halves.push(await concurrently(OUTSTANDING, PAIRS_RUN_MS / 2, k % 2 === 0 ? viaBare : viaController));
    const sum = (xs: typeof halves) => ({ rate: (xs[0].rate + xs[1].rate) / 2, ok: xs[0].ok + xs[1].ok, failed: xs[0].failed + xs[1].failed });
    const base = sum([halves[0], halves[2]]);
    const ours = sum([halves[1], halves[3]]);
    return [
      {
        name: 'h248-add-subtract',
        value: ours.rate,
        unit: 'Add/Subtract pairs/s',
        baseline: base.rate,
        ratio: ours.rate / base.rate,
        target: 'ratio >= 0.8, 0 failures',
        pass: ours.rate / base.rate >= 0.8 && ours.failed === 0,
        note: `${OUTSTANDING} outstanding against two OTP megaco MGs (one per MGC), compact text, ${PAIRS_RUN_MS / 1000} s each: controller ${ours.ok} pairs, ${ours.failed} failed; bare MGC ${base.ok} pairs, ${base.failed} failed`,
      },
      { name: 'h248-add-subtract-failures', value: ours.failed, unit: 'failed pairs', target: '0', pass: ours.failed === 0 },
    ];
  } finally {
    await mg2.stop();
    bare.close();
    await mg.stop();
    await bearer.close();
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'h248-codec', run: codecBench },
  { name: 'h248-transactions', run: transactionBench },
  { name: 'h248-add-subtract', run: addSubtractBench },
];

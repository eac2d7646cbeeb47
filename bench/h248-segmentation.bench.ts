/**
 * h248-segmented-reply: replies/s through the transaction layer (in process, no socket) when a
 * four-action AuditValue reply comes as four v3 segments (decode each, SegmentReply each,
 * reassemble), beside the same four actions in one unsegmented reply in the same run;
 * ratio = segmented / whole. Datagrams are written once as templates; only the id changes.
 */
import { encode } from '../src/mgcp/h248/codec.js';
import type { ActionReply, Message, Mid, SegmentInfo } from '../src/mgcp/h248/messages.js';
import { TransactionLayer } from '../src/mgcp/h248/transaction-layer.js';
import type { Peer } from '../src/mgcp/h248/transport.js';
import type { Benchmark, BenchResult } from './harness.js';

const MG: Peer = { address: '127.0.0.1', port: 40000 };
const MG_MID: Mid = { kind: 'domain', name: 'mg1' };
const ID = 999_999_999;
const action = (n: number): ActionReply => ({
  contextId: '-',
  replies: [{ command: 'auditValue', terminationId: `tdm/1/${n}`, audit: [{ type: 'packages', packages: [{ name: 'g', version: 1 }, { name: 'nt', version: 1 }] }] }],
});
const template = (segment: SegmentInfo | undefined, actions: ActionReply[]): string => {
  const m: Message = { type: 'message', version: 3, mid: MG_MID, transactions: [{ type: 'reply', id: ID, ...(segment ? { segment } : {}), actions }] };
  return encode(m, { encoding: 'compact' }).toString('latin1');
};

async function rate(datagrams: string[], ms: number): Promise<number> {
  let next = 1;
  const layer = new TransactionLayer({
    mid: { kind: 'domain', name: 'mgc' },
    version: 3,
    encoding: 'compact',
    firstTransactionId: next,
    send: () => {},
    onRequest: () => ({ actions: [] }),
    ackDelayMs: 60_000,
  });
  const audit = [{ contextId: '-' as const, commands: [{ command: 'auditValue' as const, terminationId: 'ROOT', audit: [] }] }];
  let n = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let i = 0; i < 100; i++) {
      const id = next++;
      const p = layer.request(MG, audit);
      for (const d of datagrams) layer.receive(Buffer.from(d.replace(String(ID), String(id)), 'latin1'), MG);
      const r = await p;
      if (r.actions.length !== 4) throw new Error('reply not reassembled');
      n++;
    }
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  layer.close();
  return n / elapsed;
}

async function segmentationBench(): Promise<BenchResult[]> {
  const actions = [1, 2, 3, 4].map(action);
  const segmented = actions.map((a, i) => template({ number: i + 1, ...(i === 3 ? { complete: true } : {}) }, [a]));
  const whole = [template(undefined, actions)];
  await rate(segmented, 200);
  await rate(whole, 200);
  const seg: number[] = [];
  const one: number[] = [];
  for (let i = 0; i < 3; i++) {
    seg.push(await rate(segmented, 1500));
    one.push(await rate(whole, 1500));
  }
  const value = Math.max(...seg);
  const baseline = Math.max(...one);
  return [
    {
      name: 'h248-segmented-reply',
      value: Math.round(value),
      unit: 'replies/s',
      baseline: Math.round(baseline),
      ratio: Number((value / baseline).toFixed(2)),
      note: 'four-action AuditValue reply as 4 v3 segments (SegmentReply each) vs one whole reply, compact text, in process',
    },
  ];
}

export const benchmarks: Benchmark[] = [{ name: 'h248-segmented-reply', run: segmentationBench }];

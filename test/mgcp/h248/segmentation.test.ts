/**
 * H.248.1 v3 segmented replies (§8.1.1) through the transaction layer in virtual time: every
 * segment acknowledged with a SegmentReply, the reply delivered once whole, bounded, and given
 * up as 459 when the segmentation timer runs out. The segments come from OTP megaco's encoders
 * (the oracle) as well as from ours.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, type TextEncoding } from '../../../src/mgcp/h248/codec.js';
import { H248Error } from '../../../src/mgcp/h248/errors.js';
import type { ActionReply, Message, Mid, SegmentInfo, Transaction } from '../../../src/mgcp/h248/messages.js';
import { h248Metrics } from '../../../src/mgcp/h248/metrics.js';
import { SegmentedReply } from '../../../src/mgcp/h248/segment-reassembly.js';
import { TransactionLayer, type TransactionLayerOptions } from '../../../src/mgcp/h248/transaction-layer.js';
import type { Peer } from '../../../src/mgcp/h248/transport.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { hasErlangMegaco, startMegacoOracle, type MegacoOracle } from '../../helpers/megaco-mg.js';

const MGC_MID: Mid = { kind: 'domain', name: 'mgc', port: 2944 };
const MG_MID: Mid = { kind: 'domain', name: 'mg1' };
const MG: Peer = { address: '127.0.0.1', port: 40000 };
const audit = [{ contextId: '-' as const, commands: [{ command: 'auditValue' as const, terminationId: 'ROOT', audit: [] }] }];

const action = (n: number): ActionReply => ({ contextId: '-', replies: [{ command: 'auditValue', terminationId: `tdm/1/${n}` }] });

function setup(opts: Partial<TransactionLayerOptions> = {}) {
  const clock = new VirtualClock(0);
  const sent: Message[] = [];
  const metrics = h248Metrics(new Registry());
  const layer = new TransactionLayer({
    mid: MGC_MID,
    clock,
    metrics,
    firstTransactionId: 4711,
    version: 3,
    send: (bytes) => {
      const msg = decode(bytes);
      if (msg.type === 'error') throw new Error(`layer sent undecodable bytes: ${msg.reason}`);
      sent.push(msg);
    },
    onRequest: () => ({ error: { type: 'error', code: 501 } }),
    ...opts,
  });
  const segment = (id: number, segment: SegmentInfo, actions: ActionReply[], encoding: TextEncoding = 'pretty') =>
    layer.receive(encode({ type: 'message', version: 3, mid: MG_MID, transactions: [{ type: 'reply', id, segment, actions }] }, { encoding }), MG);
  const segmentReplies = () =>
    sent.flatMap((m) => m.transactions.filter((t): t is Extract<Transaction, { type: 'segmentReply' }> => t.type === 'segmentReply').map((t) => ({ v: m.version, ...t })));
  return { clock, sent, layer, segment, segmentReplies, metrics };
}

describe('H.248 v3 segmented replies (transaction layer, virtual time)', () => {
  for (const encoding of ['pretty', 'compact'] as const) {
    it(`${encoding}: segments out of order and duplicated are each acknowledged, the reply is delivered whole and in order`, async () => {
      const { clock, layer, segment, segmentReplies, sent } = setup({ encoding });
      const p = layer.request(MG, audit);
      expect(sent).toHaveLength(1);
      segment(4711, { number: 2 }, [action(2)], encoding);
      segment(4711, { number: 3, complete: true }, [action(3), action(4)], encoding);
      segment(4711, { number: 2 }, [action(2)], encoding);
      // No retransmission of the request once the MG is answering in segments.
      clock.advance(3000);
      expect(sent.filter((m) => m.transactions[0].type === 'request')).toHaveLength(1);
      segment(4711, { number: 1 }, [action(1)], encoding);
      const reply = await p;
      expect(reply.actions.map((a) => a.replies[0].terminationId)).toEqual(['tdm/1/1', 'tdm/1/2', 'tdm/1/3', 'tdm/1/4']);
      expect(reply.segment).toBeUndefined();
      expect(segmentReplies()).toEqual([
        { v: 3, type: 'segmentReply', id: 4711, segment: { number: 2 } },
        { v: 3, type: 'segmentReply', id: 4711, segment: { number: 3, complete: true } },
        { v: 3, type: 'segmentReply', id: 4711, segment: { number: 2 } },
        { v: 3, type: 'segmentReply', id: 4711, segment: { number: 1 } },
      ]);
      // The complete reply is acknowledged like any other (TransactionResponseAck).
      clock.advance(200);
      expect(sent.some((m) => m.transactions.some((t) => t.type === 'ack' && t.ranges[0].first === 4711))).toBe(true);
      // A segment sent again after completion is acknowledged again and changes nothing.
      segment(4711, { number: 3, complete: true }, [action(3), action(4)], encoding);
      expect(segmentReplies().at(-1)).toEqual({ v: 3, type: 'segmentReply', id: 4711, segment: { number: 3, complete: true } });
      layer.close();
    });
  }

  it('a segment missing when the segmentation timer runs out fails the request with 459, naming the gap', async () => {
    const { clock, layer, segment, metrics } = setup({ segmentTimerMs: 2000 });
    const p = layer.request(MG, audit).catch((e: unknown) => e);
    segment(4711, { number: 1 }, [action(1)]);
    clock.advance(1500);
    segment(4711, { number: 3, complete: true }, [action(3)]);
    clock.advance(1500); // the timer restarted with segment 3
    expect(layer.pending).toBe(1);
    clock.advance(600);
    const e = await p;
    expect(e).toBeInstanceOf(H248Error);
    expect(e).toMatchObject({ kind: 'timeout', code: 459, transactionId: 4711 });
    expect((e as H248Error).text).toContain('missing 2');
    expect(layer.pending).toBe(0);
    expect((await metrics.segments.get()).values.find((v) => v.labels.outcome === 'lost')?.value).toBe(1);
  });

  it('a reply beyond the segment or byte limits is refused and the request fails', async () => {
    const a = setup({ reassembly: { maxSegments: 4 } });
    const p1 = a.layer.request(MG, audit).catch((e: unknown) => e);
    a.segment(4711, { number: 5 }, [action(5)]);
    expect(await p1).toMatchObject({ kind: 'invalid' });
    expect((await p1 as H248Error).text).toMatch(/beyond the limit of 4/);
    const b = setup({ reassembly: { maxBytes: 300 } });
    const p2 = b.layer.request(MG, audit).catch((e: unknown) => e);
    for (let n = 1; n <= 5 && b.layer.pending > 0; n++) b.segment(4711, { number: n }, [action(n)]);
    expect((await p2 as H248Error).text).toMatch(/exceed 300 bytes/);
    expect(b.layer.pending).toBe(0);
  });

  it('reassembly refuses inconsistent segment sets (two last segments, a segment after the last, number 0)', () => {
    const r = new SegmentedReply(1);
    const seg = (number: number, complete = false) => ({ type: 'reply' as const, id: 1, segment: complete ? { number, complete } : { number }, actions: [action(number)] });
    expect(r.add(seg(0), 10).kind).toBe('refused');
    expect(r.add(seg(3, true), 10).kind).toBe('incomplete');
    expect(r.add(seg(4), 10).kind).toBe('refused');
    expect(r.add(seg(2, true), 10).kind).toBe('refused');
    expect(r.missing()).toEqual([1, 2]);
    expect(r.add(seg(1), 10).kind).toBe('incomplete');
    expect(r.add(seg(2), 10)).toMatchObject({ kind: 'complete', reply: { id: 1, actions: [action(1), action(2), action(3)] } });
  });
});

describe.skipIf(!hasErlangMegaco())('H.248 v3 segments written by OTP megaco reassemble here', () => {
  let oracle: MegacoOracle;
  beforeAll(async () => {
    oracle = await startMegacoOracle();
  });
  afterAll(async () => {
    await oracle?.stop();
  });

  for (const encoding of ['pretty', 'compact'] as const) {
    it(`${encoding}: OTP's segment 2 (END) then segment 1 give one reply; our SegmentReplies decode in OTP`, async () => {
      const samples = Object.fromEntries((await oracle.samples()).map((s) => [s.name, s[encoding]]));
      const { layer, sent, segmentReplies } = setup({ encoding });
      const p = layer.request(MG, audit);
      layer.receive(samples.segment_2_end, MG);
      expect(layer.pending).toBe(1);
      layer.receive(samples.segment_1, MG);
      const reply = await p;
      expect(reply.actions.map((a) => a.replies[0].terminationId)).toEqual(['tdm/1/1', 'tdm/1/2']);
      expect(segmentReplies().map((s) => s.segment)).toEqual([{ number: 2, complete: true }, { number: 1 }]);
      for (const m of sent.filter((x) => x.transactions[0].type === 'segmentReply')) {
        const r = await oracle.decode(encode(m, { encoding }));
        expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      }
      layer.close();
    });
  }
});

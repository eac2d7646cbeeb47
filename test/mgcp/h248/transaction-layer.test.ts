/** The H.248 transaction layer in virtual time, against a scripted peer (H.248.1 §8, Annex D.1). */
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../src/mgcp/h248/codec.js';
import type { Message, Mid, Transaction } from '../../../src/mgcp/h248/messages.js';
import { handleTx, newTx, TX_TRANSITIONS, DEFAULT_RETRANSMIT_POLICY } from '../../../src/mgcp/h248/transaction-fsm.js';
import { ackRanges, TransactionLayer, type RequestAnswer, type TransactionLayerOptions } from '../../../src/mgcp/h248/transaction-layer.js';
import type { Peer } from '../../../src/mgcp/h248/transport.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { mulberry32 } from '../../../src/util/prng.js';
import { h248Metrics } from '../../../src/mgcp/h248/metrics.js';
import { Registry } from 'prom-client';

const MGC_MID: Mid = { kind: 'domain', name: 'mgc', port: 2944 };
const MG_MID: Mid = { kind: 'domain', name: 'mg1' };
const MG: Peer = { address: '127.0.0.1', port: 40000 };

interface Sent {
  at: number;
  to: Peer;
  msg: Message;
  bytes: Buffer;
}

function setup(opts: Partial<TransactionLayerOptions> = {}) {
  const clock = new VirtualClock(0);
  const sent: Sent[] = [];
  const handled: number[] = [];
  const gaveUp: number[] = [];
  const layer = new TransactionLayer({
    mid: MGC_MID,
    clock,
    firstTransactionId: 100,
    send: (bytes, to) => {
      const msg = decode(bytes);
      if (msg.type === 'error') throw new Error(`layer sent undecodable bytes: ${msg.reason}`);
      sent.push({ at: clock.now(), to, msg, bytes });
    },
    onRequest: (req) => {
      handled.push(req.request.id);
      return { actions: [{ contextId: '-', replies: [{ command: 'notify', terminationId: 'tdm/1/1' }] }] };
    },
    onGiveUp: (_p, id) => gaveUp.push(id),
    ...opts,
  });
  const fromMg = (...transactions: Transaction[]) => layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions }), MG);
  return { clock, sent, handled, gaveUp, layer, fromMg };
}

const audit = [{ contextId: '-' as const, commands: [{ command: 'auditValue' as const, terminationId: 'ROOT', audit: [] }] }];
const notify = {
  type: 'request' as const,
  id: 7,
  actions: [{ contextId: '-' as const, commands: [{ command: 'notify' as const, terminationId: 'tdm/1/1', observedEvents: { type: 'observedEvents' as const, requestId: 1, events: [{ name: 'al/of', params: [] }] } }] }],
};
const okReply = (id: number, immAckRequired = false): Transaction => ({
  type: 'reply',
  id,
  ...(immAckRequired ? { immAckRequired } : {}),
  actions: [{ contextId: '-', replies: [{ command: 'auditValue', terminationId: 'ROOT' }] }],
});

describe('H.248 transaction state machine', () => {
  it('accepts only the events its table lists, and every transition it takes is in the table', () => {
    const policy = { ...DEFAULT_RETRANSMIT_POLICY, maxRetransmits: 1, maxPendings: 1 };
    const tx = newTx(policy);
    expect(handleTx(tx, { type: 'SEND_REQ' }, policy).map((a) => a.kind)).toEqual(['send', 'start-timer']);
    expect(handleTx(tx, { type: 'RX_PENDING' }, policy).map((a) => a.kind)).toEqual(['stop-timer', 'start-timer']);
    expect(tx.state).toBe('PENDING');
    expect(handleTx(tx, { type: 'SEND_REQ' }, policy)).toEqual([]);
    expect(handleTx(tx, { type: 'RX_PENDING' }, policy)).toEqual([{ kind: 'stop-timer' }, { kind: 'fail', reason: 'pending-limit' }]);
    expect(tx.state).toBe('FAILED');
    expect(Object.keys(TX_TRANSITIONS.FAILED)).toEqual([]);
  });
});

describe('H.248 transaction layer (virtual time)', () => {
  it('retransmits with exponential backoff up to a ceiling, then gives up (Annex D.1.2)', async () => {
    const { clock, sent, layer, gaveUp } = setup({ policy: { initialRtoMs: 500, maxRtoMs: 4000, maxRetransmits: 5 } });
    const p = layer.request(MG, audit);
    const failed = p.catch((e: unknown) => e);
    clock.advance(60_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(new Set(sent.map((s) => s.bytes.toString('latin1'))).size).toBe(1);
    const e = (await failed) as { kind: string; text: string };
    expect(e).toMatchObject({ kind: 'timeout', text: 'no-reply' });
    expect(gaveUp).toEqual([100]);
    expect(layer.pending).toBe(0);
  });

  it('stops retransmitting on TransactionPending and waits LONG-TIMER, restarted by each Pending (§8.2.3)', async () => {
    const { clock, sent, layer, fromMg } = setup({ policy: { initialRtoMs: 500, longTimerMs: 10_000 } });
    const p = layer.request(MG, audit);
    clock.advance(100);
    fromMg({ type: 'pending', id: 100 });
    clock.advance(9_000);
    fromMg({ type: 'pending', id: 100 });
    clock.advance(9_000);
    expect(sent).toHaveLength(1);
    fromMg(okReply(100));
    const r = await p;
    expect(r.id).toBe(100);
    expect(layer.pending).toBe(0);
  });

  it('gives up when LONG-TIMER runs out after a Pending, and when the peer exceeds the pending limit', async () => {
    const { clock, layer, fromMg } = setup({ policy: { longTimerMs: 10_000, maxPendings: 3 } });
    const a = layer.request(MG, audit).catch((e: unknown) => e);
    fromMg({ type: 'pending', id: 100 });
    clock.advance(10_001);
    expect(await a).toMatchObject({ kind: 'timeout', text: 'no-reply-after-pending' });
    const b = layer.request(MG, audit).catch((e: unknown) => e);
    for (let i = 0; i < 4; i++) fromMg({ type: 'pending', id: 101 });
    expect(await b).toMatchObject({ kind: 'timeout', code: 506, text: 'pending-limit' });
  });

  it('acknowledges a reply with ImmAckRequired at once, others after a short delay or with the next message', async () => {
    const { clock, sent, layer, fromMg } = setup({ ackDelayMs: 100 });
    const p1 = layer.request(MG, audit);
    fromMg(okReply(100, true));
    await p1;
    expect(sent.at(-1)?.msg.transactions).toEqual([{ type: 'ack', ranges: [{ first: 100 }] }]);
    expect(sent.at(-1)?.at).toBe(0);

    const p2 = layer.request(MG, audit);
    fromMg(okReply(101));
    await p2;
    expect(sent).toHaveLength(3);
    clock.advance(100);
    expect(sent.at(-1)?.msg.transactions).toEqual([{ type: 'ack', ranges: [{ first: 101 }] }]);

    const p3 = layer.request(MG, audit);
    const p4 = layer.request(MG, audit);
    fromMg(okReply(102), okReply(103));
    await Promise.all([p3, p4]);
    clock.advance(10);
    void layer.request(MG, audit).catch(() => {});
    // The acks of 102 and 103 ride on request 104, as one range.
    expect(sent.at(-1)?.msg.transactions.map((t) => t.type)).toEqual(['ack', 'request']);
    expect(sent.at(-1)?.msg.transactions[0]).toEqual({ type: 'ack', ranges: [{ first: 102, last: 103 }] });
    layer.close();
  });

  it('acknowledges a retransmitted reply again, and ignores a reply from another address', async () => {
    const { sent, layer, fromMg } = setup();
    const p = layer.request(MG, audit);
    layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions: [okReply(100)] }), { address: '10.9.9.9', port: 1 });
    expect(layer.pending).toBe(1);
    fromMg(okReply(100, true));
    await p;
    const acks = () => sent.filter((s) => s.msg.transactions[0]?.type === 'ack').length;
    expect(acks()).toBe(1);
    fromMg(okReply(100, true));
    expect(acks()).toBe(2);
  });

  it('executes a request once: duplicates get TransactionPending while it runs, then the cached reply (D.1.3)', async () => {
    let release!: (a: RequestAnswer) => void;
    const handled: number[] = [];
    const { clock, sent, layer, fromMg } = setup({
      pendingAfterMs: 200,
      onRequest: (req) => {
        handled.push(req.request.id);
        return new Promise<RequestAnswer>((r) => (release = r));
      },
    });
    fromMg(notify);
    clock.advance(150);
    expect(sent).toHaveLength(0);
    clock.advance(50);
    expect(sent.map((s) => s.msg.transactions[0])).toEqual([{ type: 'pending', id: 7 }]);
    fromMg(notify);
    expect(sent.map((s) => s.msg.transactions[0].type)).toEqual(['pending', 'pending']);
    release({ actions: [{ contextId: '-', replies: [{ command: 'notify', terminationId: 'tdm/1/1' }] }] });
    await Promise.resolve();
    expect(sent.at(-1)?.msg.transactions[0]).toMatchObject({ type: 'reply', id: 7 });
    fromMg(notify);
    expect(sent.at(-1)?.bytes).toEqual(sent.at(-2)?.bytes);
    expect(handled).toEqual([7]);
    expect(layer.cachedAnswers).toBe(1);
    // The TransactionResponseAck frees the cached reply.
    fromMg({ type: 'ack', ranges: [{ first: 5, last: 8 }] });
    expect(layer.cachedAnswers).toBe(0);
  });

  it('tells a new request reusing a transaction id (a restarted peer) from a retransmission', () => {
    const { sent, layer, fromMg, handled } = setup();
    fromMg(notify);
    fromMg(notify);
    expect(handled).toEqual([7]);
    // Same id from another socket: a new process of the same gateway.
    layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions: [notify] }), { address: MG.address, port: MG.port + 1 });
    expect(handled).toEqual([7, 7]);
    // Same socket, other content.
    const other: Transaction = { ...notify, actions: [{ contextId: 9, commands: notify.actions[0].commands }] };
    layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions: [other] }), { address: MG.address, port: MG.port + 1 });
    expect(handled).toEqual([7, 7, 7]);
    expect(sent).toHaveLength(4);
  });

  it('abandons what is outstanding towards a peer that restarted, at once', async () => {
    const { layer, gaveUp, sent } = setup();
    const p = layer.request(MG, audit).catch((e: unknown) => e);
    expect(layer.abandon(MG, 'peer restarted')).toBe(1);
    expect(await p).toMatchObject({ kind: 'timeout', text: 'peer restarted' });
    expect(gaveUp).toEqual([]);
    expect(layer.pending).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it('keeps a reply for duplicates for the cache time when no ack comes, and can ask for acks (ImmAckRequired)', () => {
    const { clock, sent, layer, fromMg, handled } = setup({ replyCacheMs: 30_000, requestAcks: true });
    fromMg(notify);
    expect(sent[0].msg.transactions[0]).toMatchObject({ type: 'reply', id: 7, immAckRequired: true });
    clock.advance(29_000);
    fromMg(notify);
    expect(handled).toEqual([7]);
    clock.advance(2_000);
    expect(layer.cachedAnswers).toBe(0);
    fromMg(notify);
    expect(handled).toEqual([7, 7]);
  });

  it('answers a request it cannot parse with error 403 for that transaction, and a handler failure with 500', async () => {
    const { sent, layer, handled } = setup({
      onRequest: () => {
        throw new Error('boom');
      },
    });
    layer.receive(Buffer.from('MEGACO/1 <mg1>\nTransaction = 9 { Context = 1 { Add = tdm/1/1 { Media { Stream = x } } } }'), MG);
    expect(handled).toEqual([]);
    expect(sent[0].msg.transactions[0]).toMatchObject({ type: 'reply', id: 9, error: { code: 403 } });
    layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions: [notify] }), MG);
    await Promise.resolve();
    expect(sent[1].msg.transactions[0]).toMatchObject({ type: 'reply', id: 7, error: { code: 500 } });
    layer.receive(Buffer.from('MEGACO/1 <mg1>\n%%%'), MG);
    expect(sent[2].msg.error).toMatchObject({ code: 400 });
    layer.receive(Buffer.from('garbage'), MG);
    expect(sent).toHaveLength(3);
  });

  it('sends acknowledgements and a reply in separate datagrams when together they exceed the MTU', async () => {
    const big = 'x'.repeat(1500);
    const { sent, layer, fromMg } = setup({
      mtuBytes: 1400,
      ackDelayMs: 1000,
      onRequest: () => ({ actions: [{ contextId: 1, replies: [{ command: 'notify', terminationId: 'tdm/1/1', error: { type: 'error', code: 500, text: big.slice(0, 1300) } }] }] }),
    });
    const p = layer.request(MG, audit);
    fromMg(okReply(100));
    await p;
    fromMg(notify);
    expect(sent.slice(1).map((s) => s.msg.transactions.map((t) => t.type))).toEqual([['ack'], ['reply']]);
    expect(sent.every((s) => s.bytes.length <= 1400)).toBe(true);
  });

  it('writes to each peer in the encoding it last used, and rejects everything outstanding on close', async () => {
    const { sent, layer } = setup();
    layer.receive(encode({ type: 'message', version: 1, mid: MG_MID, transactions: [notify] }, { encoding: 'compact' }), MG);
    expect(sent[0].bytes.toString('latin1').startsWith('!/1 <mgc>:2944')).toBe(true);
    const p = layer.request(MG, audit).catch((e: unknown) => e);
    expect(sent[1].bytes.toString('latin1')).toMatch(/^!\/1 <mgc>:2944\nT=100\{/);
    layer.close();
    expect(await p).toMatchObject({ kind: 'closed' });
    await expect(layer.request(MG, audit)).rejects.toMatchObject({ kind: 'closed' });
  });

  it('counts into the registry it is given', async () => {
    const registry = new Registry();
    const { clock, layer, fromMg } = setup({ metrics: h248Metrics(registry), policy: { initialRtoMs: 500 } });
    const p = layer.request(MG, audit);
    clock.advance(600);
    fromMg({ type: 'pending', id: 100 }, okReply(100));
    await p;
    const text = await registry.metrics();
    expect(text).toMatch(/softswitch_h248_retransmissions_total\{gateway="[^"]+"\} 1/);
    expect(text).toMatch(/softswitch_h248_pendings_total\{direction="received"\} 1/);
    expect(text).toMatch(/softswitch_h248_transactions_total\{outcome="ok",gateway="[^"]+"\} 1/);
    expect(h248Metrics(registry)).toBe(h248Metrics(registry));
  });

  it('survives hostile datagrams (seeded, 5,000 mutations): never throws, answers only what it can encode', () => {
    const r = mulberry32(0xd1);
    const { layer, sent } = setup();
    const seeds = [
      encode({ type: 'message', version: 1, mid: MG_MID, transactions: [notify] }),
      encode({ type: 'message', version: 1, mid: MG_MID, transactions: [notify] }, { encoding: 'compact' }),
      encode({ type: 'message', version: 1, mid: MG_MID, transactions: [{ type: 'pending', id: 3 }, { type: 'ack', ranges: [{ first: 1, last: 9 }] }, okReply(5, true)] }),
    ];
    for (let i = 0; i < 5000; i++) {
      const b = [...seeds[i % seeds.length]];
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
        const at = Math.floor(r() * b.length);
        if (r() < 0.5) b[at] = '"{}=,x\n\u0000'.charCodeAt(Math.floor(r() * 8));
        else b.splice(at, 1 + Math.floor(r() * 5));
      }
      layer.receive(Buffer.from(b), MG);
    }
    for (const s of sent) expect(decode(s.bytes).type).toBe('message');
    expect(sent.length).toBeGreaterThan(100);
  });

  it('compacts acknowledged ids into ranges', () => {
    expect(ackRanges([5, 3, 4, 9, 9, 11, 10])).toEqual([{ first: 3, last: 5 }, { first: 9, last: 11 }]);
  });
});

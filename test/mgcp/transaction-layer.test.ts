import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/util/clock.js';
import { mgcpMetrics } from '../../src/mgcp/mgcp/metrics.js';
import { decode, encode } from '../../src/mgcp/mgcp/codec.js';
import { MgcpError } from '../../src/mgcp/mgcp/errors.js';
import { command, paramValue, response, type MgcpCommand, type MgcpDecoded, type MgcpResponse } from '../../src/mgcp/mgcp/messages.js';
import { handleTx, newTx, DEFAULT_RETRANSMIT_POLICY, TX_TRANSITIONS } from '../../src/mgcp/mgcp/transaction-fsm.js';
import {
  formatResponseAck,
  parseResponseAck,
  TransactionLayer,
  type Peer,
  type TransactionLayerOptions,
} from '../../src/mgcp/mgcp/transaction-layer.js';

const GW: Peer = { address: '192.0.2.10', port: 2427 };
const CA: Peer = { address: '192.0.2.1', port: 2727 };

interface Sent {
  at: number;
  to: Peer;
  msgs: MgcpDecoded[];
  bytes: Buffer;
}

function harness(opts: Partial<TransactionLayerOptions> = {}) {
  const clock = new VirtualClock(0);
  const sent: Sent[] = [];
  const gaveUp: string[] = [];
  const layer = new TransactionLayer({
    clock,
    send: (bytes, to) => sent.push({ at: clock.now(), to, msgs: decode(bytes), bytes }),
    onCommand: (c) => response(200, c.transactionId, 'OK'),
    onGiveUp: (peer, verb, endpoint) => gaveUp.push(`${peer.port} ${verb} ${endpoint}`),
    firstTransactionId: 100,
    ...opts,
  });
  return { clock, sent, layer, gaveUp };
}

/** Settles promise callbacks queued by the layer. */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('MGCP transaction FSM (data)', () => {
  it('final states accept no event, and unaccepted events produce no action', () => {
    expect(TX_TRANSITIONS.COMPLETED).toEqual({});
    const tx = newTx(DEFAULT_RETRANSMIT_POLICY);
    handleTx(tx, { type: 'RX_FINAL', ackRequested: false }, DEFAULT_RETRANSMIT_POLICY);
    expect(tx.state).toBe('COMPLETED');
    expect(handleTx(tx, { type: 'TIMER_EXPIRY' }, DEFAULT_RETRANSMIT_POLICY)).toEqual([]);
    expect(handleTx(newTx(DEFAULT_RETRANSMIT_POLICY), { type: 'RX_PROVISIONAL' }, DEFAULT_RETRANSMIT_POLICY)[1]).toEqual({
      kind: 'start-timer',
      ms: DEFAULT_RETRANSMIT_POLICY.provisionalTimeoutMs,
    });
  });
});

describe('MGCP transaction layer (virtual time)', () => {
  it('retransmits with doubling timers up to the maximum, then gives up (RFC 3435 §3.5.3, §4.3)', async () => {
    const { clock, sent, layer, gaveUp } = harness();
    const p = layer.request(GW, { verb: 'AUEP', endpoint: 'ds/ds1-1/1@tgw' });
    let err: unknown;
    p.catch((e) => (err = e));
    clock.advance(60_000);
    await flush();
    expect(sent.map((s) => s.at)).toEqual([0, 200, 600, 1400, 3000, 6200, 10200, 14200]);
    expect(new Set(sent.map((s) => s.bytes.toString()))).toHaveProperty('size', 1);
    expect(err).toBeInstanceOf(MgcpError);
    expect(err).toMatchObject({ kind: 'timeout', transactionId: 100 });
    expect(gaveUp).toEqual(['2427 AUEP ds/ds1-1/1@tgw']);
    expect(layer.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a response after lost transmissions resolves and stops the timer', async () => {
    const { clock, sent, layer } = harness();
    const p = layer.request(GW, { verb: 'CRCX', endpoint: 'ds/ds1-1/1@tgw', params: [{ name: 'C', value: 'c1' }, { name: 'M', value: 'recvonly' }] });
    clock.advance(700);
    expect(sent).toHaveLength(3);
    layer.receive(encode(response(200, 100, 'OK', [{ name: 'I', value: 'ABC' }])), GW);
    const r = await p;
    expect(paramValue(r, 'I')).toBe('ABC');
    clock.advance(60_000);
    expect(sent).toHaveLength(3);
  });

  it('ignores a response with the right transaction id from another address', async () => {
    const { clock, layer } = harness();
    const p = layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
    layer.receive(encode(response(200, 100, 'spoofed')), { address: '198.51.100.7', port: 2427 });
    clock.advance(100);
    expect(layer.pending).toBe(1);
    layer.receive(encode(response(200, 100, 'OK')), GW);
    await expect(p).resolves.toMatchObject({ comment: 'OK' });
  });

  it('handles a response and a command piggy-backed in one datagram (§3.5.5)', async () => {
    const seen: string[] = [];
    const { sent, layer } = harness({ onCommand: (c) => (seen.push(c.verb), response(200, c.transactionId, 'OK')) });
    const p = layer.request(GW, { verb: 'RQNT', endpoint: 'a@tgw', params: [{ name: 'X', value: '1' }] });
    layer.receive(encode([response(200, 100, 'OK'), command('NTFY', 900, 'a@tgw', [{ name: 'X', value: '1' }, { name: 'O', value: 'D/5' }])]), GW);
    await expect(p).resolves.toMatchObject({ code: 200 });
    expect(seen).toEqual(['NTFY']);
    expect(sent.at(-1)?.msgs).toEqual([response(200, 900, 'OK')]);
  });

  it('provisional 100 stops retransmission; the final response asking K: gets a 000 ack, and so do its repeats (§3.5.6)', async () => {
    const { clock, sent, layer } = harness();
    const p = layer.request(GW, { verb: 'CRCX', endpoint: 'a@tgw', params: [{ name: 'C', value: 'c1' }, { name: 'M', value: 'sendrecv' }] });
    layer.receive(encode(response(100, 100, 'Pending')), GW);
    clock.advance(20_000);
    expect(sent).toHaveLength(1);
    const final = encode(response(200, 100, 'OK', [{ name: 'I', value: '1' }, { name: 'K', value: '' }]));
    layer.receive(final, GW);
    await expect(p).resolves.toMatchObject({ code: 200 });
    expect(sent[1].msgs).toEqual([response(0, 100, '')]);
    layer.receive(final, GW);
    expect(sent[2].msgs).toEqual([response(0, 100, '')]);
    // The same bytes from elsewhere are not acknowledged (no reflection to a forged source).
    layer.receive(final, { address: '198.51.100.7', port: 2427 });
    expect(sent).toHaveLength(3);
  });

  it('provisional without a final response fails after the provisional timeout', async () => {
    const { clock, layer, gaveUp } = harness({ policy: { provisionalTimeoutMs: 5000 } });
    const p = layer.request(GW, { verb: 'MDCX', endpoint: 'a@tgw' });
    layer.receive(encode(response(101, 100, 'Queued')), GW);
    clock.advance(4999);
    await flush();
    expect(layer.pending).toBe(1);
    clock.advance(1);
    await expect(p).rejects.toMatchObject({ kind: 'timeout', text: 'no-final-response' });
    expect(gaveUp).toEqual([]);
  });

  it('answers a duplicate command with the cached response and runs the handler once (§3.5.1)', async () => {
    let calls = 0;
    const { clock, sent, layer } = harness({
      onCommand: (c) => response(200, c.transactionId, `OK ${++calls}`),
    });
    const rsip = encode(command('RSIP', 7, '*@tgw', [{ name: 'RM', value: 'restart' }]));
    layer.receive(rsip, GW);
    clock.advance(10_000);
    layer.receive(rsip, GW);
    expect(calls).toBe(1);
    expect(sent.map((s) => s.bytes.toString())).toEqual(['200 7 OK 1\r\n', '200 7 OK 1\r\n']);
    clock.advance(30_000);
    expect(layer.cachedAnswers).toBe(0);
    layer.receive(rsip, GW);
    expect(calls).toBe(2);
  });

  it('a duplicate while the handler still runs gets 100; 000 and K: release cached answers', async () => {
    let release: (r: MgcpResponse) => void = () => {};
    const { sent, layer } = harness({
      onCommand: (c) => (c.transactionId === 8 ? new Promise<MgcpResponse>((r) => (release = r)) : response(200, c.transactionId, 'OK')),
    });
    const ntfy = encode(command('NTFY', 8, 'aaln/1@tgw', [{ name: 'O', value: 'L/hd' }]));
    layer.receive(ntfy, GW);
    layer.receive(ntfy, GW);
    expect(sent.map((s) => (s.msgs[0] as MgcpResponse).code)).toEqual([100]);
    release(response(200, 0, 'OK'));
    await flush();
    // RFC 3435 §3.5.6: the final answer after a provisional one asks for a 000 with an empty K:.
    expect(sent[1].msgs).toEqual([response(200, 8, 'OK', [{ name: 'K', value: '' }])]);
    expect(layer.cachedAnswers).toBe(1);
    layer.receive(encode(response(0, 8, '')), GW);
    expect(layer.cachedAnswers).toBe(0);
    for (const id of [20, 21, 22, 30]) layer.receive(encode(command('NTFY', id, 'aaln/1@tgw')), GW);
    expect(layer.cachedAnswers).toBe(4);
    layer.receive(encode(command('NTFY', 31, 'aaln/1@tgw', [{ name: 'K', value: '20-22' }])), GW);
    expect(layer.cachedAnswers).toBe(2);
  });

  it('answers undecodable commands with their code and transaction id, never answers bad responses', () => {
    const { sent, layer } = harness();
    layer.receive(Buffer.from('XYZZ 55 a@tgw MGCP 1.0\r\n'), GW);
    layer.receive(Buffer.from('AUEP 56 a@tgw MGCP 9.9\r\n'), GW);
    layer.receive(Buffer.from('200 abc OK\r\n'), GW);
    layer.receive(Buffer.from('garbage'), GW);
    expect(sent.map((s) => [(s.msgs[0] as MgcpResponse).code, (s.msgs[0] as MgcpResponse).transactionId])).toEqual([
      [504, 55],
      [528, 56],
    ]);
  });

  it('a handler that throws yields 400, not a crash', () => {
    const { sent, layer } = harness({
      onCommand: () => {
        throw new Error('bug');
      },
    });
    layer.receive(encode(command('NTFY', 9, 'a@tgw')), GW);
    expect((sent[0].msgs[0] as MgcpResponse).code).toBe(400);
  });

  it('transaction ids are unique among outstanding transactions and wrap at 999999999', () => {
    const { sent, layer } = harness({ firstTransactionId: 999_999_999 });
    void layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' }).catch(() => {});
    void layer.request(GW, { verb: 'AUEP', endpoint: 'b@tgw' }).catch(() => {});
    expect(sent.map((s) => (s.msgs[0] as MgcpCommand).transactionId)).toEqual([999_999_999, 1]);
    layer.close();
  });

  it('refuses an unencodable command without sending it', async () => {
    const { sent, layer } = harness();
    await expect(layer.request(GW, { verb: 'CRCX', endpoint: 'a@tgw', sdp: 'v=0\r\n.\r\n' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(layer.request(GW, { verb: 'CRCX', endpoint: 'no-domain' })).rejects.toMatchObject({ kind: 'invalid' });
    expect(sent).toHaveLength(0);
  });

  it('close() rejects outstanding transactions and leaves no timer', async () => {
    const { clock, layer } = harness();
    const p = layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
    layer.close();
    await expect(p).rejects.toMatchObject({ kind: 'closed' });
    expect(clock.pending).toBe(0);
  });

  it('with piggybackResponseAcks, later commands carry K: with the responses received (§3.5.2)', async () => {
    const { sent, layer } = harness({ piggybackResponseAcks: true });
    for (const id of [100, 101, 102]) {
      const p = layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
      layer.receive(encode(response(200, id, 'OK')), GW);
      await p;
    }
    void layer.request(CA, { verb: 'AUEP', endpoint: 'a@other' }).catch(() => {});
    void layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' }).catch(() => {});
    const ks = sent.map((s) => paramValue(s.msgs[0] as MgcpCommand, 'K'));
    expect(ks).toEqual([undefined, '100', '101', undefined, '102']);
    layer.close();
  });

  it('ResponseAck lists parse and format as ranges', () => {
    expect(parseResponseAck('6234-6255, 6257, 19030')).toEqual([[6234, 6255], [6257, 6257], [19030, 19030]]);
    expect(parseResponseAck('x, 5-1, 1-999999999')).toEqual([]);
    expect(formatResponseAck([5, 1, 2, 3, 9])).toBe('1-3, 5, 9');
  });
});

describe('MGCP transaction layer: final answers after a provisional one (RFC 3435 §3.5.6)', () => {
  it('are repeated with doubling timers until the 000 arrives, and no longer', async () => {
    let release: (r: MgcpResponse) => void = () => {};
    const { clock, sent, layer } = harness({ onCommand: () => new Promise<MgcpResponse>((r) => (release = r)) });
    const ntfy = encode(command('NTFY', 40, 'aaln/1@tgw', [{ name: 'O', value: 'L/hd' }]));
    layer.receive(ntfy, GW);
    clock.advance(300);
    layer.receive(ntfy, GW);
    release(response(200, 0, 'OK'));
    await flush();
    const finals = () => sent.filter((s) => (s.msgs[0] as MgcpResponse).code === 200).map((s) => s.at);
    expect(finals()).toEqual([300]);
    clock.advance(200 + 400 + 800);
    expect(finals()).toEqual([300, 500, 900, 1700]);
    layer.receive(encode(response(0, 40, '')), GW);
    clock.advance(60_000);
    expect(finals()).toHaveLength(4);
    expect(layer.cachedAnswers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('give up after the retransmission budget when no 000 comes', async () => {
    let release: (r: MgcpResponse) => void = () => {};
    const { clock, sent, layer } = harness({
      onCommand: () => new Promise<MgcpResponse>((r) => (release = r)),
      policy: { maxRetransmits: 3 },
    });
    const ntfy = encode(command('NTFY', 41, 'aaln/1@tgw'));
    layer.receive(ntfy, GW);
    layer.receive(ntfy, GW);
    release(response(200, 0, 'OK'));
    await flush();
    clock.advance(120_000);
    expect(sent.filter((s) => (s.msgs[0] as MgcpResponse).code === 200)).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('an answer without a provisional before it asks for nothing and is sent once', () => {
    const { clock, sent, layer } = harness();
    layer.receive(encode(command('NTFY', 42, 'aaln/1@tgw')), GW);
    clock.advance(60_000);
    expect(sent.map((s) => s.bytes.toString())).toEqual(['200 42 OK\r\n']);
  });
});

describe('MGCP transaction layer: the admission screen', () => {
  it('drop: no handler, no cache, no answer, not even to an undecodable command', () => {
    let calls = 0;
    const { sent, layer } = harness({ admit: () => 'drop', onCommand: (c) => (calls++, response(200, c.transactionId, 'OK')) });
    layer.receive(encode(command('RSIP', 50, '*@tgw', [{ name: 'RM', value: 'forced' }])), GW);
    layer.receive(Buffer.from('XYZZ 51 a@tgw MGCP 1.0\r\n'), GW);
    expect(calls).toBe(0);
    expect(sent).toHaveLength(0);
    expect(layer.cachedAnswers).toBe(0);
  });

  it('a response verdict is sent with the transaction id, uncached, handler not run', () => {
    let calls = 0;
    const { sent, layer } = harness({
      admit: (_f, c) => (c ? response(500, 0, 'Endpoint unknown') : 'accept'),
      onCommand: (c) => (calls++, response(200, c.transactionId, 'OK')),
    });
    layer.receive(encode(command('RSIP', 52, '*@elsewhere')), GW);
    expect(calls).toBe(0);
    expect(sent[0].msgs).toEqual([response(500, 52, 'Endpoint unknown')]);
    expect(layer.cachedAnswers).toBe(0);
  });

  it('the screen sees each piggy-backed command on its own', () => {
    const seen: string[] = [];
    const { sent, layer } = harness({ admit: (_f, c) => (!c || c.endpoint.endsWith('@tgw') ? 'accept' : 'drop') });
    layer.receive(encode([command('NTFY', 53, 'a@tgw'), command('NTFY', 54, 'a@evil')]), GW);
    for (const s of sent) seen.push(s.bytes.toString());
    expect(seen).toEqual(['200 53 OK\r\n']);
  });

  it('responses count from another address of the same gateway only when responseFrom says so', async () => {
    const other: Peer = { address: '192.0.2.11', port: 2427 };
    const { layer } = harness({ responseFrom: (to, from) => from.address === to.address || from.address === other.address });
    const p = layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
    layer.receive(encode(response(200, 100, 'spoofed')), { address: '198.51.100.7', port: 2427 });
    expect(layer.pending).toBe(1);
    layer.receive(encode(response(200, 100, 'OK')), other);
    await expect(p).resolves.toMatchObject({ comment: 'OK' });
  });

  it('the duplicate cache is bounded: the oldest answers go first', () => {
    const { layer } = harness({ maxCachedAnswers: 100 });
    for (let id = 1; id <= 1000; id++) layer.receive(encode(command('NTFY', id, 'a@tgw')), GW);
    expect(layer.cachedAnswers).toBe(100);
  });
});

describe('MGCP transaction layer: retransmission timer per gateway (RFC 3435 §3.5.3)', () => {
  const answerAfter = async (h: ReturnType<typeof harness>, to: Peer, delayMs: number, txid: number) => {
    const p = h.layer.request(to, { verb: 'AUEP', endpoint: 'a@tgw' });
    h.clock.advance(delayMs);
    h.layer.receive(encode(response(200, txid, 'OK')), to);
    await p;
  };

  it('starts at initialRtoMs, follows measured round trips within [minRtoMs, maxRtoMs], per gateway', async () => {
    const h = harness();
    expect(h.layer.rtoFor(GW)).toBe(200);
    let txid = 100;
    for (let i = 0; i < 20; i++) await answerAfter(h, GW, 2, txid++);
    expect(h.layer.rtoFor(GW)).toBe(100);
    expect(h.layer.rtoFor(CA)).toBe(200);
    // A slow gateway: 150 ms round trips give a first timer above them, so no spurious retransmission.
    for (let i = 0; i < 20; i++) await answerAfter(h, CA, 150, txid++);
    expect(h.layer.rtoFor(CA)).toBeGreaterThan(150);
    expect(h.sent.filter((s) => s.to === CA)).toHaveLength(20);
    // Very slow: capped at maxRtoMs.
    for (let i = 0; i < 20; i++) await answerAfter(h, CA, 3900, txid++);
    expect(h.layer.rtoFor(CA)).toBe(4000);
  });

  it("Karn's algorithm: a retransmitted transaction gives no sample, its backed-off timer is kept until one does", async () => {
    const h = harness();
    await answerAfter(h, GW, 5, 100);
    expect(h.layer.rtoFor(GW)).toBe(100);
    // Answered after one retransmission (at 100 ms, timer then 200 ms): ambiguous, not sampled.
    await answerAfter(h, GW, 150, 101);
    expect(h.sent).toHaveLength(3);
    expect(h.layer.rtoFor(GW)).toBe(200);
    await answerAfter(h, GW, 5, 102);
    expect(h.layer.rtoFor(GW)).toBe(100);
  });

  it('a gateway that stopped answering keeps the longest timer for its next command', async () => {
    const h = harness({ policy: { maxRetransmits: 3 } });
    const p = h.layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
    p.catch(() => {});
    h.clock.advance(60_000);
    await expect(p).rejects.toMatchObject({ kind: 'timeout' });
    expect(h.layer.rtoFor(GW)).toBe(1600);
  });

  it('the first timer of the next command uses the estimate: one retransmission at 100 ms', async () => {
    const h = harness();
    let txid = 100;
    for (let i = 0; i < 10; i++) await answerAfter(h, GW, 1, txid++);
    const n = h.sent.length;
    const p = h.layer.request(GW, { verb: 'AUEP', endpoint: 'a@tgw' });
    h.clock.advance(100);
    expect(h.sent.length - n).toBe(2);
    h.layer.receive(encode(response(200, txid, 'OK')), GW);
    await p;
  });
});

describe('MGCP transaction layer: counting', () => {
  it('transactions are counted per verb, outcome and gateway when the registry is read, the duration once each', async () => {
    const registry = new Registry();
    const h = harness({ metrics: mgcpMetrics(registry), policy: { maxRetransmits: 1 } });
    const ok = h.layer.request(GW, { verb: 'CRCX', endpoint: 'ds/ds1-1/1@TGW.example', params: [{ name: 'C', value: 'c1' }] });
    h.layer.receive(encode(response(200, 100, 'OK', [{ name: 'I', value: 'A' }])), GW);
    await ok;
    const rejected = h.layer.request(GW, { verb: 'CRCX', endpoint: 'ds/ds1-1/2@tgw.example' });
    h.layer.receive(encode(response(502, 101, 'No resources')), GW);
    await rejected;
    const lost = h.layer.request(GW, { verb: 'DLCX', endpoint: 'ds/ds1-1/1@tgw.example' });
    lost.catch(() => {});
    h.clock.advance(60_000);
    await expect(lost).rejects.toMatchObject({ kind: 'timeout' });
    const text = await registry.metrics();
    expect(text).toContain('softswitch_mgcp_transactions_total{verb="CRCX",outcome="ok",gateway="tgw.example"} 1');
    expect(text).toContain('softswitch_mgcp_transactions_total{verb="CRCX",outcome="rejected",gateway="tgw.example"} 1');
    expect(text).toContain('softswitch_mgcp_transactions_total{verb="DLCX",outcome="timeout",gateway="tgw.example"} 1');
    expect(text).toContain('softswitch_mgcp_transaction_seconds_count 2');
    // Read twice: counted once.
    const ok2 = h.layer.request(GW, { verb: 'CRCX', endpoint: 'ds/ds1-1/3@tgw.example' });
    h.layer.receive(encode(response(200, 103, 'OK', [{ name: 'I', value: 'B' }])), GW);
    await ok2;
    expect(await registry.metrics()).toContain('softswitch_mgcp_transactions_total{verb="CRCX",outcome="ok",gateway="tgw.example"} 2');
    expect(await registry.metrics()).toContain('softswitch_mgcp_transactions_total{verb="CRCX",outcome="ok",gateway="tgw.example"} 2');
  });
});

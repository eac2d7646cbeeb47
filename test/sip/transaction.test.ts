import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/util/clock.js';
import { parseMessage } from '../../src/sip/parser.js';
import { buildNon2xxAck, buildResponse } from '../../src/sip/build.js';
import type { Endpoint, SipMessage, SipRequest } from '../../src/sip/message.js';
import { TransactionLayer } from '../../src/sip/transaction/layer.js';
import { TABLES, transition } from '../../src/sip/transaction/fsm.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { crlf, invite } from './fixtures.js';

function request(buf: Buffer): SipRequest {
  const r = parseMessage(buf);
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

const peer: Endpoint = { address: '192.0.2.10', port: 5060 };

function rig() {
  const clock = new VirtualClock();
  const sent: Array<{ at: number; msg: SipMessage }> = [];
  const layer = new TransactionLayer({ clock, send: (msg) => sent.push({ at: clock.now(), msg }), buildAck: buildNon2xxAck });
  const events: string[] = [];
  const tu = {
    passUp: (m: SipMessage) => events.push(m.kind === 'response' ? `up:${m.status}` : `up:${m.method}`),
    timeout: () => events.push('timeout'),
    terminated: () => events.push('terminated'),
  };
  return { clock, sent, layer, events, tu };
}

const bye = () =>
  request(crlf(['BYE sip:a@192.0.2.10 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbye1', 'From: <sip:b@h>;tag=2', 'To: <sip:a@h>;tag=1', 'Call-ID: c1', 'CSeq: 5 BYE', 'Content-Length: 0', '', '']));

describe('transaction tables (RFC 3261 §17)', () => {
  it('never leave Terminated and every transition targets a state of its own machine', () => {
    for (const [kind, table] of Object.entries(TABLES)) {
      expect(table.terminated, kind).toBeUndefined();
      for (const events of Object.values(table)) for (const t of Object.values(events ?? {})) expect(t && (t.to in table || t.to === 'terminated')).toBe(true);
    }
    expect(transition('ist', 'proceeding', 'TU_2XX')?.to).toBe('terminated');
    expect(transition('ict', 'completed', 'RECV_1XX')).toBeUndefined();
  });
});

describe('INVITE client transaction in virtual time', () => {
  it('retransmits on timer A (500, 1000, 2000 … ms) and times out on timer B at 64*T1', () => {
    const { clock, sent, layer, events, tu } = rig();
    layer.startClient(request(invite()), peer, tu);
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(events).toEqual(['timeout', 'terminated']);
    expect(layer.size.clients).toBe(0);
  });

  it('stops retransmitting on 1xx; on 486 sends ACK in the transaction and re-ACKs a retransmitted 486 until timer D', () => {
    const { clock, sent, layer, events, tu } = rig();
    const inv = request(invite());
    layer.startClient(inv, peer, tu);
    clock.advance(600);
    expect(layer.receiveResponse(buildResponse(inv, 180, { toTag: 't' }))).toBe(true);
    clock.advance(10_000);
    expect(sent).toHaveLength(2);
    const busy = buildResponse(inv, 486, { toTag: 't' });
    layer.receiveResponse(busy);
    const ack = sent[2].msg as SipRequest;
    expect(ack.method).toBe('ACK');
    expect(ack.headers.get('via')).toBe(inv.headers.get('via'));
    expect(ack.headers.get('cseq')).toBe('1 ACK');
    expect(ack.headers.get('to')).toContain('tag=t');
    layer.receiveResponse(busy);
    expect(sent.map((s) => (s.msg.kind === 'request' ? s.msg.method : s.msg.status))).toEqual(['INVITE', 'INVITE', 'ACK', 'ACK']);
    expect(events).toEqual(['up:180', 'up:486']);
    clock.advance(31_999);
    expect(layer.size.clients).toBe(1);
    clock.advance(1);
    expect(events.at(-1)).toBe('terminated');
  });

  it('ends at once on 2xx and leaves the ACK to the core (§17.1.1.2)', () => {
    const { layer, events, tu, sent } = rig();
    const inv = request(invite());
    layer.startClient(inv, peer, tu);
    layer.receiveResponse(buildResponse(inv, 200, { toTag: 't' }));
    expect(events).toEqual(['up:200', 'terminated']);
    expect(sent).toHaveLength(1);
    expect(layer.receiveResponse(buildResponse(inv, 200, { toTag: 't' }))).toBe(false);
  });
});

describe('non-INVITE client transaction in virtual time', () => {
  it('retransmits on timer E capped at T2 and times out on timer F', () => {
    const { clock, sent, layer, events, tu } = rig();
    layer.startClient(bye(), peer, tu);
    clock.advance(40_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(events).toEqual(['timeout', 'terminated']);
  });

  it('in Proceeding retransmits every T2; a final ends retransmission; timer K absorbs late copies', () => {
    const { clock, sent, layer, events, tu } = rig();
    const req = bye();
    layer.startClient(req, peer, tu);
    layer.receiveResponse(buildResponse(req, 100));
    clock.advance(9000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 4500, 8500]);
    layer.receiveResponse(buildResponse(req, 200));
    expect(layer.receiveResponse(buildResponse(req, 200))).toBe(true);
    expect(events).toEqual(['up:100', 'up:200']);
    clock.advance(5000);
    expect(events.at(-1)).toBe('terminated');
    expect(sent).toHaveLength(4);
  });
});

describe('INVITE server transaction in virtual time', () => {
  it('absorbs retransmitted INVITEs by resending the last provisional', () => {
    const { layer, sent, events, tu } = rig();
    const inv = request(invite());
    const tx = layer.startServer(inv, peer, tu)!;
    expect(events).toEqual(['up:INVITE']);
    layer.respond(tx, buildResponse(inv, 100));
    layer.respond(tx, buildResponse(inv, 180, { toTag: 'x' }));
    expect(layer.receiveRequest(request(invite()))).toBe(true);
    expect(events).toEqual(['up:INVITE']);
    expect(sent.map((s) => s.msg.kind === 'response' && s.msg.status)).toEqual([100, 180, 180]);
  });

  it('retransmits a failure on timer G (T1 doubling to T2) until ACK; Confirmed then absorbs silently for timer I (T4)', () => {
    const { clock, layer, sent, events, tu } = rig();
    const inv = request(invite());
    const tx = layer.startServer(inv, peer, tu)!;
    expect(layer.size).toMatchObject({ servers: 1, unacknowledged: 0 });
    layer.respond(tx, buildResponse(inv, 486, { toTag: 'x' }));
    // A final sent: no longer live (the flood bound), but still retransmitting until the ACK.
    expect(layer.size).toMatchObject({ servers: 0, unacknowledged: 1 });
    clock.advance(8000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    const ack = request(crlf(['ACK sip:+4930123456@198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc-1', 'From: <sip:a@h>;tag=a1', 'To: <sip:b@h>;tag=x', 'Call-ID: call-1@192.0.2.10', 'CSeq: 1 ACK', 'Content-Length: 0', '', '']));
    expect(layer.receiveRequest(ack)).toBe(true);
    expect(events).toEqual(['up:INVITE', 'terminated']);
    expect(layer.size).toMatchObject({ servers: 0, unacknowledged: 0, completed: 1 });
    expect(layer.receiveRequest(ack)).toBe(true);
    expect(layer.receiveRequest(request(invite()))).toBe(true);
    clock.advance(4999);
    expect(layer.receiveRequest(ack)).toBe(true);
    expect(sent).toHaveLength(5);
    clock.advance(1);
    expect(layer.receiveRequest(ack)).toBe(false);
    expect(layer.size.completed).toBe(0);
  });

  it('over maxUnacknowledged the oldest unacknowledged final goes to the compact store: no more Timer G, its INVITE is still answered and its ACK absorbed', () => {
    const clock = new VirtualClock();
    const sent: Array<{ at: number; msg: SipMessage }> = [];
    const layer = new TransactionLayer({ clock, send: (msg) => sent.push({ at: clock.now(), msg }), buildAck: buildNon2xxAck }, { maxUnacknowledged: 2 });
    for (let i = 1; i <= 3; i++) {
      const inv = request(invite({ branch: `z9hG4bK-u${i}` }));
      layer.respond(layer.startServer(inv, peer, {})!, buildResponse(inv, 486, { toTag: 'x' }));
    }
    expect(layer.size).toMatchObject({ servers: 0, unacknowledged: 2, completed: 1 });
    clock.advance(600);
    // Timer G fired for u2 and u3 only.
    expect(sent.filter((s) => s.at === 500)).toHaveLength(2);
    expect(layer.receiveRequest(request(invite({ branch: 'z9hG4bK-u1' })))).toBe(true);
    const last = sent.at(-1)!.msg;
    expect(last.kind === 'response' && last.status).toBe(486);
  });

  it('gives up on timer H (64*T1) when no ACK comes', () => {
    const { clock, layer, events, tu } = rig();
    const inv = request(invite());
    layer.respond(layer.startServer(inv, peer, tu)!, buildResponse(inv, 503));
    clock.advance(32_000);
    expect(events).toEqual(['up:INVITE', 'timeout', 'terminated']);
  });

  it('matches CANCEL and ACK to the INVITE by branch and sent-by (§17.2.3, §9.2), not a different sender', () => {
    const { layer, tu } = rig();
    const inv = request(invite());
    const tx = layer.startServer(inv, peer, tu)!;
    const cancel = request(crlf(['CANCEL sip:+4930123456@198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc-1', 'From: <sip:a@h>;tag=a1', 'To: <sip:b@h>', 'Call-ID: call-1@192.0.2.10', 'CSeq: 1 CANCEL', '', '']));
    expect(layer.findInviteFor(cancel)).toBe(tx);
    const other = request(invite({ port: 5070 }));
    expect(layer.findInviteFor({ ...cancel, headers: other.headers })).toBeUndefined();
  });
});

describe('non-INVITE server transaction in virtual time', () => {
  it('discards retransmissions while Trying; once Completed it leaves the live count and repeats its final from the compact store until timer J', () => {
    const { clock, layer, sent, events, tu } = rig();
    const req = bye();
    const tx = layer.startServer(req, peer, tu)!;
    expect(layer.receiveRequest(bye())).toBe(true);
    expect(sent).toHaveLength(0);
    expect(layer.size.servers).toBe(1);
    layer.respond(tx, buildResponse(req, 200));
    expect(layer.size).toMatchObject({ servers: 0, completed: 1 });
    expect(events).toEqual(['up:BYE', 'terminated']);
    expect(layer.receiveRequest(bye())).toBe(true);
    expect(sent.map((s) => s.msg.kind === 'response' && s.msg.status)).toEqual([200, 200]);
    clock.advance(31_999);
    expect(layer.receiveRequest(bye())).toBe(true);
    expect(sent).toHaveLength(3);
    clock.advance(1);
    expect(layer.size.completed).toBe(0);
    expect(layer.receiveRequest(bye())).toBe(false);
  });

  it('the compact store is bounded by entries and bytes, oldest first; an evicted transaction no longer absorbs', () => {
    const clock = new VirtualClock();
    const evicted: number[] = [];
    const layer = new TransactionLayer({ clock, send: () => undefined, encode: (m) => serializeMessage(m), sendEncoded: () => undefined }, { maxCompleted: 100, onEvicted: () => evicted.push(1) });
    const byeN = (i: number) => request(crlf(['BYE sip:a@192.0.2.10 SIP/2.0', `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKn${i}`, 'From: <sip:b@h>;tag=2', 'To: <sip:a@h>;tag=1', `Call-ID: c${i}`, `CSeq: ${i} BYE`, 'Content-Length: 0', '', '']));
    for (let i = 0; i < 1000; i++) {
      const r = byeN(i);
      layer.respond(layer.startServer(r, peer, {})!, buildResponse(r, 200));
    }
    expect(layer.size.completed).toBe(100);
    expect(evicted).toHaveLength(900);
    expect(layer.receiveRequest(byeN(0))).toBe(false);
    expect(layer.receiveRequest(byeN(999))).toBe(true);
    const perEntry = layer.size.completedBytes / 100;
    expect(perEntry).toBeGreaterThan(200);
    expect(perEntry).toBeLessThan(600);
    const tight = new TransactionLayer({ clock, send: () => undefined, encode: (m) => serializeMessage(m), sendEncoded: () => undefined }, { maxCompletedBytes: 20 * perEntry });
    for (let i = 0; i < 1000; i++) {
      const r = byeN(i);
      tight.respond(tight.startServer(r, peer, {})!, buildResponse(r, 200));
    }
    expect(tight.size.completed).toBeLessThanOrEqual(20);
    expect(tight.size.completedBytes).toBeLessThanOrEqual(20 * perEntry);
  });
});

describe('transactions over a reliable transport (TCP/TLS, RFC 3261 §17)', () => {
  const tcpPeer: Endpoint = { address: '192.0.2.10', port: 5060, transport: 'tcp' };

  it('INVITE client: no Timer A retransmissions, still Timer B; a non-2xx final is ACKed once and the transaction ends at once (Timer D = 0)', () => {
    const { clock, sent, layer, events, tu } = rig();
    const inv = request(invite());
    layer.startClient(inv, tcpPeer, tu);
    clock.advance(10_000);
    expect(sent).toHaveLength(1);
    layer.receiveResponse(buildResponse(inv, 486, { toTag: 't' }));
    clock.advance(0);
    expect(sent.map((s) => (s.msg.kind === 'request' ? s.msg.method : s.msg.status))).toEqual(['INVITE', 'ACK']);
    expect(events).toEqual(['up:486', 'terminated']);
    const other = rig();
    other.layer.startClient(request(invite()), tcpPeer, other.tu);
    other.clock.advance(64 * 500);
    expect(other.sent).toHaveLength(1);
    expect(other.events).toEqual(['timeout', 'terminated']);
  });

  it('non-INVITE client: no Timer E; Timer K = 0 after the final', () => {
    const { clock, sent, layer, events, tu } = rig();
    const b = bye();
    layer.startClient(b, tcpPeer, tu);
    clock.advance(5_000);
    expect(sent).toHaveLength(1);
    layer.receiveResponse(buildResponse(b, 200));
    clock.advance(0);
    expect(events).toEqual(['up:200', 'terminated']);
    expect(layer.size.clients).toBe(0);
  });

  it('server: a non-2xx final to INVITE is not retransmitted (no Timer G), and a finished non-INVITE is not kept (Timer J = 0)', () => {
    const { clock, sent, layer } = rig();
    const inv = request(invite());
    const tx = layer.startServer(inv, tcpPeer, {})!;
    layer.respond(tx, buildResponse(inv, 486, { toTag: 't' }));
    clock.advance(20_000);
    expect(sent).toHaveLength(1);
    const b = bye();
    const tx2 = layer.startServer(b, tcpPeer, {})!;
    layer.respond(tx2, buildResponse(b, 200));
    expect(layer.size.completed).toBe(0);
  });

  it('a transport failure toward the peer ends its client transactions with a transport error (503 to the TU, §8.1.3.1)', () => {
    const { layer } = rig();
    const seen: string[] = [];
    layer.startClient(request(invite()), tcpPeer, { transportError: () => seen.push('transport-error') });
    layer.startClient(bye(), { ...tcpPeer, port: 5070 }, { transportError: () => seen.push('other') });
    expect(layer.failPeer(tcpPeer)).toBe(1);
    expect(seen).toEqual(['transport-error']);
    expect(layer.size.clients).toBe(1);
  });
});

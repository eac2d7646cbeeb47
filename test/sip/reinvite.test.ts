/**
 * Offers inside a dialog on the embedded UA core (virtual time): re-INVITE and UPDATE delivered to
 * the Dialog's 'modify' listener (RFC 3261 §14.2, RFC 3311 §5.2), glare (491) and ordering (500 with
 * Retry-After), a re-INVITE without SDP (offer in our 200, answer in the ACK, RFC 3264 §4), and our
 * own re-INVITE/UPDATE with `Dialog.modify` (§14.1).
 */
import { describe, expect, it } from 'vitest';
import { parseCSeq } from '../../src/sip/header-values.js';
import type { Endpoint, SipRequest } from '../../src/sip/message.js';
import { SipError, type AckInfo, type InboundRequest, type InviteResponder } from '../../src/sip/port.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };
const HOLD = SDP.replace('m=audio 40000 RTP/AVP 0 8\r\n', 'm=audio 40000 RTP/AVP 0 8\r\na=sendonly\r\n').replace('o=- 1 1', 'o=- 1 2');

/** A request from the caller inside the fixture dialog, with a body. */
function withBody(method: string, toTag: string, cseq: number, body: string, branch = `z9hG4bK-${method}-${cseq}-b`): Buffer {
  return crlf([
    `${method} sip:198.51.100.1:5099 SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`,
    'Call-ID: call-1@192.0.2.10',
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:alice@192.0.2.11:5062>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);
}

function established() {
  const r = rig();
  r.core.receive(invite(), caller);
  const d = r.core.answer(r.invites[0], SDP);
  r.core.receive(inDialog('ACK', d.localTag, 1), caller);
  return { ...r, d };
}

function reply(req: SipRequest, status: number, body = ''): Buffer {
  const h = req.headers;
  return crlf([
    `SIP/2.0 ${status} X`,
    `Via: ${h.get('via')}`,
    `From: ${h.get('from')}`,
    `To: ${h.get('to')}`,
    `Call-ID: ${h.get('call-id')}`,
    `CSeq: ${h.get('cseq')}`,
    'Contact: <sip:alice@192.0.2.12:5064>',
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);
}

describe('offers received in a dialog', () => {
  it("a re-INVITE's offer goes to 'modify'; the 200 carries the listener's answer and is retransmitted until the ACK", () => {
    const { clock, core, d, responses } = established();
    const seen: InboundRequest[] = [];
    d.on('modify', (req: InboundRequest, res: InviteResponder) => {
      seen.push(req);
      res.send(200, undefined, { body: 'v=0\r\na=recvonly\r\n' });
    });
    core.receive(withBody('INVITE', d.localTag, 2, HOLD), caller);
    expect(seen.map((r) => r.body)).toEqual([HOLD]);
    const ok = responses().at(-1)!;
    expect(ok.msg.status).toBe(200);
    expect(ok.msg.body.toString()).toBe('v=0\r\na=recvonly\r\n');
    expect(ok.msg.headers.get('contact')).toBe('<sip:198.51.100.1:5099>');
    expect(d.remoteSdp).toBe(HOLD);
    expect(d.localSdp).toBe('v=0\r\na=recvonly\r\n');
    clock.advance(600);
    expect(responses().filter((r) => r.msg.status === 200 && parseCSeq(r.msg.headers.get('cseq')!)?.seq === 2)).toHaveLength(2);
    core.receive(inDialog('ACK', d.localTag, 2), caller);
    clock.advance(5000);
    expect(responses().filter((r) => r.msg.status === 200 && parseCSeq(r.msg.headers.get('cseq')!)?.seq === 2)).toHaveLength(2);
    // The new Contact is the remote target from now on (§12.2.2 target refresh).
    void d.destroy();
    expect(core.dialogCount).toBe(0);
  });

  it('a second re-INVITE before the first is answered gets 500 with Retry-After; one crossing our own offer gets 491', async () => {
    const { core, d, responses, requests } = established();
    const pending: InviteResponder[] = [];
    d.on('modify', (_req: InboundRequest, res: InviteResponder) => pending.push(res));
    core.receive(withBody('INVITE', d.localTag, 2, HOLD), caller);
    core.receive(withBody('INVITE', d.localTag, 3, HOLD, 'z9hG4bK-second'), caller);
    const second = responses().at(-1)!;
    expect(second.msg.status).toBe(500);
    expect(Number(second.msg.headers.get('retry-after'))).toBeGreaterThan(0);
    pending[0].send(200, undefined, { body: SDP });
    core.receive(inDialog('ACK', d.localTag, 2), caller);
    // Our offer is out; theirs crosses it: 491 (§14.2), and ours gets 491 from them (§14.1).
    const ours = d.modify(HOLD);
    const reinv = requests().at(-1)!;
    expect(reinv.msg.method).toBe('INVITE');
    core.receive(withBody('INVITE', d.localTag, 4, HOLD), caller);
    expect(responses().at(-1)!.msg.status).toBe(491);
    core.receive(reply(reinv.msg, 491), caller);
    await expect(ours).rejects.toMatchObject({ status: 491 });
    expect(d.localSdp).toBe(SDP);
  });

  it('a re-INVITE without SDP: our 200 carries the offer (current SDP), the ACK brings the answer', async () => {
    const { core, d, responses } = established();
    let offered = '';
    const acks: Array<AckInfo | undefined> = [];
    d.on('modify', (req: InboundRequest, res: InviteResponder) => {
      offered = req.body;
      res.send(200);
    });
    d.on('ack', (info?: AckInfo) => acks.push(info));
    core.receive(inDialog('INVITE', d.localTag, 2, ['Contact: <sip:alice@192.0.2.10:5060>']), caller);
    expect(offered).toBe('');
    expect(responses().at(-1)!.msg.body.toString()).toBe(SDP);
    // Until the answer arrives no offer of ours may go out.
    await expect(d.modify(HOLD)).rejects.toBeInstanceOf(SipError);
    core.receive(withBody('ACK', d.localTag, 2, HOLD), caller);
    expect(acks).toEqual([{ sdp: HOLD }]);
    expect(d.remoteSdp).toBe(HOLD);
  });

  it('UPDATE with an offer goes to modify and is answered in its 200; UPDATE outside a dialog gets 481', () => {
    const { core, d, responses } = established();
    d.on('modify', (req: InboundRequest, res: InviteResponder) => res.send(200, undefined, { body: `answer to ${req.method}` }));
    core.receive(withBody('UPDATE', d.localTag, 2, HOLD), caller);
    const ok = responses().at(-1)!;
    expect(ok.msg.status).toBe(200);
    expect(ok.msg.headers.get('cseq')).toBe('2 UPDATE');
    expect(ok.msg.body.toString()).toBe('answer to UPDATE');
    expect(d.remoteSdp).toBe(HOLD);
    core.receive(withBody('UPDATE', 'nope', 3, HOLD), caller);
    expect(responses().at(-1)!.msg.status).toBe(481);
  });

  it('an offer the application never answers gets 500 with Retry-After after 64*T1, and the next one is taken again', () => {
    const { clock, core, d, responses } = established();
    const seen: InviteResponder[] = [];
    d.on('modify', (_req: InboundRequest, res: InviteResponder) => seen.push(res));
    core.receive(withBody('INVITE', d.localTag, 2, HOLD), caller);
    clock.advance(32_000);
    const r = responses().at(-1)!.msg;
    expect([r.status, r.headers.get('retry-after')]).toEqual([500, '5']);
    core.receive(withBody('UPDATE', d.localTag, 3, SDP.replace('o=- 1 1', 'o=- 1 3')), caller);
    expect(seen).toHaveLength(2);
    seen[1].send(200, undefined, { body: SDP });
    expect(responses().at(-1)!.msg.status).toBe(200);
  });

  it('without a modify listener a re-INVITE is answered with the current SDP (a refresh)', () => {
    const { core, d, responses } = established();
    core.receive(withBody('INVITE', d.localTag, 2, SDP), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(responses().at(-1)!.msg.body.toString()).toBe(SDP);
  });
});

describe('offers we send in a dialog', () => {
  it('modify() sends a re-INVITE to the remote target with the next CSeq and Contact; the 2xx is ACKed and its SDP returned', async () => {
    const { core, d, requests } = established();
    const p = d.modify(HOLD);
    const reinv = requests().at(-1)!;
    expect(reinv.msg.method).toBe('INVITE');
    expect(reinv.msg.uri).toBe('sip:alice@192.0.2.10:5060');
    expect(reinv.msg.body.toString()).toBe(HOLD);
    expect(reinv.msg.headers.get('contact')).toBe('<sip:198.51.100.1:5099>');
    const seq = parseCSeq(reinv.msg.headers.get('cseq')!)!.seq;
    core.receive(reply(reinv.msg, 200, 'v=0\r\na=recvonly\r\n'), caller);
    await expect(p).resolves.toBe('v=0\r\na=recvonly\r\n');
    const ack = requests().at(-1)!;
    expect(ack.msg.method).toBe('ACK');
    expect(ack.msg.headers.get('cseq')).toBe(`${seq} ACK`);
    expect(ack.msg.uri).toBe('sip:alice@192.0.2.12:5064');
    expect(d.localSdp).toBe(HOLD);
    expect(d.remoteSdp).toBe('v=0\r\na=recvonly\r\n');
    // A retransmitted 2xx gets the same ACK again.
    core.receive(reply(reinv.msg, 200, 'v=0\r\na=recvonly\r\n'), caller);
    expect(requests().filter((r) => r.msg.method === 'ACK')).toHaveLength(2);
  });

  it('modify() with UPDATE sends no ACK and resolves with the 200 body', async () => {
    const { core, d, requests } = established();
    const p = d.modify(HOLD, { method: 'UPDATE' });
    const upd = requests().at(-1)!;
    expect(upd.msg.method).toBe('UPDATE');
    core.receive(reply(upd.msg, 200, 'v=0\r\n'), caller);
    await expect(p).resolves.toBe('v=0\r\n');
    expect(requests().filter((r) => r.msg.method === 'ACK')).toHaveLength(0);
  });
});

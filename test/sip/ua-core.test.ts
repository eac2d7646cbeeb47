import { describe, expect, it } from 'vitest';
import { parseNameAddr, parseVia } from '../../src/sip/header-values.js';
import type { Endpoint, SipRequest } from '../../src/sip/message.js';
import type { DestroyInfo } from '../../src/sip/port.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };

describe('UAS core', () => {
  it('answers 100 Trying at once and passes one INVITE up even when it is retransmitted', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    core.receive(invite(), caller);
    expect(invites).toHaveLength(1);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 100]);
    expect(invites[0]).toMatchObject({ calledNumber: '+4930123456', callId: 'call-1@192.0.2.10', sourceAddress: '192.0.2.10', sourcePort: 5060 });
    expect(invites[0].from).toMatchObject({ user: '+4940111', tag: 'a1', displayName: 'Alice' });
    expect(invites[0].get('p-asserted-identity')).toContain('+4940111');
  });

  it('sends 183 with SDP and a To tag; 2xx then carries the same tag, Contact and SDP', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    invites[0].send(183, undefined, { body: 'v=0\r\n' });
    const d = core.answer(invites[0], SDP);
    const [, early, ok] = responses();
    expect(early.msg.status).toBe(183);
    expect(early.msg.headers.get('content-type')).toBe('application/sdp');
    const tag = parseNameAddr(early.msg.headers.get('to')!)?.tag;
    expect(tag).toBeTruthy();
    expect(parseNameAddr(ok.msg.headers.get('to')!)?.tag).toBe(tag);
    expect(ok.msg.headers.get('contact')).toBe('<sip:198.51.100.1:5099>');
    expect(ok.msg.body.toString()).toBe(SDP);
    expect(d).toMatchObject({ type: 'uas', localTag: tag, remoteTag: 'a1', callId: 'call-1@192.0.2.10' });
  });

  it('retransmits 2xx at T1, 2T1 … capped at T2 until the ACK arrives (§13.3.1.4)', () => {
    const { clock, core, invites, responses } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    let acked = 0;
    d.on('ack', () => acked++);
    clock.advance(8000);
    expect(responses().filter((r) => r.msg.status === 200).map((r) => r.at)).toEqual([0, 500, 1500, 3500, 7500]);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    clock.advance(10_000);
    expect(responses().filter((r) => r.msg.status === 200)).toHaveLength(5);
    expect(acked).toBe(1);
  });

  it('a retransmitted INVITE after our 2xx gets the 2xx again (before ACK) or is absorbed (after), never a second call (RFC 6026 §7.1)', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(invite(), caller);
    expect(invites).toHaveLength(1);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 200, 200]);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(invite(), caller);
    expect(invites).toHaveLength(1);
    expect(responses()).toHaveLength(3);
  });

  it('without an ACK within 64*T1 sends BYE and emits destroy (failure)', () => {
    const { clock, core, invites, requests } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    const seen: DestroyInfo[] = [];
    d.on('destroy', (i) => seen.push(i));
    clock.advance(33_000);
    expect(seen).toEqual([{ by: 'failure', reason: 'no ACK' }]);
    const bye = requests()[0];
    expect(bye.msg.method).toBe('BYE');
    expect(bye.to).toEqual({ address: '192.0.2.10', port: 5060 });
    expect(core.dialogCount).toBe(0);
  });

  it('BYE in the dialog → 200 and destroy with the Reason; BYE for an unknown dialog → 481', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    const seen: DestroyInfo[] = [];
    d.on('destroy', (i) => seen.push(i));
    core.receive(inDialog('BYE', d.localTag, 2, ['Reason: Q.850;cause=16;text="Normal call clearing"']), caller);
    expect(seen[0]).toMatchObject({ by: 'remote', reason: 'Q.850;cause=16;text="Normal call clearing"' });
    expect(responses().at(-1)!.msg.status).toBe(200);
    core.receive(inDialog('BYE', 'nosuchtag', 3), caller);
    expect(responses().at(-1)!.msg.status).toBe(481);
    expect(d.destroyed).toBe(true);
  });

  it('our BYE follows the route set and remote target with the tags swapped and a BYE CSeq', async () => {
    const { core, invites, requests } = rig();
    core.receive(invite({ extra: ['Record-Route: <sip:192.0.2.99:5080;lr>'] }), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    const done = d.destroy({ headers: { Reason: 'Q.850;cause=16' } });
    const bye = requests()[0];
    expect(bye.to).toEqual({ address: '192.0.2.99', port: 5080 });
    expect(bye.msg.uri).toBe('sip:alice@192.0.2.10:5060');
    expect(bye.msg.headers.get('route')).toBe('<sip:192.0.2.99:5080;lr>');
    expect(bye.msg.headers.get('reason')).toBe('Q.850;cause=16');
    expect(parseNameAddr(bye.msg.headers.get('from')!)?.tag).toBe(d.localTag);
    expect(parseNameAddr(bye.msg.headers.get('to')!)?.tag).toBe('a1');
    expect(bye.msg.headers.get('cseq')).toMatch(/^\d+ BYE$/);
    const ok = crlf(['SIP/2.0 200 OK', `Via: ${bye.msg.headers.get('via')}`, `From: ${bye.msg.headers.get('from')}`, `To: ${bye.msg.headers.get('to')}`, 'Call-ID: call-1@192.0.2.10', `CSeq: ${bye.msg.headers.get('cseq')}`, 'Content-Length: 0', '', '']);
    core.receive(ok, { address: '192.0.2.99', port: 5080 });
    await done;
  });

  it('CANCEL → 200, 487 to the INVITE and a cancel event; CANCEL for nothing → 481', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    let canceled = 0;
    invites[0].on('cancel', () => canceled++);
    invites[0].send(180);
    const cancel = crlf(['CANCEL sip:+4930123456@198.51.100.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-abc-1', 'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1', 'To: <sip:+4930123456@198.51.100.1>', 'Call-ID: call-1@192.0.2.10', 'CSeq: 1 CANCEL', 'Content-Length: 0', '', '']);
    core.receive(cancel, caller);
    expect(responses().slice(-2).map((r) => [r.msg.status, r.msg.headers.get('cseq')])).toEqual([[200, '1 CANCEL'], [487, '1 INVITE']]);
    expect(canceled).toBe(1);
    expect(invites[0].finalResponseSent).toBe(true);
    expect(() => core.answer(invites[0], SDP)).toThrow(/Request Terminated/);
    core.receive(Buffer.from(cancel.toString().replace('z9hG4bK-abc-1', 'z9hG4bK-other')), caller);
    expect(responses().at(-1)!.msg.status).toBe(481);
  });

  it('OPTIONS → 200 with Allow; REGISTER → 405 with Allow; an unknown method → 501', () => {
    const { core, responses } = rig();
    const req = (m: string) => crlf([`${m} sip:198.51.100.1 SIP/2.0`, `Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-${m}`, 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: x', `CSeq: 1 ${m}`, 'Content-Length: 0', '', '']);
    core.receive(req('OPTIONS'), caller);
    core.receive(req('REGISTER'), caller);
    core.receive(req('FOOBAR'), caller);
    expect(responses().map((r) => [r.msg.status, r.msg.headers.get('allow') !== undefined])).toEqual([[200, true], [405, true], [501, true]]);
    expect(responses()[0].msg.headers.get('allow')).toBe('INVITE');
    expect(responses()[0].msg.headers.getAll('allow')).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'UPDATE', 'PRACK']);
  });

  it('answers 400 to a request it can answer (even one missing Call-ID, RFC 4475 §3.3.1), 505 to a wrong version, and drops what has no usable Via', () => {
    const { core, responses } = rig();
    core.receive(Buffer.from(invite().toString().replace(/Content-Length: \d+/, 'Content-Length: -5')), caller);
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-2' }).toString().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE')), caller);
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-3' }).toString().replace('SIP/2.0\r\nVia', 'SIP/3.0\r\nVia')), caller);
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-4' }).toString().replace(/Call-ID: .*\r\n/, '')), caller);
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-5' }).toString().replace(/Via: .*\r\n/, '')), caller);
    core.receive(Buffer.from('garbage\r\n\r\n'), caller);
    expect(responses().map((r) => [r.msg.status, r.msg.reason])).toEqual([
      [400, 'Bad Request (bad-content-length)'],
      [400, 'Bad Request (CSeq)'],
      [505, 'Version Not Supported'],
      [400, 'Bad Request (missing Call-ID)'],
    ]);
    expect(responses()[3].msg.headers.has('call-id')).toBe(false);
  });

  it('refuses before the application sees it: 416 for a foreign URI scheme, 420 for Require, 415 for a non-SDP body', () => {
    const { core, invites, responses } = rig();
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-s1' }).toString().replace('INVITE sip:+4930123456@198.51.100.1 SIP', 'INVITE mailto:x@example.com SIP')), caller);
    core.receive(invite({ branch: 'z9hG4bK-s2', extra: ['Require: 100rel, foo'] }), caller);
    core.receive(Buffer.from(invite({ branch: 'z9hG4bK-s3' }).toString().replace('Content-Type: application/sdp', 'Content-Type: text/plain')), caller);
    expect(invites).toHaveLength(0);
    const finals = responses().filter((r) => r.msg.status >= 300);
    expect(finals.map((r) => r.msg.status)).toEqual([416, 420, 415]);
    expect(finals[1].msg.headers.getAll('unsupported')).toEqual(['foo']);
    expect(finals[2].msg.headers.get('accept')).toBe('application/sdp');
  });

  it('answers 480 to an INVITE the application leaves unanswered past the guard time', () => {
    const { core, clock, invites, responses } = rig();
    core.receive(invite(), caller);
    clock.advance(299_999);
    expect(responses().map((r) => r.msg.status)).toEqual([100]);
    clock.advance(1);
    expect(responses().map((r) => r.msg.status)).toEqual([100, 480]);
    expect(invites[0].finalResponseSent).toBe(true);
  });

  it('sends responses to the source port when the caller asked for rport (RFC 3581) and records received', () => {
    const { core, responses } = rig();
    core.receive(Buffer.from(invite().toString().replace('branch=z9hG4bK-abc-1', 'branch=z9hG4bK-abc-1;rport')), { address: '203.0.113.5', port: 40000 });
    const r = responses()[0];
    expect(r.to).toEqual({ address: '203.0.113.5', port: 40000 });
    expect(parseVia(r.msg.headers.get('via')!)?.params.get('received')).toBe('203.0.113.5');
    expect(parseVia(r.msg.headers.get('via')!)?.params.get('rport')).toBe('40000');
  });

  it('answers a re-INVITE refresh with the current SDP, and 481 outside any dialog', () => {
    const { core, invites, responses } = rig();
    core.receive(invite(), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(inDialog('INVITE', d.localTag, 2), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(responses().at(-1)!.msg.body.toString()).toBe(SDP);
    core.receive(inDialog('INVITE', 'zzz', 3), caller);
    expect(responses().at(-1)!.msg.status).toBe(481);
  });

  it('survives 5,000 mutated datagrams through the whole receive pipeline', () => {
    const { core } = rig();
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const base = [invite(), inDialog('BYE', 't', 2), inDialog('ACK', 't', 1), crlf(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 198.51.100.1:5099;branch=z9hG4bKx', 'From: <sip:a@h>;tag=1', 'To: <sip:b@h>;tag=2', 'Call-ID: c', 'CSeq: 1 INVITE', '', ''])];
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(base[i % base.length]);
      for (let e = 0; e < 1 + (i % 5); e++) b[Math.floor(rnd() * b.length)] = [0x0d, 0x0a, 0x3a, 0x3b, 0x20, 0x2c, 0x3c, Math.floor(rnd() * 256)][Math.floor(rnd() * 8)];
      core.receive(b, caller);
    }
    const sent: number[] = [];
    core.onInvite((inv) => sent.push(inv.request.body.length));
    core.receive(invite({ callId: 'after-fuzz', branch: 'z9hG4bK-after' }), caller);
    expect(sent).toEqual([SDP.length]);
  });
});

describe('UAC core', () => {
  const far: Endpoint = { address: '192.0.2.20', port: 5062 };
  function reply(req: SipRequest, status: number, opts: { tag?: string; body?: string; extra?: string[] } = {}): Buffer {
    const body = opts.body ?? '';
    return crlf([
      `SIP/2.0 ${status} X`,
      `Via: ${req.headers.get('via')}`,
      `From: ${req.headers.get('from')}`,
      `To: ${req.headers.get('to')}${opts.tag ? `;tag=${opts.tag}` : ''}`,
      `Call-ID: ${req.headers.get('call-id')}`,
      `CSeq: ${req.headers.get('cseq')}`,
      ...(opts.extra ?? []),
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ]);
  }

  it('INVITE with SDP; 183 early media to the callback; 2xx → dialog and ACK in a new transaction, re-sent on a 2xx retransmission', async () => {
    const { core, requests } = rig();
    const early: Array<{ status: number; sdp?: string }> = [];
    const p = core.invite('sip:+4930555@192.0.2.20:5062', { localSdp: SDP, from: '+4940111', headers: { 'P-Asserted-Identity': '<sip:+4940111@198.51.100.1>' }, onProvisional: (i) => early.push({ status: i.status, sdp: i.sdp }) });
    const inv = requests()[0];
    expect(inv.to).toEqual(far);
    expect(inv.msg.method).toBe('INVITE');
    expect(inv.msg.body.toString()).toBe(SDP);
    expect(inv.msg.headers.get('p-asserted-identity')).toBe('<sip:+4940111@198.51.100.1>');
    expect(parseNameAddr(inv.msg.headers.get('from')!)?.uri).toBe('sip:+4940111@198.51.100.1');
    core.receive(reply(inv.msg, 100), far);
    core.receive(reply(inv.msg, 183, { tag: 'ft', body: 'v=0\r\nm=audio 5000 RTP/AVP 0\r\n' }), far);
    const ok = reply(inv.msg, 200, { tag: 'ft', body: 'v=0\r\nm=audio 5002 RTP/AVP 0\r\n', extra: ['Contact: <sip:gw@192.0.2.21:5070>'] });
    core.receive(ok, far);
    const d = await p;
    expect(early).toEqual([{ status: 183, sdp: 'v=0\r\nm=audio 5000 RTP/AVP 0\r\n' }]);
    expect(d).toMatchObject({ type: 'uac', remoteTag: 'ft', remoteSdp: 'v=0\r\nm=audio 5002 RTP/AVP 0\r\n' });
    const ack = requests()[1];
    expect(ack.msg.method).toBe('ACK');
    expect(ack.to).toEqual({ address: '192.0.2.21', port: 5070 });
    expect(ack.msg.uri).toBe('sip:gw@192.0.2.21:5070');
    expect(parseVia(ack.msg.headers.get('via')!)?.branch).not.toBe(parseVia(inv.msg.headers.get('via')!)?.branch);
    core.receive(ok, far);
    expect(requests().map((r) => r.msg.method)).toEqual(['INVITE', 'ACK', 'ACK']);
  });

  it('a failure rejects with SipError carrying status and Reason header; the ACK stays in the transaction', async () => {
    const { core, requests } = rig();
    const p = core.invite('sip:+4930555@192.0.2.20:5062', { localSdp: SDP });
    const inv = requests()[0].msg;
    core.receive(reply(inv, 603, { tag: 'x', extra: ['Reason: Q.850;cause=21'] }), far);
    await expect(p).rejects.toMatchObject({ name: 'SipError', status: 603, reasonHeader: 'Q.850;cause=21' });
    const ack = requests()[1].msg;
    expect(ack.method).toBe('ACK');
    expect(ack.headers.get('via')).toBe(inv.headers.get('via'));
  });

  it('abort before any provisional waits; after 180 sends CANCEL on the INVITE branch; 487 rejects with SipError 487', async () => {
    const { core, requests } = rig();
    const ac = new AbortController();
    const p = core.invite('sip:+4930555@192.0.2.20:5062', { localSdp: SDP, signal: ac.signal });
    const inv = requests()[0].msg;
    ac.abort();
    expect(requests()).toHaveLength(1);
    core.receive(reply(inv, 180, { tag: 'r' }), far);
    const cancel = requests()[1].msg;
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.headers.get('via')).toBe(inv.headers.get('via'));
    expect(cancel.headers.get('cseq')).toBe(inv.headers.get('cseq')!.replace('INVITE', 'CANCEL'));
    core.receive(reply(cancel, 200, { tag: 'r' }), far);
    core.receive(reply(inv, 487, { tag: 'r' }), far);
    await expect(p).rejects.toMatchObject({ status: 487 });
    expect(requests().map((r) => r.msg.method)).toEqual(['INVITE', 'CANCEL', 'ACK']);
  });

  it('gives up 64*T1 after CANCEL when no final response arrives (§9.1)', async () => {
    const { core, clock, requests } = rig();
    const ac = new AbortController();
    const p = core.invite('sip:+4930555@192.0.2.20:5062', { signal: ac.signal });
    core.receive(reply(requests()[0].msg, 180, { tag: 'r' }), far);
    ac.abort();
    clock.advance(32_000);
    await expect(p).rejects.toMatchObject({ status: 487 });
  });
});

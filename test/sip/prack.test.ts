/**
 * Reliable provisional responses (RFC 3262) on the embedded UA core, in virtual time: as UAS,
 * 18x with Require: 100rel and RSeq retransmitted until the PRACK, one at a time, 504 when no PRACK
 * comes within 64*T1; as UAC, a PRACK with RAck for each new reliable 18x.
 */
import { describe, expect, it } from 'vitest';
import { parseCSeq } from '../../src/sip/header-values.js';
import type { Endpoint, SipRequest } from '../../src/sip/message.js';
import { crlf, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };

const prack = (toTag: string, rack: string, cseq = 2, branch = `z9hG4bK-prack-${cseq}`) =>
  crlf([
    'PRACK sip:198.51.100.1:5099 SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`,
    'Call-ID: call-1@192.0.2.10',
    `CSeq: ${cseq} PRACK`,
    `RAck: ${rack}`,
    'Content-Length: 0',
    '',
    '',
  ]);

describe('UAS: reliable provisional responses', () => {
  it('183 goes with Require: 100rel and RSeq, retransmitted at T1, 2T1... until the PRACK, which gets 200', () => {
    const { clock, core, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: 100rel, timer'] }), caller);
    invites[0].send(183, undefined, { body: SDP });
    const first = responses().at(-1)!.msg;
    expect(first.headers.get('require')).toBe('100rel');
    const rseq = Number(first.headers.get('rseq'));
    expect(rseq).toBeGreaterThan(0);
    expect(rseq).toBeLessThan(2 ** 31);
    clock.advance(1600);
    expect(responses().filter((r) => r.msg.status === 183).map((r) => r.at)).toEqual([0, 500, 1500]);
    core.receive(prack(invites[0].toTag, `${rseq} 1 INVITE`), caller);
    const ok = responses().at(-1)!.msg;
    expect([ok.status, ok.headers.get('cseq')]).toEqual([200, '2 PRACK']);
    clock.advance(10_000);
    expect(responses().filter((r) => r.msg.status === 183)).toHaveLength(3);
  });

  it('a second reliable provisional waits for the first one\'s PRACK and takes the next RSeq; a wrong RAck gets 481', () => {
    const { core, invites, responses } = rig();
    core.receive(invite({ extra: ['Require: 100rel'] }), caller);
    const inv = invites[0];
    inv.send(183, undefined, { body: SDP });
    inv.send(180);
    expect(responses().filter((r) => r.msg.status === 180)).toHaveLength(0);
    const rseq = Number(responses().at(-1)!.msg.headers.get('rseq'));
    core.receive(prack(inv.toTag, `${rseq + 5} 1 INVITE`), caller);
    expect(responses().at(-1)!.msg.status).toBe(481);
    core.receive(prack(inv.toTag, `${rseq} 1 INVITE`, 3), caller);
    const ringing = responses().at(-1)!.msg;
    expect(ringing.status).toBe(180);
    expect(Number(ringing.headers.get('rseq'))).toBe(rseq + 1);
  });

  it('no PRACK within 64*T1: the INVITE is refused with 504 and the application hears a cancel', () => {
    const { clock, core, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: 100rel'] }), caller);
    let canceled = 0;
    invites[0].on('cancel', () => canceled++);
    invites[0].send(183, undefined, { body: SDP });
    clock.advance(33_000);
    expect(responses().at(-1)!.msg.status).toBe(504);
    expect(canceled).toBe(1);
    expect(invites[0].finalResponseSent).toBe(true);
  });

  it('without 100rel from the caller provisionals stay unreliable; Require of an unknown option-tag gets 420 naming it alone', () => {
    const { clock, core, invites, responses } = rig();
    core.receive(invite(), caller);
    invites[0].send(180);
    expect(responses().at(-1)!.msg.headers.has('rseq')).toBe(false);
    clock.advance(5000);
    expect(responses().filter((r) => r.msg.status === 180)).toHaveLength(1);
    core.receive(invite({ callId: 'other', branch: 'z9hG4bK-o', extra: ['Require: 100rel, foo'] }), caller);
    const refusal = responses().at(-1)!.msg;
    expect([refusal.status, refusal.headers.get('unsupported')]).toEqual([420, 'foo']);
  });

  it('a PRACK crossing our 200 is still answered 200 (a reliable 180 without SDP does not hold the 200)', () => {
    const { core, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: 100rel'] }), caller);
    invites[0].send(180);
    const rseq = Number(responses().at(-1)!.msg.headers.get('rseq'));
    core.answer(invites[0], SDP);
    expect(responses().at(-1)!.msg.headers.get('cseq')).toBe('1 INVITE');
    expect(responses().at(-1)!.msg.status).toBe(200);
    core.receive(prack(invites[0].toTag, `${rseq} 1 INVITE`), caller);
    expect(responses().at(-1)!.msg.status).toBe(200);
    expect(responses().at(-1)!.msg.headers.get('cseq')).toBe('2 PRACK');
  });

  it('RFC 3262 §3: the 2xx waits for the PRACK of a reliable provisional that carried SDP, then follows the 200 (PRACK)', () => {
    const { core, clock, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: 100rel'] }), caller);
    invites[0].send(183, undefined, { body: SDP });
    const rseq = Number(responses().at(-1)!.msg.headers.get('rseq'));
    const dialog = core.answer(invites[0], SDP);
    clock.advance(100);
    expect(responses().some((r) => r.msg.status === 200)).toBe(false);
    expect(() => invites[0].send(486)).toThrow();
    core.receive(prack(invites[0].toTag, `${rseq} 1 INVITE`), caller);
    expect(responses().slice(-2).map((r) => `${r.msg.status} ${r.msg.headers.get('cseq')}`)).toEqual(['200 2 PRACK', '200 1 INVITE']);
    expect(dialog.destroyed).toBe(false);
  });

  it('RFC 3262 §3: no PRACK within 64*T1 while a 2xx is held: 504 instead, and the dialog ends as a failure', () => {
    const { core, clock, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: 100rel'] }), caller);
    invites[0].send(183, undefined, { body: SDP });
    const dialog = core.answer(invites[0], SDP);
    const ended: unknown[] = [];
    dialog.on('destroy', (i) => ended.push(i));
    clock.advance(64 * 500 + 10);
    expect(responses().at(-1)!.msg.status).toBe(504);
    expect(responses().some((r) => r.msg.status === 200)).toBe(false);
    expect(ended).toEqual([{ by: 'failure', reason: 'no PRACK' }]);
    expect(core.dialogCount).toBe(0);
  });
});

describe('UAC: PRACK for reliable provisionals', () => {
  const far: Endpoint = { address: '192.0.2.20', port: 5062 };
  const reply = (req: SipRequest, status: number, extra: string[] = [], body = '') =>
    crlf([
      `SIP/2.0 ${status} X`,
      `Via: ${req.headers.get('via')}`,
      `From: ${req.headers.get('from')}`,
      `To: ${req.headers.get('to')};tag=ft`,
      `Call-ID: ${req.headers.get('call-id')}`,
      `CSeq: ${req.headers.get('cseq')}`,
      'Contact: <sip:gw@192.0.2.21:5070>',
      ...extra,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ]);

  it('offers 100rel; PRACKs each new reliable 18x once with RAck; the dialog continues the CSeq after the PRACKs', async () => {
    const { core, requests } = rig();
    const early: number[] = [];
    const p = core.invite('sip:+4930555@192.0.2.20:5062', { localSdp: SDP, onProvisional: (i) => early.push(i.status) });
    const inv = requests()[0].msg;
    expect(inv.headers.get('supported')).toBe('100rel');
    const seq = parseCSeq(inv.headers.get('cseq')!)!.seq;
    core.receive(reply(inv, 183, ['Require: 100rel', 'RSeq: 7'], SDP), far);
    core.receive(reply(inv, 183, ['Require: 100rel', 'RSeq: 7'], SDP), far);
    const pracks = requests().filter((r) => r.msg.method === 'PRACK');
    expect(pracks).toHaveLength(1);
    expect(pracks[0].msg.headers.get('rack')).toBe(`7 ${seq} INVITE`);
    expect(pracks[0].msg.uri).toBe('sip:gw@192.0.2.21:5070');
    expect(pracks[0].msg.headers.get('to')).toContain('tag=ft');
    expect(parseCSeq(pracks[0].msg.headers.get('cseq')!)).toEqual({ seq: seq + 1, method: 'PRACK' });
    core.receive(reply(inv, 180, ['Require: 100rel', 'RSeq: 8']), far);
    expect(requests().filter((r) => r.msg.method === 'PRACK').map((r) => r.msg.headers.get('rack'))).toEqual([`7 ${seq} INVITE`, `8 ${seq} INVITE`]);
    core.receive(reply(inv, 200, [], SDP), far);
    const d = await p;
    void d.destroy();
    const bye = requests().at(-1)!.msg;
    expect(bye.method).toBe('BYE');
    expect(parseCSeq(bye.headers.get('cseq')!)!.seq).toBe(seq + 3);
  });
});

/**
 * Session timers (RFC 4028) in virtual time: negotiation as pure functions, then on the embedded
 * UA core — 422 below Min-SE, the refresher's re-INVITE at half the interval, a refresh from the far
 * end restarting the timer, and BYE when the interval runs out without one.
 */
import { describe, expect, it } from 'vitest';
import { parseCSeq } from '../../src/sip/header-values.js';
import type { Endpoint, SipRequest } from '../../src/sip/message.js';
import type { DestroyInfo } from '../../src/sip/port.js';
import { negotiateAsUas, parseSessionExpires, sessionDeadlineMs, DEFAULT_SESSION_TIMER_POLICY } from '../../src/sip/session-timer.js';
import { crlf, inDialog, invite, SDP } from './fixtures.js';
import { rig } from './rig.js';

const caller: Endpoint = { address: '192.0.2.10', port: 5060 };
const headers = (h: Record<string, string>) => (n: string) => h[n.toLowerCase()];

describe('negotiation (pure)', () => {
  it('parses Session-Expires with its refresher and refuses malformed values', () => {
    expect(parseSessionExpires('1800;refresher=uas')).toEqual({ deltaS: 1800, refresher: 'uas' });
    expect(parseSessionExpires('90')).toEqual({ deltaS: 90, refresher: undefined });
    expect(parseSessionExpires('abc')).toBeUndefined();
    expect(parseSessionExpires('-5')).toBeUndefined();
  });

  it('UAS: none without Session-Expires; 422 below Min-SE; large reduced to our maximum; refresher defaults by the UAC\'s support', () => {
    const p = DEFAULT_SESSION_TIMER_POLICY;
    expect(negotiateAsUas(headers({}), ['timer'], p)).toEqual({ kind: 'none' });
    expect(negotiateAsUas(headers({ 'session-expires': '60' }), [], p)).toEqual({ kind: 'too-small', minSeS: 90 });
    expect(negotiateAsUas(headers({ 'session-expires': '90' }), [], { minSeS: 120, maxSeS: 1800 })).toEqual({ kind: 'too-small', minSeS: 120 });
    expect(negotiateAsUas(headers({ 'session-expires': '7200' }), ['timer'], p)).toEqual({ kind: 'timer', seS: 1800, refresher: 'uac', headers: { 'Session-Expires': '1800;refresher=uac', Require: 'timer' } });
    expect(negotiateAsUas(headers({ 'session-expires': '600' }), [], p)).toMatchObject({ seS: 600, refresher: 'uas', headers: { 'Session-Expires': '600;refresher=uas' } });
    expect(negotiateAsUas(headers({ 'session-expires': '600;refresher=uas' }), ['timer'], p)).toMatchObject({ refresher: 'uas' });
    // Their Min-SE raises what we would grant (§9: never below it).
    expect(negotiateAsUas(headers({ 'session-expires': '7200', 'min-se': '3600' }), ['timer'], p)).toMatchObject({ seS: 3600 });
  });

  it('the refresher refreshes at half the interval; the other side gives up min(32 s, interval/3) early', () => {
    expect(sessionDeadlineMs(90, true)).toBe(45_000);
    expect(sessionDeadlineMs(90, false)).toBe(60_000);
    expect(sessionDeadlineMs(1800, false)).toBe(1_768_000);
  });
});

const reply = (req: SipRequest, status: number, extra: string[] = [], body = '') =>
  crlf([
    `SIP/2.0 ${status} X`,
    `Via: ${req.headers.get('via')}`,
    `From: ${req.headers.get('from')}`,
    `To: ${req.headers.get('to')}`,
    `Call-ID: ${req.headers.get('call-id')}`,
    `CSeq: ${req.headers.get('cseq')}`,
    ...extra,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ]);

function refreshFromCaller(toTag: string, cseq: number, se: string): Buffer {
  return crlf([
    'INVITE sip:198.51.100.1:5099 SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-refresh-${cseq}`,
    'From: "Alice" <sip:+4940111@192.0.2.10>;tag=a1',
    `To: <sip:+4930123456@198.51.100.1>;tag=${toTag}`,
    'Call-ID: call-1@192.0.2.10',
    `CSeq: ${cseq} INVITE`,
    'Contact: <sip:alice@192.0.2.10:5060>',
    'Supported: timer',
    `Session-Expires: ${se}`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ]);
}

describe('session timers on the UA core (virtual time)', () => {
  it('INVITE below our Min-SE gets 422 with Min-SE; the application never sees it', () => {
    const { core, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: timer', 'Session-Expires: 60'] }), caller);
    const r = responses().at(-1)!.msg;
    expect([r.status, r.headers.get('min-se')]).toEqual([422, '90']);
    expect(invites).toHaveLength(0);
  });

  it('the caller refreshes (refresher=uac): 200 carries Session-Expires and Require: timer; each refresh restarts the timer; without one, BYE', () => {
    const { clock, core, invites, responses, requests } = rig();
    core.receive(invite({ extra: ['Supported: timer', 'Session-Expires: 90'] }), caller);
    const d = core.answer(invites[0], SDP);
    const ok = responses().at(-1)!.msg;
    expect([ok.headers.get('session-expires'), ok.headers.get('require')]).toEqual(['90;refresher=uac', 'timer']);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    const ended: DestroyInfo[] = [];
    d.on('destroy', (i) => ended.push(i));
    clock.advance(40_000);
    core.receive(refreshFromCaller(d.localTag, 2, '90;refresher=uac'), caller);
    const refreshed = responses().at(-1)!.msg;
    expect([refreshed.status, refreshed.headers.get('session-expires')]).toEqual([200, '90;refresher=uac']);
    expect(refreshed.body.toString()).toBe(SDP);
    core.receive(inDialog('ACK', d.localTag, 2), caller);
    clock.advance(59_000); // 99 s: 59 s after the refresh, still alive
    expect(ended).toHaveLength(0);
    expect(requests().filter((r) => r.msg.method === 'BYE')).toHaveLength(0);
    clock.advance(2000);
    expect(ended).toEqual([{ by: 'failure', reason: 'session expired' }]);
    const bye = requests().at(-1)!.msg;
    expect(bye.method).toBe('BYE');
    expect(bye.headers.get('reason')).toContain('cause=408');
    expect(core.dialogCount).toBe(0);
  });

  it('we refresh (refresher=uas): a re-INVITE with the same SDP at half the interval, then again after its 2xx', () => {
    const { clock, core, invites, requests } = rig();
    core.receive(invite({ extra: ['Session-Expires: 120'] }), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    clock.advance(59_000);
    expect(requests()).toHaveLength(0);
    clock.advance(1000);
    const refresh = requests().at(-1)!.msg;
    expect(refresh.method).toBe('INVITE');
    expect(refresh.body.toString()).toBe(SDP);
    expect(refresh.headers.get('session-expires')).toBe('120;refresher=uac');
    core.receive(reply(refresh, 200, ['Session-Expires: 120;refresher=uac', 'Contact: <sip:alice@192.0.2.10:5060>'], SDP), caller);
    expect(requests().at(-1)!.msg.method).toBe('ACK');
    clock.advance(60_000);
    const second = requests().filter((r) => r.msg.method === 'INVITE');
    expect(second).toHaveLength(2);
    expect(parseCSeq(second[1].msg.headers.get('cseq')!)!.seq).toBe(parseCSeq(refresh.headers.get('cseq')!)!.seq + 1);
  });

  it('a refresh answered 481 ends the session with BYE; a 491 is retried', () => {
    const { clock, core, invites, requests } = rig();
    core.receive(invite({ extra: ['Session-Expires: 90'] }), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    const ended: DestroyInfo[] = [];
    d.on('destroy', (i) => ended.push(i));
    clock.advance(45_000);
    core.receive(reply(requests().at(-1)!.msg, 491), caller);
    return Promise.resolve().then(() => {
      clock.advance(2100);
      // Distinct refreshes by CSeq (the transaction retransmits each one at T1 until answered).
      const invitesOut = [...new Map(requests().filter((r) => r.msg.method === 'INVITE').map((r) => [r.msg.headers.get('cseq'), r])).values()];
      expect(invitesOut).toHaveLength(2);
      core.receive(reply(invitesOut[1].msg, 481), caller);
      return Promise.resolve().then(() => {
        expect(ended).toEqual([{ by: 'failure', reason: 'session expired' }]);
        expect(requests().at(-1)!.msg.method).toBe('BYE');
      });
    });
  });

  it('a refresh re-INVITE below Min-SE gets 422 and the call goes on', () => {
    const { core, invites, responses } = rig();
    core.receive(invite({ extra: ['Supported: timer', 'Session-Expires: 90'] }), caller);
    const d = core.answer(invites[0], SDP);
    core.receive(inDialog('ACK', d.localTag, 1), caller);
    core.receive(refreshFromCaller(d.localTag, 2, '30'), caller);
    expect(responses().at(-1)!.msg.status).toBe(422);
    expect(d.destroyed).toBe(false);
  });
});

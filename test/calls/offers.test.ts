/**
 * New offers on answered calls, in virtual time with in-memory ports: hold and resume relayed
 * SIP→SIP as a re-INVITE to the other party, and turned into an MDCX on the circuit's gateway
 * connection on SIP↔ISUP calls (RFC 3264 §6.1 direction mirrored, RFC 6337 hold); glare → 491.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { buildAcm, buildAnm, buildIam } from '../../src/ss7/isup/builders.js';
import { Call } from '../../src/calls/call.js';
import { SipInboundLeg } from '../../src/calls/legs/sip-inbound-leg.js';
import { SipOutboundLeg } from '../../src/calls/legs/sip-outbound-leg.js';
import type { CallPlan } from '../../src/calls/plan.js';
import { parseOrigin } from '../../src/calls/sdp-origin.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeInvite, GATEWAY_SDP, lab, labIncoming, settle } from './fakes.js';

const offer = (dir: string, port = 4000, codec = 0) =>
  `v=0\r\no=alice 7 ${dir === 'sendrecv' ? 3 : 2} IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${codec}\r\na=${dir}\r\n`;
const originOf = (sdp: string) => parseOrigin(sdp.split('\r\n').find((x) => x.startsWith('o='))!)!;
const withOrigin = (sdp: string, o: ReturnType<typeof originOf>) => sdp.replace(/^o=.*$/m, `o=${o.username} ${o.sessionId} ${o.version} ${o.netType} ${o.addrType} ${o.address}`);
const dirOf = (sdp?: string) => (sdp ? (parse(sdp).media[0].direction ?? 'sendrecv') : undefined);

async function answeredSipToIsup() {
  const l = lab();
  const c = l.start();
  await settle();
  const cic = l.far.sent[0].cic;
  l.far.deliver(buildAcm(cic));
  l.far.deliver(buildAnm(cic));
  await settle();
  expect(c.call.state).toBe('answered');
  return { l, c, dialog: l.sip.dialogs[0] };
}

describe('hold and resume on a SIP → ISUP call: MDCX on the circuit connection', () => {
  it('a=sendonly → MDCX recvonly with the offer, answer a=recvonly with the next origin version; a=sendrecv → MDCX sendrecv', async () => {
    const { l, dialog } = await answeredSipToIsup();
    const before = l.bearer!.modified.length;
    const hold = await dialog.reinvite(offer('sendonly'));
    expect(hold.status).toBe(200);
    expect(l.bearer!.modified.slice(before)).toEqual([{ connectionId: '1', mode: 'recvonly', remoteSdp: offer('sendonly') }]);
    expect(dirOf(hold.body)).toBe('recvonly');
    const o1 = parse(hold.body!).origin!;
    expect(o1.sessionVersion).toBe(Number(parse(GATEWAY_SDP).origin!.sessionVersion) + 1);
    expect(parse(hold.body!).media[0].port).toBe(5000);
    const resume = await dialog.reinvite(offer('sendrecv'));
    expect(resume.status).toBe(200);
    expect(l.bearer!.modified.at(-1)).toEqual({ connectionId: '1', mode: 'sendrecv', remoteSdp: offer('sendrecv') });
    expect(dirOf(resume.body)).toBe('sendrecv');
    expect(parse(resume.body!).origin!.sessionVersion).toBe(o1.sessionVersion + 1);
  });

  it('a=inactive: the gateway refuses "inactive" (517, as osmo-mgw) → recvonly instead; the answer says inactive', async () => {
    const { l, dialog } = await answeredSipToIsup();
    l.bearer!.refusedModes.add('inactive');
    const r = await dialog.reinvite(offer('inactive'));
    expect(r.status).toBe(200);
    expect(l.bearer!.modified.slice(-2).map((m) => m.mode)).toEqual(['inactive', 'recvonly']);
    expect(dirOf(r.body)).toBe('inactive');
  });

  it('a codec change goes to the gateway as the new remote SDP; a gateway refusal answers 488 and keeps the call', async () => {
    const { l, c, dialog } = await answeredSipToIsup();
    const r = await dialog.reinvite(offer('sendrecv', 4100, 8));
    expect(r.status).toBe(200);
    expect(l.bearer!.modified.at(-1)).toMatchObject({ mode: 'sendrecv', remoteSdp: offer('sendrecv', 4100, 8) });
    l.bearer!.refuseMdcx = 510;
    expect((await dialog.reinvite(offer('sendrecv', 4200, 18))).status).toBe(488);
    expect(c.call.state).toBe('answered');
  });
});

describe('hold on an ISUP → SIP call: the called SIP party holds, MDCX on the incoming circuit', () => {
  it("the called party's a=sendonly → MDCX recvonly; answer a=recvonly", async () => {
    const l = labIncoming();
    l.far.deliver(buildIam({ cic: 2, variant: 'ansi', called: '2125550123', calling: '3125550000' }));
    await settle();
    const [uac] = l.sip.uacs;
    const d = uac.answer();
    await settle();
    const r = await d.reinvite(offer('sendonly'));
    expect(r.status).toBe(200);
    expect(dirOf(r.body)).toBe('recvonly');
    expect(l.bearer!.modified.at(-1)).toMatchObject({ mode: 'recvonly', remoteSdp: offer('sendonly') });
  });
});

describe('hold on a SIP → SIP call: relayed as a re-INVITE to the other party', () => {
  async function sipToSip() {
    const l = lab();
    const invite = new FakeInvite();
    const party = { called: invite.calledNumber, calling: '3125550000' };
    const a = new SipInboundLeg({ sip: l.sip, logger: silentLogger, mediaAddress: '127.0.0.1' }, invite, invite, party);
    const plan: CallPlan = {
      destinations: [{ label: 'ext', leg: () => new SipOutboundLeg({ sip: l.sip, clock: l.clock, logger: silentLogger }, { uri: 'sip:201@10.0.0.9', noResponseMs: 2000, answerTimeoutMs: 30_000 }) }],
      advanceOn: () => false,
      direction: 'sip-to-sip',
      cdr: {},
    };
    const call = new Call(a, plan, l.deps);
    void call.start();
    await settle();
    const uac = l.sip.uacs[0];
    const bDialog = uac.answer('v=0\r\no=bob 9 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n');
    await settle();
    expect(call.state).toBe('answered');
    return { l, call, aDialog: l.sip.dialogs.find((d) => d !== bDialog)!, bDialog };
  }

  it("the caller's hold offer reaches the callee with the callee leg's origin, one version up, and the callee's answer comes back with the caller leg's", async () => {
    const { l, aDialog, bDialog } = await sipToSip();
    bDialog.offerAnswer = 'v=0\r\no=bob 9 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=recvonly\r\n';
    const r = await aDialog.reinvite(offer('sendonly'));
    // RFC 3264 §8: the callee's session is the one the switch opened with its INVITE (no o= in the fake caller's offer: one was made up).
    const initial = l.sip.uacs[0].opts.localSdp!;
    const o = originOf(initial);
    expect(o.username).toBe('-');
    expect(bDialog.offers).toEqual([withOrigin(offer('sendonly'), { ...o, version: o.version + 1n })]);
    // The caller's session is the one it got in the 200: bob's (version 1), now at 2.
    expect(r).toEqual({ status: 200, body: bDialog.offerAnswer });
  });

  it("the callee's own re-INVITE reaches the caller; a 491 from the other party is passed back", async () => {
    const { l, aDialog, bDialog } = await sipToSip();
    aDialog.offerAnswer = 491;
    expect((await bDialog.reinvite(offer('inactive'))).status).toBe(491);
    aDialog.offerAnswer = offer('inactive');
    const r = await bDialog.reinvite(offer('inactive'));
    expect(r.status).toBe(200);
    // The answer to the callee continues the callee leg's origin (the switch's INVITE), one version up.
    const o = originOf(l.sip.uacs[0].opts.localSdp!);
    expect(r.body).toBe(withOrigin(offer('inactive'), { ...o, version: o.version + 1n }));
    expect(aDialog.offers).toHaveLength(2);
    // The refused offer (491) left the caller's session as it was: the one that went through is bob's version 2, not 3.
    expect(aDialog.offers.map((x) => parse(x).origin)).toEqual([
      { username: 'bob', sessionId: 9, sessionVersion: 2, netType: 'IN', ipVer: 4, address: '10.0.0.9' },
      { username: 'bob', sessionId: 9, sessionVersion: 2, netType: 'IN', ipVer: 4, address: '10.0.0.9' },
    ]);
  });

  it('crossing offers from both parties: the second gets 491 while the first is relayed', async () => {
    const { aDialog, bDialog } = await sipToSip();
    let release!: (s: string) => void;
    bDialog.modify = (sdp: string) => {
      bDialog.offers.push(sdp);
      return new Promise<string>((r) => (release = r));
    };
    const first = aDialog.reinvite(offer('sendonly'));
    await settle();
    expect((await bDialog.reinvite(offer('sendonly', 7000))).status).toBe(491);
    release(offer('recvonly'));
    expect((await first).status).toBe(200);
  });
});

/**
 * A PSTN caller (IAM → DID → a SIP party) transferred by the SIP party it reached, in virtual time
 * with in-memory ports: the ISUP leg stays (no REL, the far exchange knows nothing), its circuit's
 * gateway connection is offered to the transfer target and re-pointed at the target's SDP by MDCX;
 * the transferor gets 202, NOTIFY 100 then 200, and BYE. Without a gateway the circuit's SDP is the
 * declined one and the transfer goes through all the same. Likewise a PSTN party a SIP caller
 * reached, transferred by that caller (whose REFER from another address than its INVITE's is 403).
 */
import { describe, expect, it } from 'vitest';
import { buildIam } from '../../src/ss7/isup/builders.js';
import type { Call } from '../../src/calls/call.js';
import { SipOutboundLeg } from '../../src/calls/legs/sip-outbound-leg.js';
import type { CallPlan } from '../../src/calls/plan.js';
import type { InboundRequest, RequestResponder } from '../../src/sip/port.js';
import { silentLogger } from '../../src/util/log.js';
import { buildAcm, buildAnm } from '../../src/ss7/isup/builders.js';
import type { IsupLegDeps } from '../../src/calls/legs/isup-deps.js';
import { SipInboundLeg } from '../../src/calls/legs/sip-inbound-leg.js';
import { lcrPlan } from '../../src/class4/intake/lcr-destinations.js';
import { FakeInvite, GATEWAY_SDP, fixedRouter, labIncoming, settle, type FakeDialog } from './fakes.js';

const B_SDP = 'v=0\r\no=pbx 5 5 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n';
const C_SDP = 'v=0\r\no=target 9 9 IN IP4 10.0.0.3\r\ns=-\r\nc=IN IP4 10.0.0.3\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0\r\n';

/** The SIP party's REFER in its dialog; resolves the statuses the switch answered it with. */
function refer(dialog: FakeDialog, referTo: string, sourceAddress = '10.0.0.1'): number[] {
  const statuses: number[] = [];
  const headers: Record<string, string> = { 'refer-to': referTo, cseq: '1 REFER' };
  const req = { method: 'REFER', get: (n: string) => headers[n.toLowerCase()], getAll: () => [], from: { uri: 'sip:2125550123@10.0.0.1', user: '2125550123', tag: 'b' }, sourceAddress } as unknown as InboundRequest;
  const res: RequestResponder = {
    get finalResponseSent() {
      return statuses.length > 0;
    },
    send(status: number) {
      statuses.push(status);
    },
  };
  dialog.emit('refer', req, res);
  return statuses;
}

async function transferredPstnCaller(withBearer: boolean) {
  const l = labIncoming({ withBearer });
  l.far.deliver(buildIam({ cic: 2, variant: 'ansi', called: '2125550123', calling: '3125550000' }));
  await settle();
  const b = l.sip.uacs[0].answer(B_SDP);
  await settle();
  const call = l.calls.get(l.calls.snapshot()[0].id) as Call;
  expect(call.state).toBe('answered');
  // The plan of a DID to a Class 5 extension carries its tenant's policy; here one that sends every transfer to C.
  (call.callPlan as CallPlan).transfer = () => ({
    kind: 'blind',
    target: '1003',
    plan: {
      destinations: [{ label: 'C', leg: () => new SipOutboundLeg({ sip: l.sip, clock: l.clock, logger: silentLogger }, { uri: 'sip:1003@10.0.0.3', noResponseMs: 2000, answerTimeoutMs: 30_000 }) }],
      advanceOn: () => false,
      direction: 'isup-to-sip',
      cdr: {},
    },
  });
  const statuses = refer(b, '<sip:1003@acme.example>');
  await settle();
  expect(statuses).toEqual([202]);
  const toC = l.sip.uacs[1];
  expect(toC, 'the new call to the target').toBeDefined();
  const modifiedBefore = l.bearer?.modified.length ?? 0;
  toC.answer(C_SDP);
  for (let i = 0; i < 5; i++) await settle();
  return { l, b, toC, modifiedBefore, call };
}

describe('transfer of a PSTN caller by the SIP party it reached', () => {
  it('with a media gateway: the target is offered the circuit’s connection, which MDCX re-points at the target’s SDP; no ISUP message; B gets NOTIFY 200 and BYE', async () => {
    const { l, b, toC, modifiedBefore } = await transferredPstnCaller(true);
    const offered = toC.opts.localSdp!;
    expect(offered).toContain('c=IN IP4 192.0.2.50');
    expect(offered).toContain('m=audio 5000 RTP/AVP 0');
    expect(GATEWAY_SDP).toContain('m=audio 5000');
    expect(l.bearer!.modified.slice(modifiedBefore)).toEqual([{ connectionId: '1', mode: 'sendrecv', remoteSdp: C_SDP }]);
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    expect(b.requests.map((r) => r.body)).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 200 OK\r\n']);
    expect(b.destroyed).toBe(true);
    expect(l.bearer!.deleted).toEqual([]);

    // The target hangs up: now the far exchange gets REL, and the connection goes.
    toC.dialog!.remoteEnd();
    await settle();
    expect(l.far.types(2)).toEqual(['ACM', 'ANM', 'REL']);
  });

  it('without a media gateway: the declined SDP is offered and the transfer completes the same way', async () => {
    const { l, b, toC } = await transferredPstnCaller(false);
    expect(toC.opts.localSdp).toMatch(/m=audio 0 /);
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    expect(b.requests.map((r) => r.body)).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 200 OK\r\n']);
    expect(b.destroyed).toBe(true);
    expect(l.cdrs.find((c) => c.releasedBy === 'transfer')).toMatchObject({ direction: 'isup-to-sip', called: '2125550123' });
  });

  it('a PSTN party the SIP caller reached (SIP → ISUP), transferred by the caller: MDCX re-points the outgoing circuit’s connection; no ISUP message', async () => {
    // labIncoming for its CallManager (which carries transfers); the call is SIP → ISUP on its trunk group.
    const l = labIncoming();
    const isupLegs: IsupLegDeps = { isup: l.isup, bearer: l.bearer, trunkGroup: (id) => (id === 'tg' ? { variant: 'ansi', endpointFor: (c: number) => `ds/${c}@gw` } : undefined), usable: (id) => l.isup.isAvailable(id), clock: l.clock, logger: silentLogger, mediaAddress: '127.0.0.1' };
    const invite = new FakeInvite();
    const party = { called: invite.calledNumber, calling: '3125550000' };
    const leg = new SipInboundLeg({ sip: l.sip, logger: silentLogger, mediaAddress: '127.0.0.1' }, invite, invite, party);
    const call = l.calls.start(leg, lcrPlan(fixedRouter(['tg']), isupLegs, 'sip-to-isup-1', { party, customer: 'cust', direction: 'sip-to-isup' }), 'sip-to-isup-1');
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAcm(cic));
    l.far.deliver(buildAnm(cic));
    await settle();
    expect(call.state).toBe('answered');
    const a = l.sip.dialogs[0];
    (call.callPlan as CallPlan).transfer = () => ({
      kind: 'blind',
      target: '1003',
      plan: {
        destinations: [{ label: 'C', leg: () => new SipOutboundLeg({ sip: l.sip, clock: l.clock, logger: silentLogger }, { uri: 'sip:1003@10.0.0.3', noResponseMs: 2000, answerTimeoutMs: 30_000 }) }],
        advanceOn: () => false,
        direction: 'isup-to-sip',
        cdr: {},
      },
    });
    // The caller's REFER from elsewhere than its INVITE's source is not its own.
    expect(refer(a, '<sip:1003@acme.example>', '198.51.100.66')).toEqual([403]);
    expect(refer(a, '<sip:1003@acme.example>', '192.0.2.10')).toEqual([202]);
    await settle();
    const toC = l.sip.uacs[0];
    expect(toC.opts.localSdp).toContain('m=audio 5000 RTP/AVP 0');
    const before = l.bearer!.modified.length;
    toC.answer(C_SDP);
    for (let i = 0; i < 5; i++) await settle();
    expect(l.bearer!.modified.slice(before)).toEqual([{ connectionId: '1', mode: 'sendrecv', remoteSdp: C_SDP }]);
    expect(l.far.types(cic)).toEqual(['IAM']);
    expect(a.destroyed).toBe(true);
  });
});

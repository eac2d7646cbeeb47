import { describe, expect, it } from 'vitest';
import { buildAnm, buildAcm, buildIam, buildRel, buildRlc } from '../../src/ss7/isup/builders.js';
import type { CauseMessage, IsupMessage } from '../../src/ss7/isup/messages.js';
import { labIncoming, settle } from './fakes.js';

/** An IAM from the far exchange for `called` on `cic`. */
function iam(cic: number, called: string, extra: { restricted?: boolean; charge?: string; jip?: string } = {}): IsupMessage {
  const m = buildIam({ cic, variant: 'ansi', called, calling: '3125550000', callingRestricted: extra.restricted, jurisdiction: extra.jip });
  if (extra.charge) m.optional.push({ name: 'chargeNumber', value: { nai: 3, ni: false, npi: 1, presentation: 0, screening: 0, digits: extra.charge } });
  return m;
}

const cause = (m: IsupMessage | undefined) => (m as CauseMessage | undefined)?.cause.cause;

describe('ISUP → SIP: incoming PSTN calls to DIDs, in virtual time', () => {
  it('IAM → CRCX → INVITE with the caller in E.164; 180 → ACM; 200 → MDCX sendrecv + ANM; REL → BYE, RLC, DLCX; one CDR', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    expect(l.bearer!.live.size).toBe(1);
    const [uac] = l.sip.uacs;
    expect(uac.uri).toBe('sip:2125550123@10.0.0.1:5060;transport=udp');
    expect(uac.opts.localSdp).toContain('m=audio 5000');
    expect(uac.opts.from).toBe('sip:+13125550000@192.0.2.1;user=phone');
    expect(uac.header['P-Asserted-Identity']).toBe('<sip:+13125550000@192.0.2.1;user=phone>');
    uac.ring(180);
    expect(l.far.types(2)).toEqual(['ACM']);
    expect(l.far.sent[0]).toMatchObject({ backwardCall: { calledStatus: 1 } });
    uac.answer();
    await settle();
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    expect(l.bearer!.modified).toEqual([{ connectionId: '1', mode: 'sendrecv', remoteSdp: 'v=0\r\nm=audio 7000 RTP/AVP 0\r\n' }]);
    l.clock.advance(3000);
    l.far.deliver(buildRel(2, 16));
    expect(l.far.types(2)).toEqual(['ACM', 'ANM', 'RLC']);
    expect(uac.dialog!.byes[0]).toMatchObject({ Reason: 'Q.850;cause=16' });
    await settle();
    await settle();
    expect(l.cdrs).toHaveLength(1);
    expect(l.cdrs[0]).toMatchObject({ direction: 'isup-to-sip', customer: 'pbx', inCic: 2, inTrunkGroup: 'tg', sipStatus: 200, cause: 16, releasedBy: 'caller', billableMs: 3000, gatewayEndpoint: 'ds/2@gw' });
    expect(l.bearer!.live.size).toBe(0);
    expect(l.circuits.counts().incoming).toBe(0);
    expect(l.clock.pending).toBe(0);
  });

  it('presentation restricted: From anonymous, Privacy: id, P-Asserted-Identity kept; charge number and JIP carried', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123', { restricted: true, charge: '3125559999', jip: '312555' }));
    await settle();
    const [uac] = l.sip.uacs;
    expect(uac.opts.from).toBe('sip:anonymous@anonymous.invalid');
    expect(uac.header.Privacy).toBe('id');
    expect(uac.header['P-Asserted-Identity']).toBe('<sip:+13125550000@192.0.2.1;user=phone>;jip=312555');
    expect(uac.header['P-Charge-Info']).toBe('<sip:+13125559999@192.0.2.1;user=phone>;npi=ISDN;noa=3');
  });

  it('183 with SDP → ACM "no indication" with in-band information, MDCX recvonly with the early SDP; then 180 → CPG alerting', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    const [uac] = l.sip.uacs;
    uac.ring(183, 'v=0\r\nm=audio 7100 RTP/AVP 0\r\n');
    const acm = l.far.sent[0];
    expect(acm).toMatchObject({ type: 'ACM', backwardCall: { calledStatus: 0 } });
    expect(acm.type === 'ACM' && acm.optional.some((p) => p.name === 'optionalBackwardCallIndicators' && p.value.inbandInfo)).toBe(true);
    await settle();
    expect(l.bearer!.modified[0]).toMatchObject({ mode: 'recvonly', remoteSdp: 'v=0\r\nm=audio 7100 RTP/AVP 0\r\n' });
    uac.ring(180);
    expect(l.far.types(2)).toEqual(['ACM', 'CPG']);
  });

  it('the PSTN caller abandons while ringing: REL → CANCEL, RLC at once; the call ends when the INVITE is terminated', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    const [uac] = l.sip.uacs;
    uac.ring(180);
    l.far.deliver(buildRel(2, 16));
    expect(l.far.types(2)).toEqual(['ACM', 'RLC']);
    expect(uac.canceled).toBe(true);
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ cause: 16, releasedBy: 'caller', billableMs: 0 });
    expect(l.bearer!.live.size).toBe(0);
    expect(l.clock.pending).toBe(0);
  });

  it('486 → REL cause 17, supervised by T1/T5 until RLC; the circuit stays busy until then', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    l.sip.uacs[0].fail(486);
    await settle();
    expect(l.far.types(2)).toEqual(['REL']);
    expect(cause(l.far.sent[0])).toBe(17);
    expect(l.circuits.get(2)?.call).toBe('incoming');
    l.clock.advance(10_000); // T1: REL repeated
    expect(l.far.types(2)).toEqual(['REL', 'REL']);
    l.far.deliver(buildRlc(2));
    await settle();
    await settle();
    expect(l.circuits.get(2)?.call).toBe('idle');
    expect(l.cdrs[0]).toMatchObject({ sipStatus: 486, cause: 17 });
    expect(l.clock.pending).toBe(0);
  });

  it('a Reason header in the failure response wins over the status mapping (RFC 3326)', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    l.sip.uacs[0].fail(480, 'Q.850;cause=18');
    await settle();
    expect(cause(l.far.sent[0])).toBe(18);
  });

  it('target failover: 503 from the first target, the second answers; no response at all from a target counts it down', async () => {
    const l = labIncoming({ targets: ['10.0.0.1:5060', '10.0.0.2:5060'] });
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    l.sip.uacs[0].fail(503);
    await settle();
    expect(l.sip.uacs.map((u) => u.uri)).toEqual(['sip:2125550123@10.0.0.1:5060;transport=udp', 'sip:2125550123@10.0.0.2:5060;transport=udp']);
    l.sip.uacs[1].answer();
    await settle();
    // Answer with no ACM before it: ACM then ANM (T1.113.4 §2.1.4; an ITU exchange may send CON).
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    // A second call: the first target says nothing within the no-response time; failover, and it is marked down.
    l.far.deliver(iam(4, '2125550124'));
    await settle();
    expect(l.sip.uacs[2].uri).toContain('10.0.0.1');
    l.clock.advance(2000);
    await settle();
    expect(l.sip.uacs[3].uri).toContain('10.0.0.2');
    expect(l.health.isUp('sip:10.0.0.1:5060;transport=udp')).toBe(false);
    // A third call skips the dead target altogether.
    l.far.deliver(iam(6, '2125550125'));
    await settle();
    expect(l.sip.uacs[4].uri).toContain('10.0.0.2');
  });

  it("every target down: REL with the customer's cause (20), without any INVITE or gateway connection", async () => {
    const l = labIncoming({ unreachableCause: 20 });
    l.health.reportUnreachable('sip:10.0.0.1:5060;transport=udp');
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    expect(l.sip.uacs).toHaveLength(0);
    expect(l.bearer!.live.size + l.bearer!.deleted.length).toBe(0);
    expect(cause(l.far.sent[0])).toBe(20);
  });

  it('unallocated number: REL cause 1, no INVITE, no gateway connection; CDR written', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125559999'));
    await settle();
    expect(l.sip.uacs).toHaveLength(0);
    expect(cause(l.far.sent[0])).toBe(1);
    l.far.deliver(buildRlc(2));
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ cause: 1, direction: 'isup-to-sip', inCic: 2 });
    expect(l.clock.pending).toBe(0);
  });

  it('a ported-in number: the IAM carries our LRN with the dialled DID in GAP, and the DID is delivered', async () => {
    const l = labIncoming();
    l.far.deliver(buildIam({ cic: 2, variant: 'ansi', called: '2125550150', lrn: '2129990000', calling: '3125550000' }));
    await settle();
    expect(l.sip.uacs[0].uri).toBe('sip:2125550150@10.0.0.1:5060;transport=udp');
  });

  it('the customer at its call limit: the next call gets REL 17', async () => {
    const l = labIncoming({ maxCalls: 2 });
    l.far.deliver(iam(2, '2125550123'));
    l.far.deliver(iam(4, '2125550124'));
    l.far.deliver(iam(6, '2125550125'));
    await settle();
    expect(l.sip.uacs).toHaveLength(2);
    expect(cause(l.far.sent.find((m) => m.cic === 6))).toBe(17);
  });

  it('the far end resets the circuit during the call: BYE with cause 41 to the PBX, DLCX', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    const d = l.sip.uacs[0].answer();
    await settle();
    l.far.deliver({ type: 'RSC', cic: 2 });
    await settle();
    await settle();
    expect(d.byes[0]).toMatchObject({ Reason: 'Q.850;cause=41' });
    expect(l.bearer!.live.size).toBe(0);
    expect(l.cdrs).toHaveLength(1);
  });

  it('the PBX hangs up: REL 16 out, the call ends on RLC', async () => {
    const l = labIncoming();
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    const d = l.sip.uacs[0].answer();
    await settle();
    d.remoteEnd({ by: 'remote', reason: 'Q.850;cause=16' });
    expect(l.far.types(2)).toEqual(['ACM', 'ANM', 'REL']);
    l.far.deliver(buildRlc(2));
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ releasedBy: 'callee', cause: 16, sipStatus: 200 });
    expect(l.clock.pending).toBe(0);
  });
});

describe('ISUP → ISUP transit on the same engine', () => {
  it('a number that is no DID on a transit trunk group goes out another trunk group; ACM/ANM/REL cross over', async () => {
    const l = labIncoming({ transit: true });
    l.far.deliver(iam(2, '3125550100'));
    await settle();
    const out = l.far.sent.find((m) => m.type === 'IAM')!;
    expect(out.cic).toBeGreaterThanOrEqual(101);
    expect(out.type === 'IAM' && out.calledPartyNumber.digits).toBe('2125551234');
    expect(l.bearer!.live.size).toBe(2);
    l.far.deliver(buildAcm(out.cic));
    expect(l.far.types(2)).toEqual(['ACM']);
    l.far.deliver(buildAnm(out.cic));
    await settle();
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    l.far.deliver(buildRel(2, 16));
    expect(l.far.types(out.cic)).toEqual(['IAM', 'REL']);
    l.far.deliver(buildRlc(out.cic));
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ direction: 'isup-to-isup', inCic: 2, cic: out.cic, trunkGroup: 'tg2', cause: 16, releasedBy: 'caller' });
    expect(l.bearer!.live.size).toBe(0);
    expect(l.circuits.counts()).toMatchObject({ incoming: 0, outgoing: 0 });
    expect(l.circuits2.counts()).toMatchObject({ incoming: 0, outgoing: 0 });
    expect(l.clock.pending).toBe(0);
  });
});

describe('media gateway restart mid-call (RFC 3435 §4.4.6)', () => {
  it('RSIP forced on the gateway: answered calls on its endpoints are released on both sides with cause 41; graceful leaves them', async () => {
    const { releaseCallsOnGatewayRestart } = await import('../../src/calls/gateway-restart.js');
    const { silentLogger } = await import('../../src/util/log.js');
    const l = labIncoming();
    releaseCallsOnGatewayRestart(l.bearer!, l.calls, silentLogger);
    l.far.deliver(iam(2, '2125550123'));
    await settle();
    const d = l.sip.uacs[0].answer();
    await settle();
    l.bearer!.emit('restart', { gateway: 'gw', endpoint: '*@gw', method: 'graceful' });
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    l.bearer!.emit('restart', { gateway: 'gw', endpoint: '*@gw', method: 'forced', connectionsLost: true });
    expect(l.far.types(2)).toEqual(['ACM', 'ANM', 'REL']);
    expect(cause(l.far.sent.at(-1))).toBe(41);
    expect(d.byes[0]).toMatchObject({ Reason: 'Q.850;cause=41' });
    l.far.deliver(buildRlc(2));
    await settle();
    await settle();
    expect(l.cdrs[0]).toMatchObject({ cause: 41, releasedBy: 'switch' });
  });
});

describe('parallel forking (simultaneous ring)', () => {
  it('rings every branch; the first answer wins, the others are canceled; one ACM, one ANM', async () => {
    const { ForkLeg } = await import('../../src/calls/legs/fork-leg.js');
    const { SipOutboundLeg } = await import('../../src/calls/legs/sip-outbound-leg.js');
    const { IsupIncomingLeg } = await import('../../src/calls/legs/isup-incoming-leg.js');
    const { silentLogger } = await import('../../src/util/log.js');
    const l = labIncoming();
    const tg = l.isup.trunkGroup('tg')!;
    tg.circuits.seizeIncoming(2, 'fork-call');
    const a = new IsupIncomingLeg({ isup: l.isup, bearer: l.bearer, trunkGroup: () => ({ variant: 'ansi', endpointFor: (c) => `ds/${c}@gw` }), usable: () => true, clock: l.clock, logger: silentLogger, mediaAddress: '127.0.0.1' }, tg, buildIam({ cic: 2, variant: 'ansi', called: '2125550123', calling: '3125550000' }) as never, 'fork-call');
    const branch = (uri: string) => new SipOutboundLeg({ sip: l.sip, clock: l.clock, logger: silentLogger }, { uri, noResponseMs: 5000, answerTimeoutMs: 60_000 });
    const { Call } = await import('../../src/calls/call.js');
    const call = new Call(a, { destinations: [{ label: 'fmfm', leg: () => new ForkLeg([branch('sip:desk@10.0.0.1'), branch('sip:mobile@10.0.0.2'), branch('sip:home@10.0.0.3')]) }], advanceOn: () => false, direction: 'isup-to-sip', cdr: {} }, l.deps, 'fork-call');
    const done = call.start();
    await settle();
    expect(l.sip.uacs.map((u) => u.uri)).toEqual(['sip:desk@10.0.0.1', 'sip:mobile@10.0.0.2', 'sip:home@10.0.0.3']);
    l.sip.uacs[0].ring(180);
    l.sip.uacs[1].ring(180);
    l.sip.uacs[2].fail(486);
    expect(l.far.types(2)).toEqual(['ACM']);
    l.sip.uacs[1].answer();
    await settle();
    expect(l.far.types(2)).toEqual(['ACM', 'ANM']);
    expect(l.sip.uacs[0].canceled).toBe(true);
    expect(l.sip.uacs[1].canceled).toBe(false);
    l.far.deliver(buildRel(2, 16));
    await done;
    expect(l.cdrs[0]).toMatchObject({ target: 'sip:mobile@10.0.0.2', sipStatus: 200, cause: 16 });
    expect(l.clock.pending).toBe(0);
  });

  it('every branch fails: the best failure is reported (busy beats no response)', async () => {
    const { ForkLeg } = await import('../../src/calls/legs/fork-leg.js');
    const failures: unknown[] = [];
    const fake = (f: { cause: number; sipStatus?: number; unreachable?: boolean }) => {
      const leg = { kind: 'sip' as const, events: {} as { onFail?: (x: unknown) => void }, settled: Promise.resolve(), details: () => ({}), release: () => undefined, start: () => queueMicrotask(() => leg.events.onFail?.(f)) };
      return leg;
    };
    const fork = new ForkLeg([fake({ cause: 102, unreachable: true }), fake({ cause: 17, sipStatus: 486 }), fake({ cause: 19, sipStatus: 480 })] as never);
    fork.events.onFail = (f) => failures.push(f);
    fork.start(undefined);
    await settle();
    expect(failures).toEqual([{ cause: 17, sipStatus: 486 }]);
  });
});

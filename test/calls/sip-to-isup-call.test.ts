import { describe, expect, it } from 'vitest';
import { buildAcm, buildAnm, buildIam, buildRel, buildRlc } from '../../src/ss7/isup/builders.js';
import type { CauseMessage } from '../../src/ss7/isup/messages.js';
import { lab, settle } from './fakes.js';

const farIam = (cic: number) => buildIam({ cic, variant: 'ansi', called: '3125550000', calling: '2125550000' });

/** Everything a finished call must leave behind: idle circuits, no live gateway connection, no timer, one CDR. */
function expectClean(l: ReturnType<typeof lab>): void {
  expect(l.circuits.counts().outgoing).toBe(0);
  expect(l.bearer?.live.size ?? 0).toBe(0);
  expect(l.clock.pending).toBe(0);
  expect(l.cdrs).toHaveLength(1);
}

describe('SipToIsupCall: races between SIP, ISUP and the gateway', () => {
  it('basic call: ACM → 183, ANM → 200, caller BYE → REL, RLC → DLCX, one CDR', async () => {
    const l = lab();
    const c = l.start();
    await settle();
    expect(l.far.types()).toEqual(['IAM']);
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAcm(cic));
    l.far.deliver(buildAnm(cic));
    await settle();
    expect(c.invite.responses).toEqual([183, 200]);
    l.clock.advance(5000);
    l.sip.dialogs[0].remoteEnd({ by: 'remote', reason: 'Q.850;cause=16' });
    expect(l.far.types()).toEqual(['IAM', 'REL']);
    l.far.deliver(buildRlc(cic));
    await c.done;
    expectClean(l);
    expect(l.cdrs[0]).toMatchObject({ cause: 16, releasedBy: 'caller', billableMs: 5000, sipStatus: 200 });
  });

  it('IAM the link refuses: the call fails once, no T7 left behind to send a stray REL/RSC later', async () => {
    const l = lab();
    l.far.accepting = false;
    const c = l.start();
    await c.done;
    expect(c.invite.responses).toEqual([503]);
    l.far.accepting = true;
    // Another call takes the circuit; the dead attempt's T7/T1/T5 must not touch it.
    l.circuits.seizeOutgoing('other');
    l.clock.advance(400_000);
    expect(l.far.types()).toEqual([]);
    expect(l.clock.pending).toBe(0);
    expect(l.bearer!.live.size).toBe(0);
    expect(l.cdrs).toHaveLength(1);
  });

  it('REL from the network while the 200 OK is still in flight: the caller gets a BYE, nothing is left', async () => {
    const l = lab();
    l.sip.holdAnswer = true;
    const c = l.start();
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAcm(cic));
    l.far.deliver(buildAnm(cic));
    l.far.deliver(buildRel(cic, 16));
    expect(l.far.types()).toEqual(['IAM', 'RLC']);
    l.sip.answerNow();
    await c.done;
    await settle();
    expect(c.invite.responses).toEqual([183, 200]);
    expect(l.sip.dialogs[0].destroyed).toBe(true);
    expect(l.sip.dialogs[0].byes[0]).toMatchObject({ Reason: 'Q.850;cause=16' });
    expectClean(l);
    expect(l.cdrs[0]).toMatchObject({ sipStatus: 200, cause: 16, releasedBy: 'callee' });
  });

  it('switch release (drain) while the 200 OK is in flight: REL out, the caller gets a BYE once answered', async () => {
    const l = lab();
    l.sip.holdAnswer = true;
    const c = l.start();
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAnm(cic));
    c.call.release(16);
    expect(l.far.types()).toEqual(['IAM', 'REL']);
    l.sip.answerNow();
    await settle();
    l.far.deliver(buildRlc(cic));
    await c.done;
    expect(l.sip.dialogs[0].destroyed).toBe(true);
    expectClean(l);
  });

  it('CANCEL while the gateway connection is being made: DLCX, no IAM, circuit idle, 487 only', async () => {
    const l = lab();
    l.bearer!.holdCreate = true;
    const c = l.start();
    await settle();
    c.invite.cancel();
    l.bearer!.completeCreate();
    await c.done;
    expect(l.far.types()).toEqual([]);
    expect(c.invite.responses).toEqual([487]);
    expect(l.bearer!.deleted).toHaveLength(1);
    expectClean(l);
  });

  it('circuit reset (RSC) while the gateway connection is being made: no IAM on a circuit another call now holds', async () => {
    const l = lab({ count: 1 });
    l.bearer!.holdCreate = true;
    const c = l.start();
    await settle();
    l.far.deliver({ type: 'RSC', cic: 1 });
    expect(l.far.types()).toEqual(['RLC']);
    // The reset made the circuit idle: another call may take it at once.
    expect(l.circuits.seizeOutgoing('other')?.cic).toBe(1);
    l.bearer!.completeCreate();
    await c.done;
    expect(l.far.types()).toEqual(['RLC']);
    expect(l.circuits.get(1)).toMatchObject({ call: 'outgoing', callRef: 'other' });
    expect(l.bearer!.live.size).toBe(0);
    expect(l.cdrs).toHaveLength(1);
    expect(c.invite.responses).toEqual([503]);
  });

  it('ACK never arrives (dialog failure): REL goes out and the call ends on RLC', async () => {
    const l = lab();
    const c = l.start();
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAnm(cic));
    await settle();
    l.sip.dialogs[0].remoteEnd({ by: 'failure' });
    expect(l.far.types()).toEqual(['IAM', 'REL']);
    l.far.deliver(buildRlc(cic));
    await c.done;
    expectClean(l);
  });

  it('REL whose cause parameter cannot be decoded still clears the call (cause 31), answered with RLC, not CFN', async () => {
    const l = lab();
    const c = l.start();
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAnm(cic));
    await settle();
    // REL, CIC, pointer 2, no optional part, cause length 1: the cause value octet is missing.
    l.far.deliverRaw(Buffer.from([cic & 0xff, cic >> 8, 0x0c, 0x02, 0x00, 0x01, 0x82]));
    expect(l.far.types()).toEqual(['IAM', 'RLC']);
    await c.done;
    expect(l.sip.dialogs[0].byes[0]).toMatchObject({ Reason: 'Q.850;cause=31' });
    expectClean(l);
    expect(l.cdrs[0]).toMatchObject({ cause: 31, releasedBy: 'callee' });
  });

  it('a CDR store that throws does not make run() reject', async () => {
    const l = lab();
    l.deps.writeCdr = () => {
      throw new Error('disk full');
    };
    l.far.reachable = false;
    const c = l.start();
    await expect(c.done).resolves.toBeUndefined();
  });
});

describe('SipToIsupCall: dual seizure (Q.764 §2.9.1.4)', () => {
  it('controlling exchange: the incoming IAM is disregarded and our call goes on', async () => {
    // Our point code is the lower: we control the odd CICs; CIC 1 is ours.
    const l = lab({ count: 2 });
    const c = l.start();
    await settle();
    expect(l.far.sent[0]).toMatchObject({ type: 'IAM', cic: 1 });
    l.far.deliver(farIam(1));
    l.far.deliver(buildAcm(1));
    l.far.deliver(buildAnm(1));
    await settle();
    expect(c.invite.responses).toEqual([183, 200]);
    expect(l.far.types()).toEqual(['IAM']);
    l.sip.dialogs[0].remoteEnd();
    l.far.deliver(buildRlc(1));
    await c.done;
    expectClean(l);
  });

  it('non-controlling exchange: backs off without REL and repeats the attempt on another circuit', async () => {
    const l = lab({ count: 4 });
    // Every circuit but CIC 2 (which the far end controls) is busy.
    for (const cic of [1, 3, 4]) l.circuits.seizeIncoming(cic, `busy-${cic}`);
    const c = l.start();
    await settle();
    expect(l.far.sent[0]).toMatchObject({ type: 'IAM', cic: 2 });
    l.circuits.release(3);
    l.far.deliver(farIam(2));
    await settle();
    // Our attempt on CIC 2 is abandoned silently; the far end's call is refused by this node (no incoming handling).
    const onCic2 = l.far.sent.filter((m) => m.cic === 2);
    expect(onCic2.map((m) => m.type)).toEqual(['IAM', 'REL']);
    expect((onCic2[1] as CauseMessage).cause.cause).toBe(41);
    // The refused circuit stays busy (T1/T5 running) until the far end confirms with RLC.
    expect(l.circuits.get(2)?.call).toBe('incoming');
    l.far.deliver(buildRlc(2));
    await settle();
    expect(l.circuits.get(2)?.call).toBe('idle');
    const retry = l.far.sent.filter((m) => m.type === 'IAM' && m.cic !== 2);
    expect(retry.map((m) => m.cic)).toEqual([3]);
    l.far.deliver(buildAcm(3));
    l.far.deliver(buildAnm(3));
    await settle();
    expect(c.invite.responses).toEqual([183, 200]);
    expect(l.bearer!.live.size).toBe(1);
    l.sip.dialogs[0].remoteEnd();
    l.far.deliver(buildRlc(3));
    await c.done;
    expect(l.bearer!.live.size).toBe(0);
    expect(l.circuits.counts()).toMatchObject({ outgoing: 0, idle: 2 });
    expect(l.cdrs).toHaveLength(1);
    expect(l.cdrs[0]).toMatchObject({ cic: 3, sipStatus: 200 });
    expect(l.clock.pending).toBe(0);
  });
});

describe('SipToIsupCall: maximum call duration', () => {
  /** A call answered by the far end, on a switch that caps answered calls at `capMs`. */
  async function answeredWithCap(capMs: number) {
    const l = lab();
    l.deps.maxCallDurationMs = capMs;
    const c = l.start();
    await settle();
    const cic = l.far.sent[0].cic;
    l.far.deliver(buildAcm(cic));
    l.far.deliver(buildAnm(cic));
    await settle();
    return { l, c, cic };
  }

  it('releases an answered call on both sides when the cap is reached, and records it', async () => {
    const { l, c, cic } = await answeredWithCap(60_000);
    l.clock.advance(59_999);
    expect(l.far.types()).toEqual(['IAM']);
    l.clock.advance(1);
    expect(l.far.types()).toEqual(['IAM', 'REL']);
    expect((l.far.sent[1] as CauseMessage).cause.cause).toBe(16);
    l.far.deliver(buildRlc(cic));
    await c.done;
    expectClean(l);
    expect(l.sip.dialogs[0].destroyed).toBe(true);
    expect(l.cdrs[0]).toMatchObject({ releasedBy: 'switch', cause: 16, billableMs: 60_000, sipStatus: 200 });
  });

  it('a call that ends before the cap leaves no timer behind', async () => {
    const { l, c, cic } = await answeredWithCap(60_000);
    l.far.deliver(buildRel(cic, 16));
    await c.done;
    expectClean(l);
  });
});

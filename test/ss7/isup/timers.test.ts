/**
 * Every ISUP timer's expiry in virtual time, ITU and ANSI where T1.113.4 differs: the call FSM's
 * (T1, T2, T5, T6, T7, T8, T9, T27, T33) through IsupCallRunner, and the service's supervision
 * (T12–T30) against an in-memory far end that records what was sent and answers only when told.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/util/clock.js';
import {
  defaultIsupTimers,
  ISUP_CALL_TRANSITIONS,
  type IsupCallEvent,
  type IsupCallIndication,
  type IsupCallState,
  type IsupSendRequest,
} from '../../../src/ss7/isup/call-fsm.js';
import { IsupCallRunner } from '../../../src/ss7/isup/call-runner.js';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';
import { decodeIsup, encodeIsup } from '../../../src/ss7/isup/codec.js';
import { buildIam, buildRel, buildRlc } from '../../../src/ss7/isup/builders.js';
import { isIsupError, type IsupMessage, type RangeMessage } from '../../../src/ss7/isup/messages.js';
import { IsupService } from '../../../src/ss7/isup/service.js';
import type { MtpTransferData, MtpTransferLink } from '../../../src/ss7/mtp3/transfer.js';
import type { Variant } from '../../../src/ss7/variant.js';

function call(variant: Variant) {
  const clock = new VirtualClock();
  const sent: IsupSendRequest[] = [];
  const ind: IsupCallIndication[] = [];
  const runner = new IsupCallRunner({ clock, timers: defaultIsupTimers(variant), variant, send: (m) => sent.push(m), indicate: (i) => ind.push(i) });
  const h = (e: IsupCallEvent) => runner.handle(e);
  return { clock, sent, ind, runner, h };
}

const answeredIn = (v: Variant) => {
  const c = call(v);
  c.h({ name: 'CC_SETUP_REQ' });
  c.h({ name: 'ISUP_ACM' });
  c.h({ name: 'ISUP_ANM' });
  return c;
};

describe('call FSM timers (virtual time)', () => {
  for (const v of ['itu', 'ansi'] as const) {
    const t = defaultIsupTimers(v);
    it(`${v}: T6 (network-initiated suspend, ${t.T6} ms) releases with cause 102 unless RES comes`, () => {
      const c = answeredIn(v);
      c.h({ name: 'ISUP_SUS', networkInitiated: true });
      expect(c.runner.state).toBe('suspended');
      c.clock.advance(t.T6 - 1);
      c.h({ name: 'ISUP_RES', networkInitiated: true });
      expect(c.runner.state).toBe('answered');
      expect(c.clock.pending).toBe(0);
      c.h({ name: 'ISUP_SUS', networkInitiated: true });
      c.clock.advance(t.T6);
      expect(c.sent.at(-1)).toEqual({ type: 'REL', cause: 102 });
      expect(c.ind.at(-1)).toEqual({ kind: 'released', cause: 102, by: 'local-timer' });
    });

    it(`${v}: T8 without COT releases with cause 41; a passed COT offers the call`, () => {
      const a = call(v);
      a.h({ name: 'ISUP_IAM', continuityCheck: 1 });
      expect(a.ind).toEqual([{ kind: 'continuity-loop', recheck: false }]);
      a.clock.advance(t.T8);
      expect(a.sent).toEqual([{ type: 'REL', cause: 41 }]);
      const b = call(v);
      b.h({ name: 'ISUP_IAM', continuityCheck: 2 });
      b.h({ name: 'ISUP_COT', success: true });
      expect(b.ind.map((i) => i.kind)).toEqual(['setup']);
      expect(b.clock.pending).toBe(0);
    });

    it(`${v}: COT failure waits T27 for CCR, then RSC; a CCR connects the loop${v === 'ansi' ? ' and answers LPA' : ''}`, () => {
      const a = call(v);
      a.h({ name: 'ISUP_IAM', continuityCheck: 1 });
      a.h({ name: 'ISUP_COT', success: false });
      expect(a.runner.state).toBe('incoming-awaiting-ccr');
      a.clock.advance(t.T27);
      expect(a.sent).toEqual([{ type: 'RSC' }]);
      expect(a.runner.state).toBe('idle');
      const b = call(v);
      b.h({ name: 'ISUP_IAM', continuityCheck: 1 });
      b.h({ name: 'ISUP_COT', success: false });
      b.h({ name: 'ISUP_CCR' });
      expect(b.sent).toEqual(v === 'ansi' ? [{ type: 'LPA' }] : []);
      expect(b.ind.at(-1)).toEqual({ kind: 'continuity-loop', recheck: true });
      b.h({ name: 'ISUP_REL', cause: 16 });
      expect(b.sent.at(-1)).toEqual({ type: 'RLC' });
      expect(b.clock.pending).toBe(0);
    });

    it(`${v}: T33 without INF releases; INF stops it`, () => {
      const a = call(v);
      a.h({ name: 'ISUP_IAM' });
      a.h({ name: 'CC_INFO_REQ' });
      expect(a.sent).toEqual([{ type: 'INR' }]);
      a.h({ name: 'ISUP_INF' });
      expect(a.clock.pending).toBe(0);
      a.h({ name: 'CC_INFO_REQ' });
      a.clock.advance(t.T33);
      expect(a.sent.at(-1)).toEqual({ type: 'REL', cause: 102 });
    });

    it(`${v}: T5 after T1 repeats: RSC, maintenance alert, idle`, () => {
      const c = answeredIn(v);
      c.h({ name: 'CC_RELEASE_REQ', cause: 16 });
      c.clock.advance(t.T5);
      expect(c.sent.filter((m) => m.type === 'REL').length).toBe(Math.floor(t.T5 / t.T1) + (t.T5 % t.T1 === 0 ? 0 : 1));
      expect(c.sent.at(-1)).toEqual({ type: 'RSC' });
      expect(c.runner.state).toBe('idle');
      expect(c.clock.pending).toBe(0);
    });
  }

  it('itu: a user-initiated SUS runs T2 (3 min); ANSI has no user suspend and runs T6', () => {
    const i = answeredIn('itu');
    i.h({ name: 'ISUP_SUS', networkInitiated: false });
    i.clock.advance(defaultIsupTimers('itu').T6);
    expect(i.runner.state).toBe('suspended');
    i.clock.advance(defaultIsupTimers('itu').T2 - defaultIsupTimers('itu').T6);
    expect(i.sent.at(-1)).toEqual({ type: 'REL', cause: 102 });
    const a = answeredIn('ansi');
    a.h({ name: 'ISUP_SUS', networkInitiated: false });
    expect(a.ind.at(-1)).toEqual({ kind: 'suspended', networkInitiated: true });
    a.clock.advance(defaultIsupTimers('ansi').T6);
    expect(a.sent.at(-1)).toEqual({ type: 'REL', cause: 102 });
  });

  it('overlap: each SAM restarts T7 (ITU); ANSI sends no SAM', () => {
    const i = call('itu');
    i.h({ name: 'CC_SETUP_REQ' });
    i.clock.advance(20_000);
    i.h({ name: 'CC_SAM_REQ', digits: '12' });
    i.clock.advance(20_000);
    expect(i.runner.state).toBe('outgoing-setup');
    i.clock.advance(10_000);
    expect(i.sent.map((m) => m.type)).toEqual(['IAM', 'SAM', 'REL']);
    const a = call('ansi');
    a.h({ name: 'CC_SETUP_REQ' });
    a.h({ name: 'CC_SAM_REQ', digits: '12' });
    expect(a.sent.map((m) => m.type)).toEqual(['IAM']);
  });

  it('every state of a call accepts a release from either side', () => {
    const states = Object.keys(ISUP_CALL_TRANSITIONS) as IsupCallState[];
    for (const s of states) {
      if (s === 'idle' || s === 'releasing') continue;
      expect(ISUP_CALL_TRANSITIONS[s].ISUP_REL, `${s} ISUP_REL`).toBeDefined();
      if (s !== 'incoming-awaiting-ccr' && s !== 'incoming-recheck') expect(ISUP_CALL_TRANSITIONS[s].CC_RELEASE_REQ, `${s} CC_RELEASE_REQ`).toBeDefined();
    }
  });

  it('REL requests may carry our automatic congestion level', () => {
    const c = answeredIn('itu');
    c.h({ name: 'CC_RELEASE_REQ', cause: 42, acl: 1 });
    expect(c.sent.at(-1)).toEqual({ type: 'REL', cause: 42, acl: 1 });
  });
});

/** The far exchange on an in-memory link: records what the service sends, answers when told. */
class FarEnd extends EventEmitter implements MtpTransferLink {
  sent: IsupMessage[] = [];
  constructor(
    readonly variant: Variant,
    readonly own: number,
    readonly far: number,
  ) {
    super();
  }
  sendTransfer(pd: MtpTransferData): boolean {
    const m = decodeIsup(pd.data, this.variant);
    if (isIsupError(m)) throw new Error(m.detail);
    this.sent.push(m);
    return true;
  }
  canReach(): boolean {
    return true;
  }
  deliver(msg: IsupMessage): void {
    this.emit('transfer', { opc: this.far, dpc: this.own, si: 5, ni: 2, mp: 0, sls: 0, data: encodeIsup(msg, this.variant) });
  }
  types(): string[] {
    return this.sent.map((m) => `${m.type}:${m.cic}`);
  }
}

function node(variant: Variant, count = 8, first = 1) {
  const own = variant === 'itu' ? 100 : 0x010101;
  const far = variant === 'itu' ? 200 : 0x020202;
  const clock = new VirtualClock();
  const link = new FarEnd(variant, own, far);
  const circuits = new CircuitGroup({ id: 'tg', firstCic: first, count, ownPointCode: own, farPointCode: far, variant });
  const isup = new IsupService({ link, ownPointCode: own, networkIndicator: 2, trunkGroups: [{ id: 'tg', variant, farPointCode: far, circuits }], clock });
  const alarms: string[] = [];
  isup.on('maintenance-alarm', (a: { procedure: string }) => alarms.push(a.procedure));
  return { clock, link, circuits, isup, alarms, t: isup.timersOf('tg') };
}

describe('service supervision timers (virtual time)', () => {
  const cases = [
    ['BLO', 'T12', 'T13', (n: ReturnType<typeof node>) => n.isup.block('tg', 3), { type: 'BLA', cic: 3 }],
    ['UBL', 'T14', 'T15', (n: ReturnType<typeof node>) => n.isup.unblock('tg', 3), { type: 'UBA', cic: 3 }],
    ['RSC', 'T16', 'T17', (n: ReturnType<typeof node>) => n.isup.reset('tg', 3), { type: 'RLC', cic: 3, optional: [] }],
    ['CGB', 'T18', 'T19', (n: ReturnType<typeof node>) => n.isup.block('tg', 2, { count: 3 }), null],
    ['CGU', 'T20', 'T21', (n: ReturnType<typeof node>) => n.isup.unblock('tg', 2, { count: 3 }), null],
    ['GRS', 'T22', 'T23', (n: ReturnType<typeof node>) => n.isup.reset('tg', 1, 8), null],
  ] as const;
  for (const variant of ['itu', 'ansi'] as const) {
    for (const [type, short, long, start, ack] of cases) {
      it(`${variant}: ${type} repeated every ${short}; after a minute maintenance is alerted and ${type} repeats every ${long}; the acknowledgement stops it`, () => {
        const n = node(variant);
        start(n);
        const count = () => n.link.sent.filter((m) => m.type === type).length;
        expect(count()).toBe(1);
        n.clock.advance(n.t[short]);
        expect(count()).toBe(2);
        n.clock.advance(n.t.alertAfter - n.t[short]);
        expect(n.alarms).toEqual([type]);
        const atAlert = count();
        // The first message, one per short interval before the alert, one at the alert.
        expect(atAlert).toBe(1 + Math.floor((n.t.alertAfter - 1) / n.t[short]) + 1);
        n.clock.advance(n.t[short] * 3);
        expect(count()).toBe(atAlert);
        n.clock.advance(n.t[long]);
        expect(count()).toBe(atAlert + 1);
        const last = n.link.sent.filter((m) => m.type === type).at(-1)!;
        const answer: IsupMessage =
          (ack as IsupMessage | null) ??
          (type === 'GRS'
            ? { type: 'GRA', cic: last.cic, rangeAndStatus: { range: (last as RangeMessage).rangeAndStatus.range, status: Buffer.alloc(1) } }
            : ({ ...(last as object), type: type === 'CGB' ? 'CGBA' : 'CGUA' } as IsupMessage));
        n.link.deliver(answer);
        expect(n.isup.pendingProcedures()).toEqual([]);
        expect(n.clock.pending).toBe(0);
      });
    }
  }

  it('T28: a CQM without CQR resolves undefined and alerts maintenance', async () => {
    const n = node('itu');
    const p = n.isup.queryRemote('tg', 1, 4);
    n.clock.advance(n.t.T28);
    expect(await p).toBeUndefined();
    expect(n.alarms).toEqual(['CQM']);
  });

  it('T29/T30: ACL raises the congestion step once per T29; each T30 steps back', () => {
    const n = node('itu');
    const rel = (acl: number) => n.link.deliver({ ...buildRel(1, 42), optional: [{ name: 'automaticCongestionLevel', value: acl }] });
    rel(1);
    rel(2); // within T29: ignored
    expect(n.isup.congestionState('tg')).toEqual({ level: 1, step: 1 });
    n.clock.advance(n.t.T29);
    rel(2);
    expect(n.isup.congestionState('tg')).toEqual({ level: 2, step: 2 });
    n.clock.advance(n.t.T30);
    expect(n.isup.congestionState('tg')).toEqual({ level: 2, step: 1 });
    n.clock.advance(n.t.T30);
    expect(n.isup.congestionLevel('tg')).toBe(0);
    expect(n.clock.pending).toBe(0);
  });

  it('our own overload puts ACL in every REL we send', () => {
    const n = node('ansi');
    n.isup.setOwnCongestionLevel(1);
    n.isup.send('tg', buildRel(2, 42));
    n.isup.setOwnCongestionLevel(0);
    n.isup.send('tg', buildRel(3, 16));
    expect(n.link.sent.map((m) => (m as { optional?: { name: string; value?: unknown }[] }).optional?.find((p) => p.name === 'automaticCongestionLevel')?.value)).toEqual([1, undefined]);
  });

  it('T24/T25/T26: a failed outgoing continuity check re-checks after T25, then every T26, and REL/RLC returns the circuit', async () => {
    const n = node('itu');
    let pass = false;
    (n.isup as unknown as { opts: { continuity: unknown } }).opts.continuity = async () => pass;
    n.circuits.seizeOutgoing('c1');
    const got: string[] = [];
    n.isup.attach('tg', 1, (m) => got.push(m.type));
    const iam = buildIam({ cic: 1, variant: 'itu', called: '123' });
    n.isup.send('tg', { ...iam, natureOfConnection: { ...iam.natureOfConnection, continuityCheck: 1 } });
    await new Promise((r) => setImmediate(r));
    expect(n.link.types()).toEqual(['IAM:1', 'COT:1']);
    expect(got).toEqual(['RSC']);
    n.circuits.release(1, 'c1');
    expect(n.circuits.get(1)?.outOfService).toBe('continuity-recheck');
    n.clock.advance(n.t.T25);
    await new Promise((r) => setImmediate(r));
    expect(n.link.types().slice(2)).toEqual(['CCR:1', 'COT:1']);
    pass = true;
    n.clock.advance(n.t.T26);
    await new Promise((r) => setImmediate(r));
    expect(n.link.types().slice(4)).toEqual(['CCR:1', 'REL:1']);
    n.link.deliver(buildRlc(1));
    expect(n.circuits.get(1)?.outOfService).toBeUndefined();
    expect(n.clock.pending).toBe(0);
  });

  it('T24: a bearer that never answers fails the check', async () => {
    const n = node('itu');
    (n.isup as unknown as { opts: { continuity: unknown } }).opts.continuity = () => new Promise(() => undefined);
    n.circuits.seizeOutgoing('c1');
    const iam = buildIam({ cic: 1, variant: 'itu', called: '123' });
    n.isup.send('tg', { ...iam, natureOfConnection: { ...iam.natureOfConnection, continuityCheck: 1 } });
    n.clock.advance(n.t.T24);
    await new Promise((r) => setImmediate(r));
    const cot = n.link.sent.find((m) => m.type === 'COT') as { continuity: { successful: boolean } };
    expect(cot.continuity.successful).toBe(false);
    n.isup.close();
    expect(n.clock.pending).toBe(0);
  });

  it('resetAll sends GRS in ranges of at most 32 (ITU) and 24 (ANSI) circuits', () => {
    for (const [variant, expected] of [
      ['itu', [31, 31, 5]],
      ['ansi', [23, 23, 21]],
    ] as const) {
      const n = node(variant, 70);
      n.isup.resetAll();
      const grs = n.link.sent.filter((m) => m.type === 'GRS') as RangeMessage[];
      expect(grs.map((m) => m.rangeAndStatus.range)).toEqual(expected);
      expect(grs.map((m) => m.cic)).toEqual(variant === 'itu' ? [1, 33, 65] : [1, 25, 49]);
      expect(n.isup.isAvailable('tg')).toBe(false);
      for (const m of grs) n.link.deliver({ type: 'GRA', cic: m.cic, rangeAndStatus: { range: m.rangeAndStatus.range, status: Buffer.alloc((m.rangeAndStatus.range >> 3) + 1) } });
      expect(n.isup.isAvailable('tg')).toBe(true);
      expect(n.clock.pending).toBe(0);
    }
  });

  it('the link\u2019s resume event resets the circuits toward that destination when asked to', () => {
    const own = 100;
    const clock = new VirtualClock();
    const link = new FarEnd('itu', own, 200);
    const circuits = new CircuitGroup({ id: 'tg', firstCic: 1, count: 4, ownPointCode: own, farPointCode: 200 });
    const isup = new IsupService({ link, ownPointCode: own, networkIndicator: 2, trunkGroups: [{ id: 'tg', variant: 'itu', farPointCode: 200, circuits }], clock, resetOnLinkUp: true });
    link.emit('state', 'sg', 'ASP_ACTIVE');
    link.emit('destination', { pc: 200, available: true });
    expect(link.types()).toEqual(['GRS:1']);
    isup.close();
    expect(clock.pending).toBe(0);
  });
});

describe('hostile input (never a crash, never a hung circuit)', () => {
  it('a malformed IAM gets CFN, an unknown CIC UCIC, garbage a metric; circuits stay idle', async () => {
    const n = node('itu');
    n.link.emit('transfer', { opc: 200, dpc: 100, si: 5, ni: 2, mp: 0, sls: 0, data: Buffer.from([0x02, 0x00, 0x01, 0x00]) });
    n.link.deliver(buildIam({ cic: 99, variant: 'itu', called: '1' }));
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(Array.from({ length: (i % 30) + 1 }, (_, k) => (i * 37 + k * 11) & 0xff));
      expect(() => n.link.emit('transfer', { opc: 200, dpc: 100, si: 5, ni: 2, mp: 0, sls: 0, data: junk })).not.toThrow();
    }
    expect(n.link.types().slice(0, 2)).toEqual(['CFN:2', 'UCIC:99']);
    n.clock.advance(3_600_000);
    // Whatever the junk did (IAMs refused, RSCs answered), every circuit ends idle once the far end answers.
    for (const m of n.link.sent) if (m.type === 'REL' || m.type === 'RSC') n.link.deliver(buildRlc(m.cic));
    await new Promise((r) => setImmediate(r));
    n.isup.close();
    expect(n.circuits.counts()).toMatchObject({ incoming: 0, outgoing: 0 });
  });

  it('a handler that throws is logged, not propagated', () => {
    const n = node('itu');
    n.circuits.seizeIncoming(1, 'x');
    n.isup.attach('tg', 1, () => {
      throw new Error('boom');
    });
    expect(() => n.link.deliver(buildRel(1, 16))).not.toThrow();
  });
});

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { decodeIsup, encodeIsup } from '../../../src/ss7/isup/codec.js';
import { buildIam, buildRel, buildRlc } from '../../../src/ss7/isup/builders.js';
import { isIsupError, type CauseMessage, type IsupMessage, type RangeMessage } from '../../../src/ss7/isup/messages.js';
import { rangeAndStatus } from '../../../src/ss7/isup/params/indicators.js';
import { IsupService } from '../../../src/ss7/isup/service.js';
import type { MtpTransferLink } from '../../../src/ss7/mtp3/transfer.js';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';

const OWN = 0x010101;
const FAR = 0x020202;

/** The far exchange at the other end of an MTP-TRANSFER link, recording what the service sent. */
class FarEnd extends EventEmitter implements MtpTransferLink {
  sent: ProtocolData[] = [];
  reachable = true;
  sendTransfer(pd: ProtocolData): boolean {
    this.sent.push(pd);
    return this.reachable;
  }
  canReach(): boolean {
    return this.reachable;
  }
  deliver(msg: IsupMessage, opc = FAR): void {
    this.emit('transfer', { opc, dpc: OWN, si: 5, ni: 2, mp: 0, sls: msg.cic & 0x1f, data: encodeIsup(msg, 'ansi') });
  }
  deliverRaw(data: Buffer): void {
    this.emit('transfer', { opc: FAR, dpc: OWN, si: 5, ni: 2, mp: 0, sls: 0, data });
  }
  received(): IsupMessage[] {
    return this.sent.map((pd) => {
      const m = decodeIsup(pd.data, 'ansi');
      if (isIsupError(m)) throw new Error(m.detail);
      return m;
    });
  }
}

function setup() {
  const far = new FarEnd();
  const clock = new VirtualClock();
  const circuits = new CircuitGroup({ id: 'tg', firstCic: 1, count: 8, ownPointCode: OWN, farPointCode: FAR });
  const isup = new IsupService({ link: far, ownPointCode: OWN, networkIndicator: 2, trunkGroups: [{ id: 'tg', variant: 'ansi', farPointCode: FAR, circuits }], clock });
  return { far, circuits, isup, clock };
}

describe('ISUP service: circuit supervision and protocol errors', () => {
  it('sends with the routing label of the trunk group and the CIC as SLS', () => {
    const { far, isup } = setup();
    expect(isup.send('tg', buildRel(5, 16))).toBe(true);
    expect(far.sent[0]).toMatchObject({ opc: OWN, dpc: FAR, si: 5, ni: 2, sls: 5 });
  });

  it('answers RSC with RLC and tells the call owning the circuit', () => {
    const { far, isup, circuits } = setup();
    circuits.seizeIncoming(3, 'call');
    const seen: string[] = [];
    isup.attach('tg', 3, (m) => seen.push(m.type));
    far.deliver({ type: 'RSC', cic: 3 });
    expect(seen).toEqual(['RSC']);
    expect(far.received().map((m) => `${m.type}:${m.cic}`)).toEqual(['RLC:3']);
    expect(circuits.get(3)?.call).toBe('idle');
  });

  it('answers GRS with GRA over the range, BLO/UBL with BLA/UBA and blocks the circuit', () => {
    const { far, isup, circuits } = setup();
    far.deliver({ type: 'GRS', cic: 2, rangeAndStatus: { range: 3 } } as IsupMessage);
    far.deliver({ type: 'BLO', cic: 4 });
    expect(circuits.get(4)?.remoteBlocked).toBe(true);
    expect(isup.trunkGroup('tg')!.circuits.seizeOutgoing('x')?.cic).not.toBe(4);
    far.deliver({ type: 'UBL', cic: 4 });
    far.deliver({ type: 'CGB', cic: 1, supervisionType: { kind: 0, other: 0 }, rangeAndStatus: rangeAndStatus([false, true, true]) } as IsupMessage);
    expect([circuits.get(2)?.remoteBlocked, circuits.get(3)?.remoteBlocked]).toEqual([true, true]);
    expect(far.received().map((m) => m.type)).toEqual(['GRA', 'BLA', 'UBA', 'CGBA']);
    const gra = far.received()[0] as RangeMessage;
    expect(gra.rangeAndStatus.range).toBe(3);
  });

  it('answers a REL on an idle circuit with RLC, an unequipped CIC with UCIC, an IAM nobody takes with REL', () => {
    const { far } = setup();
    far.deliver(buildRel(6, 16));
    far.deliver(buildRel(99, 16));
    far.deliver(buildIam({ cic: 7, variant: 'ansi', called: '2125550100' }));
    const got = far.received();
    expect(got.map((m) => `${m.type}:${m.cic}`)).toEqual(['RLC:6', 'UCIC:99', 'REL:7']);
  });

  it('supervises the REL refusing a seizure: circuit busy until RLC, REL repeated on T1, RSC on T5 (itself supervised until RLC)', async () => {
    const { far, circuits, clock } = setup();
    far.deliver(buildIam({ cic: 5, variant: 'ansi', called: '2125550100' }));
    expect(far.received().map((m) => m.type)).toEqual(['REL']);
    expect(circuits.get(5)?.call).toBe('incoming');
    clock.advance(10_000);
    expect(far.received().map((m) => m.type)).toEqual(['REL', 'REL']);
    far.deliver(buildRlc(5));
    await Promise.resolve();
    expect(circuits.get(5)?.call).toBe('idle');
    expect(clock.pending).toBe(0);

    far.deliver(buildIam({ cic: 6, variant: 'ansi', called: '2125550100' }));
    clock.advance(60_000);
    await Promise.resolve();
    expect(far.received().slice(-1)[0].type).toBe('RSC');
    expect(circuits.get(6)?.call).toBe('idle');
    // The RSC is supervised (T16/T17): the circuit takes no call until its RLC.
    expect(circuits.get(6)?.outOfService).toBe('reset-pending');
    far.deliver(buildRlc(6));
    expect(circuits.get(6)?.outOfService).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('answers an unrecognised message type with CFN cause 97 and never throws on garbage', () => {
    const { far } = setup();
    far.deliverRaw(Buffer.from([0x05, 0x00, 0xee, 0x00]));
    const cfn = far.received()[0] as CauseMessage;
    expect(cfn.type).toBe('CFN');
    expect(cfn.cause.cause).toBe(97);
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: (i % 40) + 1 }, (_, k) => (i * 31 + k * 17) & 0xff));
      expect(() => far.deliverRaw(junk)).not.toThrow();
    }
  });

  it('drops MSUs that are not ISUP, not for us, or from an unknown point code', () => {
    const { far } = setup();
    far.emit('transfer', { opc: FAR, dpc: OWN, si: 3, ni: 2, mp: 0, sls: 0, data: Buffer.from([1, 2, 3]) });
    far.emit('transfer', { opc: FAR, dpc: 0x777777, si: 5, ni: 2, mp: 0, sls: 0, data: encodeIsup(buildRel(1, 16), 'ansi') });
    far.deliver(buildRel(1, 16), 0x030303);
    expect(far.sent).toHaveLength(0);
  });
});

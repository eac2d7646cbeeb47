import { afterEach, describe, expect, it } from 'vitest';
import { M3uaAsp } from '../../../src/ss7/m3ua/asp.js';
import { M3uaLinkset } from '../../../src/ss7/m3ua/linkset.js';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { M3uaSg, type SgTransferMeta } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';

const pd = (sls: number, dpc = 500): ProtocolData => ({ opc: 23, dpc, si: 5, ni: 2, mp: 0, sls, data: Buffer.from([sls]) });

let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

async function twoSgs() {
  const clock = new VirtualClock();
  const sgs = [0, 1].map(() => new M3uaSg({ clock, ases: [{ routingContext: 1023 }] }));
  const ends = sgs.map((sg) => {
    const [a, s] = associationPair();
    assocs.push(a, s);
    sg.addAssociation(s);
    return a;
  });
  const linkset = new M3uaLinkset(ends.map((a) => new M3uaAsp({ association: a, clock, routingContexts: [1023] })));
  const events: string[] = [];
  linkset.on('available', () => events.push('available'));
  linkset.on('unavailable', () => events.push('unavailable'));
  linkset.start();
  ends.forEach((a) => a.connect());
  await settle(20);
  const got: number[][] = [[], []];
  sgs.forEach((sg, i) => sg.on('transfer', (p: ProtocolData, _m: SgTransferMeta) => got[i].push(p.sls)));
  return { sgs, ends, linkset, events, got, clock };
}

describe('M3uaLinkset', () => {
  it('spreads by SLS over both SGs and fails over when one association goes down', async () => {
    const { ends, linkset, events, got } = await twoSgs();
    expect(events).toEqual(['available']);
    for (let i = 0; i < 16; i++) expect(linkset.sendTransfer(pd(i))).toBe(true);
    await settle();
    expect(got[0].length).toBe(8);
    expect(got[1].length).toBe(8);
    ends[0].abort();
    await settle();
    expect(linkset.available).toBe(true);
    for (let i = 0; i < 16; i++) linkset.sendTransfer(pd(i));
    await settle();
    expect(got[1].length).toBe(24);
    ends[1].abort();
    await settle();
    expect(events).toEqual(['available', 'unavailable']);
    expect(linkset.sendTransfer(pd(0))).toBe(false);
  });

  it('prefers the ASP whose SG reaches the destination', async () => {
    const { sgs, linkset, got } = await twoSgs();
    sgs[0].setDestination(500, false);
    await settle();
    expect(linkset.isAvailable(500)).toBe(true);
    for (let i = 0; i < 8; i++) linkset.sendTransfer(pd(i));
    await settle();
    expect(got[0]).toEqual([]);
    expect(got[1].length).toBe(8);
    sgs[1].setDestination(500, false);
    await settle();
    expect(linkset.isAvailable(500)).toBe(false);
  });
});

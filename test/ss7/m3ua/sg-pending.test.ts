/**
 * SG side: DATA toward an AS in AS-PENDING is held (bounded) while T(r) runs, delivered to the first
 * ASP that becomes active, and discarded with a count when T(r) expires (RFC 4666 §4.3.2, §4.3.4.3).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { Registry } from 'prom-client';
import { m3uaMetrics } from '../../../src/ss7/m3ua/metrics.js';
import { M3uaSg, type M3uaSgOptions } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const RC = 1023;
const pd = (n: number): ProtocolData => ({ opc: 23, dpc: 55, si: 5, ni: 2, mp: 0, sls: n & 15, data: Buffer.from([n >> 8, n & 255]) });

let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

const registry = new Registry();

async function outcome(name: string): Promise<number> {
  return (await m3uaMetrics(registry).m3uaPendingTransfers.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0;
}

async function raw(sg: M3uaSg) {
  const [a, s] = associationPair();
  assocs.push(a, s);
  sg.addAssociation(s);
  const peer = new RawPeer(a);
  a.connect();
  await settle();
  const up = async () => {
    peer.send({ type: 'ASPUP' });
    await settle();
  };
  const activate = async () => {
    peer.send({ type: 'ASPAC', routingContext: [RC] });
    await settle();
  };
  return { peer, a, up, activate };
}

/** One ASP active, then deactivated: the AS is AS-PENDING with T(r) running. */
async function pendingAs(o: Partial<M3uaSgOptions> = {}) {
  const clock = new VirtualClock();
  const sg = new M3uaSg({ clock, recoveryMs: 2000, ases: [{ routingContext: RC }], registry, ...o });
  const first = await raw(sg);
  await first.up();
  await first.activate();
  first.peer.send({ type: 'ASPIA', routingContext: [RC] });
  await settle();
  expect(sg.asState(RC)).toBe('AS_PENDING');
  first.peer.inbox.length = 0;
  return { clock, sg, first };
}

describe('SG: DATA held while AS-PENDING', () => {
  it('holds DATA during T(r) and delivers it, in order, to the first ASP to become active', async () => {
    const { sg, clock, first } = await pendingAs();
    const second = await raw(sg);
    await second.up();
    second.peer.inbox.length = 0;
    const delivered = await outcome('delivered');
    for (let i = 0; i < 3; i++) expect(sg.sendTransfer(pd(i), RC)).toBe(true);
    expect(sg.pendingTransfers(RC)).toBe(3);
    clock.advance(1500);
    await settle();
    expect(second.peer.count('DATA')).toBe(0);
    await second.activate();
    expect(sg.asState(RC)).toBe('AS_ACTIVE');
    expect(second.peer.types()).toEqual(['ASPAC_ACK', 'NTFY', 'DATA', 'DATA', 'DATA']);
    expect(second.peer.inbox.filter((e) => e.msg.type === 'DATA').map((e) => (e.msg as { protocolData: ProtocolData }).protocolData)).toEqual([pd(0), pd(1), pd(2)]);
    expect(first.peer.count('DATA')).toBe(0);
    expect(sg.pendingTransfers(RC)).toBe(0);
    expect((await outcome('delivered')) - delivered).toBe(3);
  });

  it('the same ASP coming back within T(r) gets the held DATA', async () => {
    const { sg, first } = await pendingAs();
    sg.sendTransfer(pd(7), RC);
    await first.activate();
    expect(first.peer.types()).toEqual(['ASPAC_ACK', 'NTFY', 'DATA']);
  });

  it('discards the held DATA with a count when T(r) expires; nothing arrives later', async () => {
    const { sg, clock, first } = await pendingAs();
    const expired = await outcome('expired');
    for (let i = 0; i < 4; i++) sg.sendTransfer(pd(i), RC);
    clock.advance(2000);
    await settle();
    expect(sg.asState(RC)).toBe('AS_INACTIVE');
    expect(sg.pendingTransfers(RC)).toBe(0);
    expect((await outcome('expired')) - expired).toBe(4);
    expect(sg.sendTransfer(pd(9), RC)).toBe(false);
    await first.activate();
    expect(sg.asState(RC)).toBe('AS_ACTIVE');
    expect(first.peer.count('DATA')).toBe(0);
  });

  it('the queue is bounded: beyond the limit sendTransfer refuses and counts an overflow', async () => {
    const { sg } = await pendingAs({ pendingQueueLimit: 5 });
    const overflow = await outcome('overflow');
    const results = Array.from({ length: 7 }, (_, i) => sg.sendTransfer(pd(i), RC));
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(sg.pendingTransfers(RC)).toBe(5);
    expect((await outcome('overflow')) - overflow).toBe(2);
  });

  it('default limit is 1000 MSUs', async () => {
    const { sg } = await pendingAs();
    let accepted = 0;
    for (let i = 0; i < 1200; i++) if (sg.sendTransfer(pd(i), RC)) accepted++;
    expect(accepted).toBe(1000);
  });
});

/**
 * ASP-side destination audit (RFC 4666 §4.5.3: an ASP may send DAUD) after each activation, the
 * reset of destination state on ASP-DOWN, and SCON without Congestion Indications.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { M3uaAsp, type M3uaAspOptions } from '../../../src/ss7/m3ua/asp.js';
import type { DestinationChange } from '../../../src/ss7/m3ua/destinations.js';
import { M3uaSg } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const RC = 1055;
let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

async function setup(o: Partial<M3uaAspOptions> = {}) {
  const [a, s] = associationPair();
  assocs.push(a, s);
  const sg = new RawPeer(s);
  const asp = new M3uaAsp({ association: a, clock: new VirtualClock(), routingContexts: [RC], ...o });
  asp.start();
  a.connect();
  await settle();
  const activate = async () => {
    sg.take('ASPUP');
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    sg.take('ASPAC');
    sg.send({ type: 'ASPAC_ACK', routingContext: [RC] });
    await settle();
  };
  return { a, sg, asp, activate };
}

describe('DAUD from the ASP', () => {
  it('audits the configured point codes once ASP-ACTIVE and applies the answers; again after a restart', async () => {
    const { a, sg, asp, activate } = await setup({ auditPointCodes: [23, 24], networkAppearance: 8 });
    sg.take('ASPUP');
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    expect(sg.count('DAUD')).toBe(0);
    sg.take('ASPAC');
    sg.send({ type: 'ASPAC_ACK', routingContext: [RC] });
    await settle();
    const daud = sg.take('DAUD');
    expect(daud).toEqual({ type: 'DAUD', networkAppearance: 8, routingContext: [RC], affectedPointCodes: [{ mask: 0, pc: 23 }, { mask: 0, pc: 24 }] });
    sg.send({ type: 'DUNA', routingContext: [RC], affectedPointCodes: [{ mask: 0, pc: 24 }] });
    sg.send({ type: 'DAVA', routingContext: [RC], affectedPointCodes: [{ mask: 0, pc: 23 }] });
    await settle();
    expect(asp.destinations.isAvailable(24)).toBe(false);
    expect(asp.destinations.isAvailable(23)).toBe(true);

    const changes: DestinationChange[] = [];
    asp.on('destination', (c: DestinationChange) => changes.push(c));
    sg.inbox.length = 0;
    a.restart();
    await settle();
    // ASP-DOWN: unknown again, which counts as available
    expect(asp.state).toBe('ASP_DOWN');
    expect(asp.destinations.isAvailable(24)).toBe(true);
    expect(changes.filter((c) => c.cause === 'RESET').map((c) => c.pc).sort()).toEqual([23, 24]);
    await activate();
    expect(sg.take('DAUD').affectedPointCodes.map((p) => p.pc)).toEqual([23, 24]);
  });

  it('no DAUD without auditPointCodes; long lists are split into DAUDs of 64 point codes', async () => {
    const none = await setup();
    await none.activate();
    expect(none.sg.count('DAUD')).toBe(0);
    const many = await setup({ auditPointCodes: Array.from({ length: 130 }, (_, i) => 1000 + i) });
    await many.activate();
    const sizes = [many.sg.take('DAUD'), many.sg.take('DAUD'), many.sg.take('DAUD')].map((d) => d.affectedPointCodes.length);
    expect(sizes).toEqual([64, 64, 2]);
    expect(many.sg.count('DAUD')).toBe(0);
  });

  it('against M3uaSg: a point code the SG already knows unreachable is learned at activation', async () => {
    const clock = new VirtualClock();
    const sg = new M3uaSg({ clock, ases: [{ routingContext: RC }] });
    sg.setDestination(24, false);
    const [a, s] = associationPair();
    assocs.push(a, s);
    sg.addAssociation(s);
    const asp = new M3uaAsp({ association: a, clock, routingContexts: [RC], auditPointCodes: [23, 24] });
    asp.start();
    a.connect();
    await settle(20);
    expect(asp.state).toBe('ASP_ACTIVE');
    expect(asp.destinations.isAvailable(24)).toBe(false);
    expect(asp.destinations.isAvailable(23)).toBe(true);
  });
});

describe('SCON', () => {
  it('without Congestion Indications means congestion level 1 (RFC 4666 §3.4.4)', async () => {
    const { sg, asp, activate } = await setup();
    await activate();
    sg.send({ type: 'SCON', routingContext: [RC], affectedPointCodes: [{ mask: 0, pc: 77 }] });
    sg.send({ type: 'SCON', routingContext: [RC], affectedPointCodes: [{ mask: 0, pc: 78 }], congestionLevel: 3 });
    await settle();
    expect(asp.destinations.congestionLevel(77)).toBe(1);
    expect(asp.destinations.congestionLevel(78)).toBe(3);
    expect(asp.destinations.isAvailable(77)).toBe(true);
  });
});

/**
 * SG side for a cluster of switch nodes as ASPs of one AS in loadshare: the SG picks the ASP for
 * each MSU by its content (the ISUP CIC's owner), sends nothing for a CIC whose owner is not
 * active, and takes an ASP that falls silent (no DATA, no BEAT) for aspSilenceMs as down — the
 * other ASP keeps the AS active. Virtual time, in-memory associations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { TrafficMode } from '../../../src/ss7/m3ua/constants.js';
import { M3uaSg } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const RC = 7;
/** An MSU whose ISUP part starts with the CIC (little-endian), as every ISUP message does. */
const msu = (cic: number): ProtocolData => ({ opc: 2, dpc: 1, si: 5, ni: 2, mp: 0, sls: cic & 15, data: Buffer.from([cic & 0xff, cic >> 8, 0x01]) });

let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

async function activeAsp(sg: M3uaSg) {
  const [a, s] = associationPair();
  assocs.push(a, s);
  const id = sg.addAssociation(s);
  const peer = new RawPeer(a);
  a.connect();
  await settle();
  peer.send({ type: 'ASPUP' });
  await settle();
  peer.send({ type: 'ASPAC', trafficMode: TrafficMode.LOADSHARE, routingContext: [RC] });
  await settle();
  peer.inbox.length = 0;
  return { id, peer };
}

describe('SG: one AS, several nodes, CIC ranges', () => {
  it('sends each circuit\'s messages to the ASP owning its CIC, and nowhere when that ASP is down', async () => {
    const clock = new VirtualClock();
    const owner = new Map<string, (cic: number) => boolean>();
    const sg = new M3uaSg({
      clock,
      ases: [{ routingContext: RC, trafficMode: TrafficMode.LOADSHARE }],
      aspSilenceMs: 3000,
      selectAsp: (pd, active) => active.find((id) => owner.get(id)?.((pd.data[0] | (pd.data[1] << 8)) & 0x3fff)),
    });
    const n1 = await activeAsp(sg);
    const n2 = await activeAsp(sg);
    owner.set(n1.id, (c) => c <= 12);
    owner.set(n2.id, (c) => c > 12);
    expect(sg.asState(RC)).toBe('AS_ACTIVE');
    for (const cic of [1, 5, 12, 13, 20, 24]) expect(sg.sendTransfer(msu(cic), RC)).toBe(true);
    await settle();
    const cicsAt = (p: RawPeer) => p.inbox.flatMap((e) => (e.msg.type === 'DATA' ? [e.msg.protocolData.data.readUInt16LE(0)] : []));
    expect(cicsAt(n1.peer)).toEqual([1, 5, 12]);
    expect(cicsAt(n2.peer)).toEqual([13, 20, 24]);

    // n2 falls silent; n1 keeps sending BEATs. Past aspSilenceMs n2 is down, the AS stays active.
    for (let t = 0; t < 4; t++) {
      n1.peer.send({ type: 'BEAT', heartbeatData: Buffer.from([t]) });
      await settle();
      clock.advance(1000);
      await settle();
    }
    expect(sg.aspState(n2.id)).toBe('ASP_DOWN');
    expect(sg.aspState(n1.id)).toBe('ASP_ACTIVE');
    expect(sg.asState(RC)).toBe('AS_ACTIVE');
    n1.peer.inbox.length = 0;
    expect(sg.sendTransfer(msu(20), RC)).toBe(false);
    expect(sg.sendTransfer(msu(3), RC)).toBe(true);
    await settle();
    expect(cicsAt(n1.peer)).toEqual([3]);
    sg.close();
  });

  it('without a selector, loadshare picks the ASP by SLS as before', async () => {
    const sg = new M3uaSg({ clock: new VirtualClock(), ases: [{ routingContext: RC, trafficMode: TrafficMode.LOADSHARE }] });
    const a = await activeAsp(sg);
    const b = await activeAsp(sg);
    for (let sls = 0; sls < 4; sls++) sg.sendTransfer({ ...msu(1), sls }, RC);
    await settle();
    expect(a.peer.count('DATA') + b.peer.count('DATA')).toBe(4);
    expect(a.peer.count('DATA')).toBe(2);
  });
});

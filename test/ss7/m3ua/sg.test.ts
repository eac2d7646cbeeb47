/**
 * M3uaAsp <-> M3uaSg end to end over in-memory associations, and the SG side's network
 * management after osmo-ttcn3-hacks TC_ssnm_* and TC_inaccessible_sp_duna.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { M3uaAsp, type M3uaAspOptions } from '../../../src/ss7/m3ua/asp.js';
import { AsStateInfo, ErrorCode, StatusType, TrafficMode } from '../../../src/ss7/m3ua/constants.js';
import type { DestinationChange } from '../../../src/ss7/m3ua/destinations.js';
import type { NotifyStatus, ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { M3uaSg, type M3uaSgOptions, type SgTransferMeta } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const pd = (dpc: number, opc: number, sls = 0): ProtocolData => ({ opc, dpc, si: 5, ni: 2, mp: 0, sls, data: Buffer.from([sls, 0, 1]) });

let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

function makeSg(o: Partial<M3uaSgOptions> = {}) {
  const clock = new VirtualClock();
  const sg = new M3uaSg({ clock, ases: [{ routingContext: 1023, pointCodes: [23] }], ...o });
  return { clock, sg };
}

async function attachAsp(sg: M3uaSg, clock: VirtualClock, o: Partial<M3uaAspOptions> = {}, members?: number[]) {
  const [a, s] = associationPair();
  assocs.push(a, s);
  const id = sg.addAssociation(s, { routingContexts: members });
  const asp = new M3uaAsp({ association: a, clock, routingContexts: [1023], ...o });
  const notes: NotifyStatus[] = [];
  asp.on('notify', (st: NotifyStatus) => notes.push(st));
  asp.start();
  a.connect();
  await settle(20);
  return { asp, id, a, s, notes };
}

async function attachRaw(sg: M3uaSg, members?: number[]) {
  const [a, s] = associationPair();
  assocs.push(a, s);
  const id = sg.addAssociation(s, { routingContexts: members });
  const peer = new RawPeer(a);
  a.connect();
  await settle();
  return { peer, id, a };
}

describe('M3UA ASP <-> SG end to end', () => {
  it('brings the ASP active with NTFY AS-INACTIVE then AS-ACTIVE, and carries DATA both ways', async () => {
    const { sg, clock } = makeSg();
    const { asp, notes } = await attachAsp(sg, clock);
    expect(asp.state).toBe('ASP_ACTIVE');
    expect(sg.asState(1023)).toBe('AS_ACTIVE');
    expect(notes).toEqual([
      { type: StatusType.AS_STATE_CHANGE, info: AsStateInfo.AS_INACTIVE },
      { type: StatusType.AS_STATE_CHANGE, info: AsStateInfo.AS_ACTIVE },
    ]);
    const atSg: Array<[ProtocolData, SgTransferMeta]> = [];
    sg.on('transfer', (p: ProtocolData, m: SgTransferMeta) => atSg.push([p, m]));
    const atAsp: ProtocolData[] = [];
    asp.on('transfer', (p: ProtocolData) => atAsp.push(p));
    for (let i = 0; i < 20; i++) expect(asp.sendTransfer(pd(100, 23, i))).toBe(true);
    for (let i = 0; i < 20; i++) expect(sg.sendTransfer(pd(23, 100, i), 1023)).toBe(true);
    await settle();
    expect(atSg.map(([p]) => p.sls)).toEqual([...Array(20).keys()]);
    expect(atSg[0][1].routingContext).toBe(1023);
    expect(atAsp.map((p) => p.sls)).toEqual([...Array(20).keys()]);
  });

  it('goes AS-PENDING on the last ASPIA and AS-DOWN after T(r) once no ASP is up (RFC 4666 §4.3.2)', async () => {
    const { sg, clock } = makeSg({ recoveryMs: 2000 });
    const { asp, a, notes } = await attachAsp(sg, clock);
    a.on('message', () => undefined);
    const stopping = asp.stop();
    await settle(20);
    await stopping;
    expect(sg.asState(1023)).toBe('AS_PENDING');
    clock.advance(1999);
    expect(sg.asState(1023)).toBe('AS_PENDING');
    clock.advance(1);
    expect(sg.asState(1023)).toBe('AS_DOWN');
    expect(notes.at(-1)).toEqual({ type: StatusType.AS_STATE_CHANGE, info: AsStateInfo.AS_PENDING });
  });

  it('recovers within T(r): a second ASP activating brings the AS back to AS-ACTIVE', async () => {
    const { sg, clock } = makeSg({ recoveryMs: 2000 });
    const first = await attachAsp(sg, clock);
    const second = await attachAsp(sg, clock);
    expect(second.asp.state).toBe('ASP_ACTIVE');
    expect(first.asp.state).toBe('ASP_INACTIVE');
    expect(first.notes.at(-1)).toEqual({ type: StatusType.OTHER, info: 2 });
    second.a.abort();
    await settle();
    expect(sg.asState(1023)).toBe('AS_PENDING');
    clock.advance(3000);
    expect(sg.asState(1023)).toBe('AS_INACTIVE');
  });

  it('loadshares by SLS over two active ASPs, one SLS always on the same ASP', async () => {
    const { sg, clock } = makeSg({ ases: [{ routingContext: 1042, trafficMode: TrafficMode.LOADSHARE }] });
    const o = { routingContexts: [1042], trafficMode: TrafficMode.LOADSHARE };
    const x = await attachAsp(sg, clock, o);
    const y = await attachAsp(sg, clock, o);
    expect([x.asp.state, y.asp.state]).toEqual(['ASP_ACTIVE', 'ASP_ACTIVE']);
    const got = { x: [] as number[], y: [] as number[] };
    x.asp.on('transfer', (p: ProtocolData) => got.x.push(p.sls));
    y.asp.on('transfer', (p: ProtocolData) => got.y.push(p.sls));
    for (let i = 0; i < 32; i++) sg.sendTransfer(pd(42, 23, i % 16));
    await settle();
    expect(got.x.length).toBeGreaterThan(0);
    expect(got.y.length).toBeGreaterThan(0);
    expect(got.x.length + got.y.length).toBe(32);
    expect(got.x.filter((s) => got.y.includes(s))).toEqual([]);
  });

  it('broadcasts to every active ASP', async () => {
    const { sg, clock } = makeSg({ ases: [{ routingContext: 1042, trafficMode: TrafficMode.BROADCAST }] });
    const o = { routingContexts: [1042], trafficMode: TrafficMode.BROADCAST };
    const x = await attachAsp(sg, clock, o);
    const y = await attachAsp(sg, clock, o);
    let n = 0;
    x.asp.on('transfer', () => n++);
    y.asp.on('transfer', () => n++);
    for (let i = 0; i < 10; i++) sg.sendTransfer(pd(42, 23, i));
    await settle();
    expect(n).toBe(20);
  });

  it('refuses ASPAC for an unknown routing context and an unsupported traffic mode', async () => {
    const { sg, clock } = makeSg({ ases: [{ routingContext: 1023, trafficMode: TrafficMode.OVERRIDE }] });
    const { peer } = await attachRaw(sg);
    peer.send({ type: 'ASPAC', routingContext: [1023] });
    peer.send({ type: 'ASPUP' });
    peer.send({ type: 'ASPAC', routingContext: [9] });
    peer.send({ type: 'ASPAC', routingContext: [1023], trafficMode: TrafficMode.LOADSHARE });
    peer.send({ type: 'DATA', routingContext: [1023], protocolData: pd(1, 2) });
    await settle();
    const codes = peer.inbox.filter((e) => e.msg.type === 'ERR').map((e) => (e.msg as { errorCode: number }).errorCode);
    expect(codes).toEqual([ErrorCode.UNEXPECTED_MESSAGE, ErrorCode.INVALID_ROUTING_CONTEXT, ErrorCode.UNSUPPORTED_TRAFFIC_MODE, ErrorCode.UNEXPECTED_MESSAGE]);
    void clock;
  });
});

describe('M3UA signalling network management (osmo-ttcn3-hacks TC_ssnm_*)', () => {
  const twoAs = { ases: [{ routingContext: 1023, pointCodes: [23] }, { routingContext: 1042, pointCodes: [42] }] };

  it('TC_ssnm_aspac_dava_aspia_duna: another AS becoming active/inactive yields DAVA/DUNA for its point code', async () => {
    const { sg, clock } = makeSg(twoAs);
    const first = await attachAsp(sg, clock, { routingContexts: [1023] }, [1023]);
    const changes: DestinationChange[] = [];
    first.asp.on('destination', (c: DestinationChange) => changes.push(c));
    const second = await attachAsp(sg, clock, { routingContexts: [1042], trafficMode: TrafficMode.OVERRIDE }, [1042]);
    expect(second.asp.state).toBe('ASP_ACTIVE');
    expect(changes.map((c) => [c.cause, c.pc, c.available])).toEqual([['DAVA', 42, true]]);
    second.a.on('message', () => undefined);
    await second.asp.stop();
    await settle();
    expect(changes.map((c) => [c.cause, c.pc, c.available])).toEqual([
      ['DAVA', 42, true],
      ['DUNA', 42, false],
    ]);
    expect(first.asp.destinations.isAvailable(42)).toBe(false);
  });

  it('TC_ssnm_distribution_dava_duna: DUNA then DAVA from the SG update the ASP destination table', async () => {
    const { sg, clock } = makeSg();
    const { asp } = await attachAsp(sg, clock);
    expect(sg.sendSsnm({ type: 'DUNA', affectedPointCodes: [{ mask: 0, pc: 1234 }, { mask: 0, pc: 5678 }] }, 1023)).toBe(1);
    await settle();
    expect(asp.destinations.isAvailable(1234)).toBe(false);
    expect(asp.destinations.isAvailable(5678)).toBe(false);
    sg.sendSsnm({ type: 'DAVA', affectedPointCodes: [{ mask: 0, pc: 1234 }] }, 1023);
    await settle();
    expect(asp.destinations.isAvailable(1234)).toBe(true);
    expect(asp.destinations.isAvailable(5678)).toBe(false);
  });

  it('TC_ssnm_distribution_dupu: DUPU marks the user part unavailable at that point code', async () => {
    const { sg, clock } = makeSg();
    const { asp } = await attachAsp(sg, clock);
    sg.sendSsnm({ type: 'DUPU', affectedPointCodes: [{ mask: 0, pc: 1234 }], userCause: { cause: 1, user: 5 } });
    await settle();
    expect(asp.destinations.isAvailable(1234)).toBe(true);
    expect(asp.destinations.isUserAvailable(1234, 5)).toBe(false);
    expect(asp.destinations.isUserAvailable(1234, 3)).toBe(true);
  });

  it('TC_ssnm_distribution_scon: SCON sets the congestion level; DAVA clears it', async () => {
    const { sg, clock } = makeSg();
    const { asp } = await attachAsp(sg, clock);
    sg.sendSsnm({ type: 'SCON', affectedPointCodes: [{ mask: 0, pc: 1234 }], congestionLevel: 2 });
    await settle();
    expect(asp.destinations.congestionLevel(1234)).toBe(2);
    sg.sendSsnm({ type: 'DAVA', affectedPointCodes: [{ mask: 0, pc: 1234 }] });
    await settle();
    expect(asp.destinations.congestionLevel(1234)).toBe(0);
  });

  it('TC_inaccessible_sp_duna: DATA toward a point code the SG cannot reach is answered with DUNA', async () => {
    const { sg, clock } = makeSg();
    const { asp } = await attachAsp(sg, clock);
    let delivered = 0;
    sg.on('transfer', () => delivered++);
    sg.setDestination(777, false);
    await settle();
    asp.destinations.reset();
    expect(asp.destinations.isAvailable(777)).toBe(true);
    asp.sendTransfer(pd(777, 23));
    await settle();
    expect(delivered).toBe(0);
    expect(asp.destinations.isAvailable(777)).toBe(false);
  });

  it('answers DAUD from the ASP with the SG view (RFC 4666 §4.5.3)', async () => {
    const { sg } = makeSg();
    const { peer } = await attachRaw(sg);
    sg.setDestination(5, false);
    peer.send({ type: 'ASPUP' });
    peer.send({ type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: 4 }, { mask: 0, pc: 5 }] });
    await settle();
    expect(peer.take('DAVA').affectedPointCodes).toEqual([{ mask: 0, pc: 4 }]);
    expect(peer.take('DUNA').affectedPointCodes).toEqual([{ mask: 0, pc: 5 }]);
  });
});

/**
 * The ASP role, one test per osmo-ttcn3-hacks STP_Tests_M3UA TC_clnt_* behaviour: the test plays
 * the SG with raw messages over an in-memory association, M3uaAsp is the implementation under test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { M3uaAsp, type M3uaAspOptions, type TransferMeta } from '../../../src/ss7/m3ua/asp.js';
import { AsStateInfo, ErrorCode, StatusType, TrafficMode } from '../../../src/ss7/m3ua/constants.js';
import type { ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { associationPair, settle } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const RC = 1055;
const PC = 55;
const pdTo = (dpc: number, opc: number, sls = 0): ProtocolData => ({ opc, dpc, si: 3, ni: 2, mp: 0, sls, data: Buffer.from([1, 2, 3, sls]) });

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

async function setup(opts: Partial<M3uaAspOptions> = {}) {
  const clock = new VirtualClock();
  const [a, s] = associationPair();
  const sg = new RawPeer(s);
  const asp = new M3uaAsp({ association: a, clock, routingContexts: [RC], ackTimeoutMs: 2000, localPointCodes: [PC], ...opts });
  asp.start();
  a.connect();
  await settle();
  cleanup.push(async () => {
    a.abort();
    await settle();
  });
  return { clock, a, s, sg, asp };
}

/** SG side of ASPUP (+ NTFY AS-INACTIVE) and ASPAC (+ NTFY AS-ACTIVE), as f_M3UA_CLNT_asp_up_act. */
async function clntUpAct(sg: RawPeer, rc: number[] | undefined, notify = true) {
  sg.take('ASPUP');
  sg.drop('ASPUP');
  sg.send({ type: 'ASPUP_ACK' });
  if (notify) sg.send({ type: 'NTFY', status: { type: StatusType.AS_STATE_CHANGE, info: AsStateInfo.AS_INACTIVE }, routingContext: rc });
  await settle();
  const aspac = sg.take('ASPAC');
  expect(aspac.routingContext).toEqual(rc);
  sg.send({ type: 'ASPAC_ACK', trafficMode: aspac.trafficMode, routingContext: rc });
  if (notify) sg.send({ type: 'NTFY', status: { type: StatusType.AS_STATE_CHANGE, info: AsStateInfo.AS_ACTIVE }, routingContext: rc });
  await settle();
  return aspac;
}

describe('M3UA ASP role (osmo-ttcn3-hacks TC_clnt_*)', () => {
  it('TC_clnt_connect_asp_up: ASPUP after the association comes up, retransmitted on T(ack)', async () => {
    const { sg, asp, clock } = await setup({ aspIdentifier: 7 });
    expect(sg.take('ASPUP').aspIdentifier).toBe(7);
    clock.advance(2000);
    await settle();
    expect(sg.count('ASPUP')).toBe(1);
    sg.drop('ASPUP');
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    expect(asp.state).toBe('ASP_INACTIVE');
  });

  it('TC_clnt_asp_act: ASPUP then ASPAC with the routing context, ACTIVE after the ACK', async () => {
    const { sg, asp } = await setup();
    const states: string[] = [];
    asp.on('state', (to: string) => states.push(to));
    await clntUpAct(sg, [RC]);
    expect(asp.state).toBe('ASP_ACTIVE');
    expect(states).toEqual(['ASP_INACTIVE', 'ASP_ACTIVE']);
  });

  it('TC_clnt_asp_act_tmt_loadshare: ASPAC carries Traffic Mode Type loadshare', async () => {
    const { sg, asp } = await setup({ trafficMode: TrafficMode.LOADSHARE });
    const aspac = await clntUpAct(sg, [RC]);
    expect(aspac.trafficMode).toBe(TrafficMode.LOADSHARE);
    expect(asp.state).toBe('ASP_ACTIVE');
  });

  it('TC_clnt_beat_timeout: unanswered BEATs take the association down', async () => {
    const { sg, asp, clock } = await setup({ beatIntervalMs: 1000, beatMaxMissed: 3 });
    await clntUpAct(sg, [RC]);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await settle();
    }
    expect(sg.count('BEAT')).toBe(3);
    expect(asp.state).toBe('ASP_ACTIVE');
    clock.advance(1000);
    await settle();
    expect(asp.state).toBe('ASP_DOWN');
    expect(sg.downReason).toMatch(/ABORT/);
  });

  it('TC_clnt_beat_timeout (answered): BEAT ACKs keep the ASP active', async () => {
    const { sg, asp, clock } = await setup({ beatIntervalMs: 1000, beatMaxMissed: 2 });
    await clntUpAct(sg, [RC]);
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await settle();
      const beat = sg.take('BEAT');
      sg.send({ type: 'BEAT_ACK', heartbeatData: beat.heartbeatData });
      await settle();
    }
    expect(asp.state).toBe('ASP_ACTIVE');
  });

  it('TC_clnt_beat_disabled: no BEAT at all when the interval is 0', async () => {
    const { sg, asp, clock } = await setup({ beatIntervalMs: 0 });
    await clntUpAct(sg, [RC]);
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      await settle(2);
    }
    expect(sg.count('BEAT')).toBe(0);
    expect(asp.state).toBe('ASP_ACTIVE');
  });

  it('answers a BEAT from the SG with the same Heartbeat Data (RFC 4666 §4.3.4.6)', async () => {
    const { sg } = await setup();
    await clntUpAct(sg, [RC]);
    sg.send({ type: 'BEAT', heartbeatData: Buffer.from('a1a2a3a4a5', 'hex') });
    await settle();
    expect(sg.take('BEAT_ACK').heartbeatData).toEqual(Buffer.from('a1a2a3a4a5', 'hex'));
  });

  it('TC_clnt_sg_to_asp: DATA from the SG reaches the user with its label and data', async () => {
    const { sg, asp } = await setup();
    await clntUpAct(sg, [RC]);
    const got: Array<[ProtocolData, TransferMeta]> = [];
    asp.on('transfer', (pd: ProtocolData, meta: TransferMeta) => got.push([pd, meta]));
    const pd = pdTo(PC, 23);
    sg.send({ type: 'DATA', routingContext: [RC], protocolData: pd }, 1);
    await settle();
    expect(got).toHaveLength(1);
    expect(got[0][0]).toEqual(pd);
    expect(got[0][1]).toMatchObject({ routingContext: RC, stream: 1 });
  });

  it('TC_clnt_asp_to_sg: sendTransfer emits DATA with the routing context on a non-zero stream', async () => {
    const { sg, asp } = await setup();
    expect(asp.sendTransfer(pdTo(23, PC))).toBe(false);
    await clntUpAct(sg, [RC]);
    const pd = pdTo(23, PC, 5);
    expect(asp.sendTransfer(pd)).toBe(true);
    await settle();
    const e = sg.inbox.find((x) => x.msg.type === 'DATA')!;
    expect(e.msg).toEqual({ type: 'DATA', routingContext: [RC], protocolData: pd });
    expect(e.stream).toBeGreaterThan(0);
  });

  it('TC_clnt_sg_to_asp_norctx: without routing contexts, DATA without RC is accepted', async () => {
    const { sg, asp } = await setup({ routingContexts: undefined });
    await clntUpAct(sg, undefined);
    const got: ProtocolData[] = [];
    asp.on('transfer', (pd: ProtocolData) => got.push(pd));
    sg.send({ type: 'DATA', protocolData: pdTo(60, 23) });
    sg.send({ type: 'DATA', protocolData: pdTo(61, 23) });
    await settle();
    expect(got.map((p) => p.dpc)).toEqual([60, 61]);
  });

  it('TC_clnt_asp_to_sg_norctx: without routing contexts, DATA goes out without RC', async () => {
    const { sg, asp } = await setup({ routingContexts: undefined });
    await clntUpAct(sg, undefined);
    asp.sendTransfer(pdTo(23, 60));
    await settle();
    const d = sg.take('DATA');
    expect(d.routingContext).toBeUndefined();
    expect(d.protocolData.opc).toBe(60);
  });

  it('TC_clnt_quirk_no_notify_asp_act: ACTIVE without any NTFY from the SG', async () => {
    const { sg, asp } = await setup();
    await clntUpAct(sg, [RC], false);
    expect(asp.state).toBe('ASP_ACTIVE');
  });

  it('TC_clnt_no_daud_in_asp: DAUD toward an ASP is answered with ERR Unsupported Message Type', async () => {
    const { sg } = await setup();
    await clntUpAct(sg, [RC]);
    sg.send({ type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: PC }] });
    await settle();
    expect(sg.take('ERR').errorCode).toBe(ErrorCode.UNSUPPORTED_MESSAGE_TYPE);
    expect(sg.count('DAVA') + sg.count('DUNA')).toBe(0);
  });

  it('TC_clnt_quirk_daud_in_asp: with the quirk, DAUD is answered with DAVA for our point code', async () => {
    const { sg } = await setup({ quirks: { daudInAsp: true } });
    await clntUpAct(sg, [RC]);
    sg.send({ type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: PC }] });
    await settle();
    expect(sg.take('DAVA').affectedPointCodes).toEqual([{ mask: 0, pc: PC }]);
  });

  it('TC_clnt_no_snm_inactive: SSNM in ASP-INACTIVE is answered with ERR Unexpected Message', async () => {
    const { sg, asp } = await setup({ quirks: { daudInAsp: true } });
    sg.take('ASPUP');
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    sg.take('ASPAC');
    expect(asp.state).toBe('ASP_INACTIVE');
    sg.send({ type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: PC }] });
    sg.send({ type: 'DUNA', affectedPointCodes: [{ mask: 0, pc: 99 }] });
    await settle();
    expect(sg.take('ERR').errorCode).toBe(ErrorCode.UNEXPECTED_MESSAGE);
    expect(sg.take('ERR').errorCode).toBe(ErrorCode.UNEXPECTED_MESSAGE);
    expect(asp.destinations.isAvailable(99)).toBe(true);
  });

  it('TC_clnt_quirk_snm_inactive: with the quirk, SSNM is processed in ASP-INACTIVE (DAUD → DUNA)', async () => {
    const { sg, asp } = await setup({ quirks: { daudInAsp: true, snmInactive: true } });
    sg.take('ASPUP');
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    sg.take('ASPAC');
    sg.send({ type: 'DAUD', affectedPointCodes: [{ mask: 0, pc: PC }] });
    sg.send({ type: 'DUNA', affectedPointCodes: [{ mask: 0, pc: 99 }] });
    await settle();
    expect(sg.take('DUNA').affectedPointCodes).toEqual([{ mask: 0, pc: PC }]);
    expect(asp.destinations.isAvailable(99)).toBe(false);
  });

  it('TC_clnt_sctp_adm_shutdown: stop() sends ASPIA, ASPDN, then shuts the association down', async () => {
    const { sg, asp, s } = await setup();
    await clntUpAct(sg, [RC]);
    s.on('message', () => {
      const last = sg.inbox.at(-1)?.msg;
      if (last?.type === 'ASPIA') sg.send({ type: 'ASPIA_ACK', routingContext: last.routingContext });
      if (last?.type === 'ASPDN') sg.send({ type: 'ASPDN_ACK' });
    });
    await asp.stop();
    expect(sg.types().filter((t) => t.startsWith('ASP'))).toEqual(['ASPIA', 'ASPDN']);
    expect(asp.state).toBe('ASP_DOWN');
    expect(sg.downReason).toBe('SHUTDOWN COMPLETE');
  });

  it('recovers after an association restart: ASP-DOWN, then ASPUP and ASPAC again', async () => {
    const { sg, asp, a } = await setup();
    await clntUpAct(sg, [RC]);
    sg.inbox.length = 0;
    a.restart();
    await settle();
    expect(asp.state).toBe('ASP_DOWN');
    await clntUpAct(sg, [RC]);
    expect(asp.state).toBe('ASP_ACTIVE');
  });

  it('moves to ASP-INACTIVE on NTFY Alternate ASP Active (override)', async () => {
    const { sg, asp } = await setup({ trafficMode: TrafficMode.OVERRIDE });
    await clntUpAct(sg, [RC]);
    sg.send({ type: 'NTFY', status: { type: StatusType.OTHER, info: 2 }, routingContext: [RC] });
    await settle();
    expect(asp.state).toBe('ASP_INACTIVE');
  });

  it('answers malformed input with ERR and the right code, and keeps running', async () => {
    const { sg, asp } = await setup();
    await clntUpAct(sg, [RC]);
    sg.send(Buffer.from('0200030100000008', 'hex'));
    sg.send(Buffer.from('0100050100000008', 'hex'));
    sg.send(Buffer.from('0100010100000008', 'hex'));
    sg.send(Buffer.from('0100010100000010021000080000000', 'hex'));
    sg.send({ type: 'DATA', routingContext: [4242], protocolData: pdTo(PC, 23) });
    sg.send({ type: 'ASPAC', routingContext: [RC] });
    await settle();
    const codes = sg.inbox.filter((e) => e.msg.type === 'ERR').map((e) => (e.msg as { errorCode: number }).errorCode);
    expect(codes).toEqual([
      ErrorCode.INVALID_VERSION,
      ErrorCode.UNSUPPORTED_MESSAGE_CLASS,
      ErrorCode.MISSING_PARAMETER,
      ErrorCode.PARAMETER_FIELD_ERROR,
      ErrorCode.INVALID_ROUTING_CONTEXT,
      ErrorCode.UNEXPECTED_MESSAGE,
    ]);
    expect(asp.state).toBe('ASP_ACTIVE');
  });
});

/**
 * Bounded T(ack) retransmission with an operator alarm (RFC 4666 §4.3.4.1: retransmission may be put
 * under layer management) and ERR from the SG mapped to actions (§4.3.4.1, §4.3.4.3), in virtual time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { M3uaAlarm } from '../../../src/ss7/m3ua/alarms.js';
import { M3uaAsp, type M3uaAspOptions } from '../../../src/ss7/m3ua/asp.js';
import { encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { ErrorCode } from '../../../src/ss7/m3ua/constants.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { captureLogger, WARN } from './capture-log.js';
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
  const clock = new VirtualClock();
  const { logger, records } = captureLogger();
  const [a, s] = associationPair();
  assocs.push(a, s);
  const sg = new RawPeer(s);
  const asp = new M3uaAsp({ association: a, clock, logger, routingContexts: [RC], ackTimeoutMs: 2000, ...o });
  const alarms: M3uaAlarm[] = [];
  asp.on('alarm', (al: M3uaAlarm) => alarms.push(al));
  asp.start();
  a.connect();
  await settle();
  /** Advance virtual time in 1 s steps; returns the virtual times at which `type` was sent. */
  const run = async (ms: number, type: string): Promise<number[]> => {
    const at: number[] = [];
    for (let t = 0; t < ms; t += 1000) {
      clock.advance(1000);
      await settle(3);
      while (sg.count(type as never)) {
        sg.take(type as never);
        at.push(clock.now());
      }
    }
    return at;
  };
  return { clock, sg, asp, alarms, records, run };
}

async function upToInactive(sg: RawPeer) {
  sg.take('ASPUP');
  sg.send({ type: 'ASPUP_ACK' });
  await settle();
}

describe('T(ack) bounded by an alarm', () => {
  it('ASPUP: 5 sends at T(ack), then an alarm and retries backing off to 30 s; ACK clears it', async () => {
    const { sg, asp, alarms, records, run, clock } = await setup();
    sg.take('ASPUP');
    const sends = await run(120_000, 'ASPUP');
    // first send at 0; retries at 2,4,6,8 s (5 sends), alarm at 10 s with the 6th, then 4, 8, 16, 30, 30... s apart
    expect(sends.slice(0, 9)).toEqual([2000, 4000, 6000, 8000, 10000, 14000, 22000, 38000, 68000]);
    expect(sends.slice(9)).toEqual([98000]);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ raised: true, code: 'M3UA_ACK_TIMEOUT', request: 'ASPUP', attempts: 5, retryMs: 30000 });
    expect(alarms[0].message).toMatch(/ASPUP unanswered after 5 attempts on mem:asp -> mem:sg \(routing context 1055\): check that the far end/);
    expect(records.filter((r) => r.level === WARN && r.alarm === 'M3UA_ACK_TIMEOUT')).toHaveLength(1);
    sg.send({ type: 'ASPUP_ACK' });
    await settle();
    expect(asp.state).toBe('ASP_INACTIVE');
    expect(alarms[1]).toMatchObject({ raised: false, code: 'M3UA_ACK_TIMEOUT', request: 'ASPUP' });
    // the next request (ASPAC) starts again at T(ack)
    sg.take('ASPAC');
    const t0 = clock.now();
    expect(await run(4000, 'ASPAC')).toEqual([t0 + 2000, t0 + 4000]);
  });

  it('ackAlarmAttempts and ackMaxIntervalMs are configurable', async () => {
    const { sg, alarms, run } = await setup({ ackAlarmAttempts: 2, ackMaxIntervalMs: 5000 });
    sg.take('ASPUP');
    expect(await run(20_000, 'ASPUP')).toEqual([2000, 4000, 8000, 13000, 18000]);
    expect(alarms.map((a) => a.attempts)).toEqual([2]);
  });

  it('stop() stays bounded when the SG answers neither ASPIA nor ASPDN', async () => {
    const { sg, asp, clock } = await setup();
    await upToInactive(sg);
    sg.send({ type: 'ASPAC_ACK', routingContext: [RC] });
    await settle();
    expect(asp.state).toBe('ASP_ACTIVE');
    let done = false;
    const stopping = asp.stop().then(() => (done = true));
    await settle();
    expect(sg.count('ASPIA')).toBe(1);
    clock.advance(4100);
    await stopping;
    expect(done).toBe(true);
    expect(sg.downReason).toBe('SHUTDOWN COMPLETE');
  });
});

describe('ERR from the SG', () => {
  const aspacBytes = encodeM3ua({ type: 'ASPAC', routingContext: [RC] });

  it('Invalid Routing Context for ASPAC: alarm with the hint, retry every 30 s instead of T(ack), cleared on ACK', async () => {
    const { sg, asp, alarms, records, run } = await setup();
    await upToInactive(sg);
    sg.take('ASPAC');
    sg.send({ type: 'ERR', errorCode: ErrorCode.INVALID_ROUTING_CONTEXT, routingContext: [RC], diagnostic: aspacBytes });
    await settle();
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ raised: true, code: 'M3UA_REQUEST_REFUSED', request: 'ASPAC', errorCode: ErrorCode.INVALID_ROUTING_CONTEXT, retryMs: 30000 });
    expect(alarms[0].message).toMatch(/SG refused ASPAC .*"Invalid Routing Context": the routing context\(s\) configured here .*retrying every 30 s/);
    const errLog = records.find((r) => r.msg === 'peer ERR: Invalid Routing Context');
    expect(errLog?.about).toBe('ASPAC (ASP Active) rc=1055');
    expect(await run(29_000, 'ASPAC')).toEqual([]);
    expect(await run(1000, 'ASPAC')).toHaveLength(1);
    sg.send({ type: 'ERR', errorCode: ErrorCode.INVALID_ROUTING_CONTEXT, diagnostic: aspacBytes });
    await settle();
    expect(alarms).toHaveLength(1);
    expect(await run(30_000, 'ASPAC')).toHaveLength(1);
    sg.send({ type: 'ASPAC_ACK', routingContext: [RC] });
    await settle();
    expect(asp.state).toBe('ASP_ACTIVE');
    expect(alarms[1]).toMatchObject({ raised: false, request: 'ASPAC' });
  });

  it('Refused - Management Blocking on ASPUP (no diagnostic): alarm, retry after 30 s', async () => {
    const { sg, alarms, run } = await setup();
    sg.take('ASPUP');
    sg.send({ type: 'ERR', errorCode: ErrorCode.REFUSED_MANAGEMENT_BLOCKING });
    await settle();
    expect(alarms[0]).toMatchObject({ raised: true, request: 'ASPUP', errorCode: ErrorCode.REFUSED_MANAGEMENT_BLOCKING });
    expect(alarms[0].message).toMatch(/blocked this ASP; ask them to unblock it/);
    expect(await run(30_000, 'ASPUP')).toEqual([30000]);
  });

  it('No Configured AS for ASP: alarm', async () => {
    const { sg, alarms } = await setup({ routingContexts: undefined });
    await upToInactive(sg);
    sg.send({ type: 'ERR', errorCode: ErrorCode.NO_CONFIGURED_AS_FOR_ASP });
    await settle();
    expect(alarms[0]).toMatchObject({ raised: true, request: 'ASPAC', errorCode: ErrorCode.NO_CONFIGURED_AS_FOR_ASP });
  });

  it('an ERR whose diagnostic names another message does not touch the pending ASPAC', async () => {
    const { sg, alarms, run } = await setup();
    await upToInactive(sg);
    sg.take('ASPAC');
    const data = encodeM3ua({ type: 'DATA', routingContext: [9], protocolData: { opc: 1, dpc: 2, si: 5, ni: 2, mp: 0, sls: 0, data: Buffer.alloc(2) } });
    sg.send({ type: 'ERR', errorCode: ErrorCode.INVALID_ROUTING_CONTEXT, diagnostic: data });
    await settle();
    expect(alarms).toEqual([]);
    expect(await run(2000, 'ASPAC')).toEqual([2000]);
  });

  it('Unexpected Message about our ASPAC: the SG holds us ASP-DOWN, so start over with ASPUP', async () => {
    const { sg, asp } = await setup();
    await upToInactive(sg);
    sg.take('ASPAC');
    sg.send({ type: 'ERR', errorCode: ErrorCode.UNEXPECTED_MESSAGE, diagnostic: aspacBytes });
    await settle();
    expect(asp.state).toBe('ASP_DOWN');
    await upToInactive(sg);
    sg.take('ASPAC');
    sg.send({ type: 'ASPAC_ACK', routingContext: [RC] });
    await settle();
    expect(asp.state).toBe('ASP_ACTIVE');
  });
});

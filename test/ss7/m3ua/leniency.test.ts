/**
 * Receive leniency (RFC 4666 §3.8.1 Unexpected Parameter): a known parameter out of place no longer
 * drops the message. The ASP processes it quietly; the SG processes it and reports ERR 0x13; the
 * strict option keeps the old drop-and-ERR behaviour for conformance tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeM3ua, decodeM3uaLenient, encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { M3uaAsp, type M3uaAspOptions } from '../../../src/ss7/m3ua/asp.js';
import { ErrorCode, Tag } from '../../../src/ss7/m3ua/constants.js';
import { isDecodeError, type M3uaMessage, type ProtocolData } from '../../../src/ss7/m3ua/messages.js';
import { Registry } from 'prom-client';
import { m3uaMetrics } from '../../../src/ss7/m3ua/metrics.js';
import { M3uaSg, type M3uaSgOptions } from '../../../src/ss7/m3ua/sg.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { captureLogger, WARN } from './capture-log.js';
import { associationPair, settle, type MemoryAssociation } from './memory-association.js';
import { RawPeer } from './raw-peer.js';

const RC = 1055;
const pd: ProtocolData = { opc: 23, dpc: 55, si: 5, ni: 2, mp: 0, sls: 3, data: Buffer.from([1, 2, 3]) };

/** The encoded message with one more TLV appended (the codec itself never writes a misplaced one). */
function withParam(msg: M3uaMessage, tag: number, value: Buffer): Buffer {
  const base = encodeM3ua(msg);
  const pad = (4 - (value.length % 4)) % 4;
  const tlv = Buffer.alloc(4 + value.length + pad);
  tlv.writeUInt16BE(tag, 0);
  tlv.writeUInt16BE(4 + value.length, 2);
  value.copy(tlv, 4);
  const out = Buffer.concat([base, tlv]);
  out.writeUInt32BE(out.length, 4);
  return out;
}
const rcValue = (rc: number) => Buffer.from(rc.toString(16).padStart(8, '0'), 'hex');

const registry = new Registry();

async function counted(role: string, type: string, tag: number): Promise<number> {
  const hex = `0x${tag.toString(16).padStart(4, '0')}`;
  const v = (await m3uaMetrics(registry).m3uaUnexpectedParameters.get()).values.find(
    (x) => x.labels.role === role && x.labels.type === type && x.labels.tag === hex,
  );
  return v?.value ?? 0;
}

let assocs: MemoryAssociation[] = [];
afterEach(async () => {
  for (const a of assocs) a.abort();
  assocs = [];
  await settle();
});

describe('codec: unexpected parameters', () => {
  const ackWithRc = withParam({ type: 'ASPUP_ACK' }, Tag.ROUTING_CONTEXT, rcValue(RC));

  it('strict by default: Unexpected Parameter', () => {
    const r = decodeM3ua(ackWithRc);
    expect(isDecodeError(r) && r.errorCode).toBe(ErrorCode.UNEXPECTED_PARAMETER);
  });

  it('with a sink: the message decodes and the tag is recorded once', () => {
    const twice = withParam({ type: 'BEAT', heartbeatData: Buffer.from('ab', 'hex') }, Tag.INFO_STRING, Buffer.from('x'));
    const thrice = Buffer.concat([twice, twice.subarray(twice.length - 8)]);
    thrice.writeUInt32BE(thrice.length, 4);
    const unexpected: number[] = [];
    expect(decodeM3uaLenient(thrice, unexpected)).toEqual({ type: 'BEAT', heartbeatData: Buffer.from('ab', 'hex') });
    expect(unexpected).toEqual([Tag.INFO_STRING]);
  });

  it('with a sink, mandatory parameters and field lengths are still enforced', () => {
    const noPd = withParam({ type: 'ASPUP' }, Tag.ROUTING_CONTEXT, rcValue(1));
    noPd[2] = 1; // class Transfer, type 1: DATA without Protocol Data
    noPd[3] = 1;
    const r = decodeM3uaLenient(noPd, []);
    expect(isDecodeError(r) && r.errorCode).toBe(ErrorCode.MISSING_PARAMETER);
    const bad = Buffer.from(ackWithRc);
    bad.writeUInt16BE(0xff, 10); // the misplaced TLV claims to run past the end
    const r2 = decodeM3uaLenient(bad, []);
    expect(isDecodeError(r2) && r2.errorCode).toBe(ErrorCode.PARAMETER_FIELD_ERROR);
  });
});

async function aspSetup(o: Partial<M3uaAspOptions> = {}) {
  const clock = new VirtualClock();
  const { logger, records } = captureLogger();
  const [a, s] = associationPair();
  assocs.push(a, s);
  const sg = new RawPeer(s);
  const asp = new M3uaAsp({ association: a, clock, logger, routingContexts: [RC], registry, ...o });
  asp.start();
  a.connect();
  await settle();
  return { sg, asp, records };
}

describe('ASP side', () => {
  it('processes ASPUP ACK carrying a Routing Context, sends no ERR, counts it and logs once', async () => {
    const { sg, asp, records } = await aspSetup();
    const before = await counted('asp', 'ASPUP_ACK', Tag.ROUTING_CONTEXT);
    sg.take('ASPUP');
    sg.send(withParam({ type: 'ASPUP_ACK' }, Tag.ROUTING_CONTEXT, rcValue(RC)));
    await settle();
    expect(asp.state).toBe('ASP_INACTIVE');
    const aspac = sg.take('ASPAC');
    sg.send(withParam({ type: 'ASPAC_ACK', routingContext: [RC] }, Tag.HEARTBEAT_DATA, Buffer.from('lax SG')));
    await settle();
    expect(asp.state).toBe('ASP_ACTIVE');
    expect(aspac.routingContext).toEqual([RC]);
    const got: ProtocolData[] = [];
    asp.on('transfer', (p: ProtocolData) => got.push(p));
    const data = withParam({ type: 'DATA', routingContext: [RC], protocolData: pd }, Tag.INFO_STRING, Buffer.from('hello'));
    sg.send(data, 1);
    sg.send(data, 1);
    await settle();
    expect(got).toEqual([pd, pd]);
    expect(sg.count('ERR')).toBe(0);
    expect((await counted('asp', 'ASPUP_ACK', Tag.ROUTING_CONTEXT)) - before).toBe(1);
    expect(await counted('asp', 'DATA', Tag.INFO_STRING)).toBeGreaterThanOrEqual(2);
    const warns = records.filter((r) => r.level === WARN && /processed anyway/.test(r.msg));
    expect(warns.map((r) => `${r.type} ${r.tag}`)).toEqual(['ASPUP_ACK 0x0006', 'ASPAC_ACK 0x0009', 'DATA 0x0004']);
  });

  it('strictParameters: ERR Unexpected Parameter and the message is dropped', async () => {
    const { sg, asp } = await aspSetup({ strictParameters: true });
    sg.take('ASPUP');
    sg.send(withParam({ type: 'ASPUP_ACK' }, Tag.ROUTING_CONTEXT, rcValue(RC)));
    await settle();
    expect(sg.take('ERR').errorCode).toBe(ErrorCode.UNEXPECTED_PARAMETER);
    expect(asp.state).toBe('ASP_DOWN');
    expect(sg.count('ASPAC')).toBe(0);
  });
});

async function sgSetup(o: Partial<M3uaSgOptions> = {}) {
  const { logger, records } = captureLogger();
  const sg = new M3uaSg({ clock: new VirtualClock(), logger, ases: [{ routingContext: RC }], registry, ...o });
  const [a, s] = associationPair();
  assocs.push(a, s);
  sg.addAssociation(s);
  const peer = new RawPeer(a);
  a.connect();
  await settle();
  return { sg, peer, records };
}

describe('SG side', () => {
  const aspupWithRc = withParam({ type: 'ASPUP' }, Tag.ROUTING_CONTEXT, rcValue(RC));

  it('processes ASPUP carrying a Routing Context, then reports ERR Unexpected Parameter with the message as diagnostic', async () => {
    const { sg, peer, records } = await sgSetup();
    peer.send(aspupWithRc);
    await settle();
    expect(peer.types()).toEqual(['ASPUP_ACK', 'NTFY', 'ERR']);
    const err = peer.take('ERR');
    expect(err.errorCode).toBe(ErrorCode.UNEXPECTED_PARAMETER);
    expect(err.diagnostic).toEqual(aspupWithRc.subarray(0, 40));
    peer.send(withParam({ type: 'ASPAC', routingContext: [RC] }, Tag.HEARTBEAT_DATA, Buffer.from('zz')));
    await settle();
    expect(sg.asState(RC)).toBe('AS_ACTIVE');
    expect(peer.count('ERR')).toBe(1);
    expect(records.filter((r) => r.level === WARN && /processed anyway/.test(r.msg))).toHaveLength(2);
  });

  it('never answers an ERR with an ERR', async () => {
    const { peer } = await sgSetup();
    peer.send(withParam({ type: 'ERR', errorCode: ErrorCode.PROTOCOL_ERROR }, Tag.HEARTBEAT_DATA, Buffer.from('x')));
    await settle();
    expect(peer.count('ERR')).toBe(0);
  });

  it('reportUnexpectedParameters: false processes quietly', async () => {
    const { peer } = await sgSetup({ reportUnexpectedParameters: false });
    peer.send(aspupWithRc);
    await settle();
    expect(peer.types()).toEqual(['ASPUP_ACK', 'NTFY']);
  });

  it('strictParameters: ERR only, the ASP stays down', async () => {
    const { sg, peer } = await sgSetup({ strictParameters: true });
    peer.send(aspupWithRc);
    await settle();
    expect(peer.types()).toEqual(['ERR']);
    expect(sg.asState(RC)).toBe('AS_DOWN');
  });
});

/**
 * Media proven to flow through a real osmo-mgw: a two-leg bridge on one rtpbridge endpoint, set up,
 * held, resumed, moved and torn down through the bearer port the call engine uses, with real RTP
 * (PCMU, 20 ms frames) from two local UDP sockets.
 *
 * What osmo-mgw 1.10 does to the packets (src/libosmo-mgcp/mgcp_network.c): it forwards the payload
 * untouched and, with the default trunk settings (no force-constant-ssrc / force-aligned-timing),
 * keeps SSRC, sequence numbers and timestamps; it accepts RTP on a connection only from the address
 * and port of that connection's remote SDP (check_rtp_origin), so senders use symmetric RTP; a
 * connection sends towards its far end only in sendrecv/sendonly (output_enabled), and it has no
 * "inactive" mode (517, see error-codes.osmo.test.ts), so hold here is "recvonly".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BearerConnection } from '../../src/mgcp/bearer-port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';
import { continuity, pcmuFrame, RtpEndpoint } from '../helpers/rtp.js';

const sdpFor = (rtp: RtpEndpoint) =>
  `v=0\r\no=- 1 1 IN IP4 ${rtp.address}\r\ns=-\r\nc=IN IP4 ${rtp.address}\r\nt=0 0\r\nm=audio ${rtp.port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n`;

/** Where the gateway wants RTP for a connection: the c= address and m=audio port of its SDP answer. */
function mediaAddress(conn: BearerConnection): { address: string; port: number } {
  const c = /\r\nc=IN IP4 ([0-9.]+)\r\n/.exec(conn.localSdp ?? '');
  const m = /\r\nm=audio ([0-9]+) RTP\/AVP 0[ \r]/.exec(conn.localSdp ?? '');
  if (!c || !m) throw new Error(`no IP4 address or PCMU port in the SDP answer:\n${conn.localSdp}`);
  return { address: c[1], port: Number(m[1]) };
}

const settle = () => new Promise((r) => setTimeout(r, 150));
const N = 50;

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('media through osmo-mgw: two-leg rtpbridge, hold, resume, move, delete', () => {
  let mgw: OsmoMgw;
  let port: MgcpBearerPort;
  let a: RtpEndpoint;
  let b: RtpEndpoint;
  let a2: RtpEndpoint;
  let legA: BearerConnection;
  let legB: BearerConnection;
  let toA: { address: string; port: number };
  let toB: { address: string; port: number };
  const measured: string[] = [];

  beforeAll(async () => {
    mgw = await startOsmoMgw();
    port = await MgcpBearerPort.open([{ name: 'mgw1', address: mgw.address, port: mgw.port, domain: mgw.domain }], { address: '127.0.0.1' });
    [a, b, a2] = await Promise.all([RtpEndpoint.open(0xa), RtpEndpoint.open(0xb), RtpEndpoint.open(0xa2)]);
  });
  afterAll(async () => {
    console.log(`media through osmo-mgw:\n  ${measured.join('\n  ')}`);
    await Promise.all([a, b, a2].map((e) => e?.close()));
    await port?.close();
    await mgw?.stop();
  });

  it('two CRCX with one CallId on one endpoint: each leg gets its own gateway RTP port', async () => {
    legA = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'media-1', mode: 'sendrecv', remoteSdp: sdpFor(a) });
    legB = await port.createConnection({ endpoint: legA.endpoint, callId: 'media-1', mode: 'sendrecv', remoteSdp: sdpFor(b) });
    expect(legB.endpoint).toBe(legA.endpoint);
    expect(legB.connectionId).not.toBe(legA.connectionId);
    toA = mediaAddress(legA);
    toB = mediaAddress(legB);
    expect(toA.address).toBe(mgw.rtpAddress);
    expect(toA.port).not.toBe(toB.port);
  });

  it('sendrecv both ways: every packet arrives at the other side, PCMU, one SSRC, continuous sequence and timestamps, payload intact', async () => {
    await Promise.all([a.stream(toA, { count: N }), b.stream(toB, { count: N })]);
    await settle();
    const atB = continuity(b.from(0xa));
    const atA = continuity(a.from(0xb));
    for (const [side, c] of [['A→B', atB], ['B→A', atA]] as const) {
      expect(c.packets, side).toBe(N);
      expect(c.payloadTypes, side).toEqual([0]);
      expect(c.ssrcs, side).toHaveLength(1);
      expect(c.sequenceBreaks, side).toBe(0);
      expect(c.timestampBreaks, side).toBe(0);
      expect(c.indexGaps, side).toBe(0);
    }
    // Each received packet comes from the gateway port of the leg it leaves by.
    expect(new Set(b.from(0xa).map((p) => `${p.from.address}:${p.from.port}`))).toEqual(new Set([`${toB.address}:${toB.port}`]));
    expect(new Set(a.from(0xb).map((p) => `${p.from.address}:${p.from.port}`))).toEqual(new Set([`${toA.address}:${toA.port}`]));
    const ssrcKept = atB.ssrcs[0] === a.ssrc && atA.ssrcs[0] === b.ssrc;
    for (const [rx, tag] of [[b, 0xa], [a, 0xb]] as const)
      for (const p of rx.from(tag)) expect(p.payload.equals(pcmuFrame(tag, p.payload.readUInt32BE(4)))).toBe(true);
    measured.push(`sendrecv: ${atB.packets}/${N} A→B, ${atA.packets}/${N} B→A, SSRC ${ssrcKept ? 'kept' : 'rewritten'}, ${a.nonRtp + b.nonRtp} non-RTP keep-alives`);
  });

  it('hold: MDCX leg A to recvonly stops B→A and leaves A→B flowing', async () => {
    legA = await port.modifyConnection(legA, { mode: 'recvonly' });
    expect(legA.mode).toBe('recvonly');
    const beforeA = a.from(0xb).length;
    const beforeB = b.from(0xa).length;
    await Promise.all([a.stream(toA, { count: N }), b.stream(toB, { count: N })]);
    await settle();
    const heldAtA = a.from(0xb).length - beforeA;
    const flowingAtB = b.from(0xa).length - beforeB;
    expect(heldAtA).toBe(0);
    expect(flowingAtB).toBe(N);
    expect(continuity(b.from(0xa)).indexGaps).toBe(0);
    measured.push(`hold (leg A recvonly): B→A ${heldAtA}/${N}, A→B ${flowingAtB}/${N}`);
  });

  it('resume: MDCX leg A back to sendrecv and both directions flow again, sequence still continuous', async () => {
    legA = await port.modifyConnection(legA, { mode: 'sendrecv' });
    const beforeA = a.from(0xb).length;
    await Promise.all([a.stream(toA, { count: N }), b.stream(toB, { count: N })]);
    await settle();
    expect(a.from(0xb).length - beforeA).toBe(N);
    // B's stream went on during the hold: the packets A missed show as one gap, not as disorder.
    const atA = continuity(a.from(0xb));
    expect(atA.sequenceBreaks).toBe(1);
    expect(atA.indexGaps).toBe(1);
    measured.push(`resume: B→A ${a.from(0xb).length - beforeA}/${N}`);
  });

  it("a new remote SDP alone (re-INVITE while held) moves leg A's media to another socket and keeps the hold", async () => {
    legA = await port.modifyConnection(legA, { mode: 'recvonly' });
    // No mode in the change: the bearer port sends the connection's current mode (recvonly) with it.
    legA = await port.modifyConnection(legA, { remoteSdp: sdpFor(a2) });
    expect(legA.mode).toBe('recvonly');
    const beforeOld = a.from(0xb).length;
    const beforeB = b.from(0xa).length;
    await Promise.all([a2.stream(toA, { count: N }), b.stream(toB, { count: N }), a.stream(toA, { count: 10 })]);
    await settle();
    expect(a2.from(0xb)).toHaveLength(0);
    // From B's side: the new socket's packets arrive, the old socket's are refused by osmo-mgw's origin check.
    expect(b.from(0xa2)).toHaveLength(N);
    expect(b.from(0xa).length - beforeB).toBe(0);
    legA = await port.modifyConnection(legA, { mode: 'sendrecv' });
    await Promise.all([a2.stream(toA, { count: N }), b.stream(toB, { count: N })]);
    await settle();
    expect(a2.from(0xb)).toHaveLength(N);
    expect(a.from(0xb).length - beforeOld).toBe(0);
    measured.push(`moved leg A while held: 0/${N} to the new socket, ${N}/${N} from it, 0/10 from the old one; after resume ${a2.from(0xb).length}/${N} to it`);
  });

  it('sendonly on leg B: the gateway still sends to B; what osmo-mgw does with what B sends is recorded', async () => {
    legB = await port.modifyConnection(legB, { mode: 'sendonly' });
    const beforeB = b.from(0xa2).length;
    const beforeA2 = a2.from(0xb).length;
    await Promise.all([a2.stream(toA, { count: N }), b.stream(toB, { count: N })]);
    await settle();
    expect(b.from(0xa2).length - beforeB).toBe(N);
    // Recorded, not asserted: osmo-mgw 1.10 filters only output by mode (output_enabled), so
    // what B sends on a sendonly connection is still forwarded.
    const fromB = a2.from(0xb).length - beforeA2;
    measured.push(`sendonly on leg B: to B ${b.from(0xa2).length - beforeB}/${N}, from B forwarded ${fromB}/${N}`);
  });

  it('DLCX of both legs: nothing is forwarded any more', async () => {
    await port.deleteConnection(legA);
    await port.deleteConnection(legB);
    const beforeA2 = a2.received.length;
    const beforeB = b.received.length;
    await Promise.all([a2.stream(toA, { count: 10, intervalMs: 5 }), b.stream(toB, { count: 10, intervalMs: 5 })]);
    await settle();
    expect(a2.received.length - beforeA2).toBe(0);
    expect(b.received.length - beforeB).toBe(0);
    const audit = await port.auditEndpoint(legA.endpoint);
    expect(audit.connectionIds).toEqual([]);
  });
});

/**
 * Voice crosses the gateway on a real call: a SIP caller (our embedded stack as a trunk customer,
 * its RTP a UDP socket of this test) calls through the lab switch to the tandem simulator; the
 * switch's bearer is a connection on the CIC's osmo-mgw rtpbridge endpoint. The test plays the
 * TDM side of that endpoint (a second connection on it, the DS0's stand-in) and sends real PCMU
 * RTP both ways through osmo-mgw: packets arrive with payload type 0, one SSRC per direction and
 * continuous sequence numbers. The caller then holds (re-INVITE a=sendonly, RFC 6337 §5.1): the switch
 * modifies its gateway connection (MDCX recvonly) and answers a=recvonly, so the TDM side's RTP stops
 * reaching the caller while the caller's (music on hold) still reaches the TDM side; resume (a=sendrecv)
 * restores both ways with the same SSRC and payload type; a=inactive (which osmo-mgw has no mode for)
 * stops what reaches the caller again. After the caller's BYE the switch deletes its connection and media stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitch } from '../../src/app/start.js';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import type { Dialog } from '../../src/sip/port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import type { BearerConnection } from '../../src/mgcp/bearer-port.js';
import { bearerCallId } from '../../src/calls/legs/circuit-bearer.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { hasOsmoMgw, OSMO_MGW_MISSING } from '../helpers/osmo-mgw.js';
import { continuity, RtpEndpoint } from '../helpers/rtp.js';
import { startLabSwitch, until } from '../helpers/lab-switch.js';
import { directionOf } from '../../src/calls/sdp-direction.js';

const sdpFor = (rtp: RtpEndpoint, direction = 'sendrecv', version = 1) =>
  `v=0\r\no=- 1 ${version} IN IP4 ${rtp.address}\r\ns=-\r\nc=IN IP4 ${rtp.address}\r\nt=0 0\r\nm=audio ${rtp.port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=${direction}\r\n`;

function mediaOf(sdp: string): { address: string; port: number } {
  const c = /c=IN IP4 ([0-9.]+)/.exec(sdp);
  const m = /m=audio ([0-9]+) RTP\/AVP/.exec(sdp);
  if (!c || !m) throw new Error(`no media address in SDP:\n${sdp}`);
  return { address: c[1], port: Number(m[1]) };
}

const N = 50;
if (!hasOsmoMgw()) console.warn(`skipping media-call test: ${OSMO_MGW_MISSING}`);

describe.skipIf(!hasOsmoMgw())('RTP through osmo-mgw on a call placed through the switch', () => {
  let ssw: RunningSwitch;
  let caller: EmbeddedSignallingPort;
  let tdmSide: MgcpBearerPort;
  let callerRtp: RtpEndpoint;
  let tdmRtp: RtpEndpoint;
  let dialog: Dialog;
  let tdmConn: BearerConnection;
  let endpoint = '';

  beforeAll(async () => {
    ({ ssw } = await startLabSwitch({ lab: { tandemSim: { answerDelayMs: 50 } } }));
    caller = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
    [callerRtp, tdmRtp] = await Promise.all([RtpEndpoint.open(0xca11), RtpEndpoint.open(0x7d3)]);
    const mgw = ssw.osmoMgw!;
    tdmSide = await MgcpBearerPort.open([{ name: 'tdm-side', address: mgw.address, port: mgw.port, domain: mgw.domain }], { address: '127.0.0.1' });
  }, 30_000);

  afterAll(async () => {
    if (tdmConn) await tdmSide.deleteConnection(tdmConn).catch(() => undefined);
    await tdmSide?.close();
    await caller?.close();
    await Promise.all([callerRtp?.close(), tdmRtp?.close()]);
    await ssw?.stop();
  });

  it('the call is answered with the gateway connection SDP of the CIC endpoint', async () => {
    dialog = await caller.createUAC(`sip:12125550150@127.0.0.1:${ssw.sipPort}`, { localSdp: sdpFor(callerRtp), from: 'sip:3125550000@127.0.0.1' });
    const [call] = ssw.calls.snapshot();
    expect(call.state).toBe('answered');
    endpoint = call.endpoint!;
    expect(endpoint).toMatch(/^rtpbridge\/[0-9a-f]+@mgw$/);
    // The DS0 side of the endpoint, joined to the switch's connection by the call id (RFC 3435 §2.1.2).
    tdmConn = await tdmSide.createConnection({ endpoint, callId: bearerCallId(call.id), mode: 'sendrecv', remoteSdp: sdpFor(tdmRtp) });
    expect(tdmConn.endpoint).toBe(endpoint);
  });

  it('caller → gateway → TDM side and back: every packet, PCMU, one SSRC, continuous sequence', async () => {
    await Promise.all([callerRtp.stream(mediaOf(dialog.remoteSdp), { count: N }), tdmRtp.stream(mediaOf(tdmConn.localSdp!), { count: N })]);
    await until(() => tdmRtp.from(0xca11).length >= N && callerRtp.from(0x7d3).length >= N, 'RTP both ways', 5000).catch(() => undefined);
    const down = tdmRtp.from(0xca11);
    const up = callerRtp.from(0x7d3);
    expect(down.length).toBeGreaterThanOrEqual(N - 2);
    expect(up.length).toBeGreaterThanOrEqual(N - 2);
    for (const [stream, ssrc] of [[down, callerRtp.ssrc], [up, tdmRtp.ssrc]] as const) {
      expect(new Set(stream.map((p) => p.payloadType))).toEqual(new Set([0]));
      expect(new Set(stream.map((p) => p.ssrc))).toEqual(new Set([ssrc]));
      const c = continuity(stream);
      expect(c.sequenceBreaks).toBeLessThanOrEqual(2);
      expect(c.indexGaps).toBeLessThanOrEqual(2);
    }
  });

  /** Streams `count` packets each way at once and returns what arrived each way meanwhile (after a short drain). */
  async function exchange(count: number): Promise<{ down: ReturnType<RtpEndpoint['from']>; up: ReturnType<RtpEndpoint['from']> }> {
    const d0 = tdmRtp.from(0xca11).length;
    const u0 = callerRtp.from(0x7d3).length;
    await Promise.all([callerRtp.stream(mediaOf(dialog.remoteSdp), { count }), tdmRtp.stream(mediaOf(tdmConn.localSdp!), { count })]);
    await new Promise((r) => setTimeout(r, 300));
    return { down: tdmRtp.from(0xca11).slice(d0), up: callerRtp.from(0x7d3).slice(u0) };
  }

  it('hold (a=sendonly): answer a=recvonly; the TDM side no longer reaches the caller, the caller still reaches the TDM side', async () => {
    const answer = await dialog.modify(sdpFor(callerRtp, 'sendonly', 2));
    expect(directionOf(answer)).toBe('recvonly');
    expect(mediaOf(answer)).toEqual(mediaOf(dialog.remoteSdp));
    await new Promise((r) => setTimeout(r, 100));
    const { down, up } = await exchange(N);
    expect(up.length).toBe(0);
    expect(down.length).toBeGreaterThanOrEqual(N - 2);
    expect(new Set(down.map((p) => p.ssrc))).toEqual(new Set([callerRtp.ssrc]));
  });

  it('resume (a=sendrecv): both ways again, PCMU, the same SSRC as before the hold, continuous within the stream', async () => {
    const answer = await dialog.modify(sdpFor(callerRtp, 'sendrecv', 3));
    expect(directionOf(answer)).toBe('sendrecv');
    await new Promise((r) => setTimeout(r, 100));
    const { down, up } = await exchange(N);
    expect(up.length).toBeGreaterThanOrEqual(N - 2);
    expect(down.length).toBeGreaterThanOrEqual(N - 2);
    for (const [stream, ssrc] of [[down, callerRtp.ssrc], [up, tdmRtp.ssrc]] as const) {
      expect(new Set(stream.map((p) => p.payloadType))).toEqual(new Set([0]));
      expect(new Set(stream.map((p) => p.ssrc))).toEqual(new Set([ssrc]));
      const c = continuity(stream);
      expect(c.sequenceBreaks).toBeLessThanOrEqual(2);
      expect(c.indexGaps).toBeLessThanOrEqual(2);
    }
    // The TDM side's frames after the resume continue its own numbering: the held ones were dropped, not delayed.
    expect(up[0].payload.readUInt32BE(4)).toBeGreaterThanOrEqual(2 * N);
  });

  it('hold (a=inactive): answered a=inactive though osmo-mgw has no inactive mode; nothing reaches the caller; resume restores it', async () => {
    const answer = await dialog.modify(sdpFor(callerRtp, 'inactive', 4));
    expect(directionOf(answer)).toBe('inactive');
    await new Promise((r) => setTimeout(r, 100));
    const held = await exchange(20);
    expect(held.up.length).toBe(0);
    expect(directionOf(await dialog.modify(sdpFor(callerRtp, 'sendrecv', 5)))).toBe('sendrecv');
    await new Promise((r) => setTimeout(r, 100));
    const back = await exchange(20);
    expect(back.up.length).toBeGreaterThanOrEqual(18);
    expect(back.down.length).toBeGreaterThanOrEqual(18);
    expect(ssw.calls.snapshot()[0].state).toBe('answered');
  });

  it("after the caller's BYE the switch deletes its connection: no more media reaches the TDM side", async () => {
    await dialog.destroy({ headers: { Reason: 'Q.850;cause=16' } });
    await until(() => ssw.calls.activeCount === 0, 'the call to end');
    const before = tdmRtp.from(0xca11).length;
    await callerRtp.stream(mediaOf(dialog.remoteSdp), { count: 10 });
    await new Promise((r) => setTimeout(r, 300));
    expect(tdmRtp.from(0xca11).length).toBe(before);
    expect((await ssw.cdrs.list())[0]).toMatchObject({ sipStatus: 200, gatewayEndpoint: endpoint, cause: 16 });
  });
});

/** The call agent against a real osmo-mgw over UDP on loopback. */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MgcpCallAgent } from '../../src/mgcp/mgcp/call-agent.js';
import { MgcpError } from '../../src/mgcp/mgcp/errors.js';
import { openUdpTransport, type MgcpTransport } from '../../src/mgcp/mgcp/transport.js';
import type { Peer } from '../../src/mgcp/mgcp/transaction-layer.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';

const remoteSdp = (port: number) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n`;

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('MGCP call agent against osmo-mgw', () => {
  let mgw: OsmoMgw;
  let ca: MgcpCallAgent;
  let gw: Peer;

  beforeAll(async () => {
    mgw = await startOsmoMgw();
    gw = { address: mgw.address, port: mgw.port };
    ca = await MgcpCallAgent.open(0, '127.0.0.1');
  });
  afterAll(async () => {
    await ca?.close();
    await mgw?.stop();
  });

  it('CRCX on a wildcard endpoint: specific endpoint, connection id and local SDP with c=/m= lines', async () => {
    const r = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: 'call-1', mode: 'recvonly', localOptions: 'p:20, a:PCMA', remoteSdp: remoteSdp(4000) });
    expect(r.endpoint).toMatch(/^rtpbridge\/[0-9a-f]+@mgw$/);
    expect(r.connectionId).toMatch(/^[0-9A-F]{1,32}$/);
    expect(r.response.code).toBe(200);
    expect(r.localSdp).toContain(`c=IN IP4 ${mgw.rtpAddress}\r\n`);
    expect(r.localSdp).toMatch(/\r\nm=audio (\d+) RTP\/AVP 8\r\n/);
    const port = Number(/m=audio (\d+)/.exec(r.localSdp ?? '')?.[1]);
    expect(port).toBeGreaterThanOrEqual(16002);
    expect(port).toBeLessThanOrEqual(17999);
  });

  it('MDCX changes mode and remote SDP; DLCX answers 250 with connection parameters; the deleted connection is gone', async () => {
    const c = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: 'call-2', mode: 'recvonly' });
    const m = await ca.mdcx(gw, { endpoint: c.endpoint, callId: 'call-2', connectionId: c.connectionId, mode: 'sendrecv', remoteSdp: remoteSdp(4002) });
    expect(m.response.code).toBe(200);
    expect(m.localSdp).toContain('m=audio ');
    const d = await ca.dlcx(gw, { endpoint: c.endpoint, callId: 'call-2', connectionId: c.connectionId });
    expect(d.response.code).toBe(250);
    expect(d.connectionParameters).toMatch(/PS=\d+, OS=\d+, PR=\d+, OR=\d+, PL=\d+, JI=\d+/);
    const again = await ca.dlcx(gw, { endpoint: c.endpoint, callId: 'call-2', connectionId: c.connectionId }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(MgcpError);
    expect(again).toMatchObject({ kind: 'rejected', code: 515 });
  });

  it('AUEP: 200 for a configured endpoint, 500 for an unknown one', async () => {
    await expect(ca.auep(gw, 'rtpbridge/1@mgw')).resolves.toMatchObject({ code: 200 });
    await expect(ca.auep(gw, 'rtpbridge/999@mgw')).rejects.toMatchObject({ kind: 'rejected', code: 500 });
    await expect(ca.auep(gw, 'nosuchtrunk/1@mgw')).rejects.toMatchObject({ kind: 'rejected', code: 500 });
  });

  it('gateway return codes arrive as typed errors: 515 wrong connection id, 517 bad mode, 516 missing call id', async () => {
    const c = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: 'call-3', mode: 'recvonly' });
    await expect(ca.mdcx(gw, { endpoint: c.endpoint, callId: 'call-3', connectionId: 'DEADBEEF', mode: 'sendrecv' })).rejects.toMatchObject({ code: 515 });
    const bad = await ca.send(gw, { verb: 'MDCX', endpoint: c.endpoint, params: [{ name: 'C', value: 'call-3' }, { name: 'I', value: c.connectionId }, { name: 'M', value: 'bogus' }] });
    expect(bad.code).toBe(517);
    const noCall = await ca.send(gw, { verb: 'CRCX', endpoint: 'rtpbridge/*@mgw', params: [{ name: 'M', value: 'recvonly' }] });
    expect(noCall.code).toBe(516);
    await ca.dlcx(gw, { endpoint: c.endpoint, callId: 'call-3' });
  });

  it('RQNT is accepted', async () => {
    await expect(ca.rqnt(gw, { endpoint: 'rtpbridge/1@mgw', requestId: '1A2B', requestedEvents: 'D/[0-9#*](N)' })).resolves.toMatchObject({ code: 200 });
  });

  it('K: response acknowledgements are off by default because osmo-mgw 1.10 answers 539 to them', async () => {
    const r = await ca.send(gw, { verb: 'CRCX', endpoint: 'rtpbridge/*@mgw', params: [{ name: 'C', value: 'k-1' }, { name: 'M', value: 'recvonly' }, { name: 'K', value: '5' }] });
    expect(r.code).toBe(539);
  });

  it('measured: transactions per second, one at a time and 32 at once; the timer follows the measured round trip', async () => {
    const n = 2000;
    let t = performance.now();
    for (let i = 0; i < n; i++) await ca.auep(gw, 'rtpbridge/1@mgw');
    const sequential = n / ((performance.now() - t) / 1000);
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next++ < n) await ca.auep(gw, 'rtpbridge/1@mgw');
      }),
    );
    const concurrent = n / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let i = 0; i < 200; i++) {
      const c = await ca.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: `tps-${i}`, mode: 'recvonly' });
      await ca.dlcx(gw, { endpoint: c.endpoint, callId: `tps-${i}`, connectionId: c.connectionId });
    }
    const crcxDlcx = 400 / ((performance.now() - t) / 1000);
    expect(ca.layer.rtoFor(gw)).toBe(100);
    console.log(
      `osmo-mgw: AUEP ${Math.round(sequential)}/s one at a time, ${Math.round(concurrent)}/s 32 at once; CRCX+DLCX ${Math.round(crcxDlcx)} transactions/s; first timer now ${ca.layer.rtoFor(gw)} ms`,
    );
  });

  it('retransmission: with the first datagram dropped, the retransmitted CRCX succeeds', async () => {
    const real = await openUdpTransport(0, '127.0.0.1');
    const sends: number[] = [];
    let toDrop = 1;
    const lossy: MgcpTransport = {
      local: real.local,
      send(d, to) {
        sends.push(Date.now());
        if (toDrop > 0) {
          toDrop--;
          return;
        }
        real.send(d, to);
      },
      onDatagram: (h) => real.onDatagram(h),
      close: () => real.close(),
    };
    const lossyCa = new MgcpCallAgent(lossy);
    try {
      const started = Date.now();
      const r = await lossyCa.crcx(gw, { endpoint: 'rtpbridge/*@mgw', callId: 'call-4', mode: 'recvonly' });
      expect(r.connectionId).toMatch(/^[0-9A-F]+$/);
      expect(sends).toHaveLength(2);
      expect(sends[1] - started).toBeGreaterThanOrEqual(180);
      expect(sends[1] - started).toBeLessThan(1000);
      await lossyCa.dlcx(gw, { endpoint: r.endpoint, callId: 'call-4', connectionId: r.connectionId });
    } finally {
      await lossyCa.close();
    }
  });
});

describe('MGCP call agent towards a port where nobody answers', () => {
  let silent: Socket;
  let received = 0;

  beforeAll(async () => {
    silent = createSocket('udp4');
    silent.on('message', () => received++);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  });
  afterAll(() => new Promise<void>((r) => silent.close(() => r())));

  it('gives up after a bounded number of retransmissions and reports the gateway unreachable', async () => {
    const ca = await MgcpCallAgent.open(0, '127.0.0.1', { policy: { initialRtoMs: 50, maxRtoMs: 200, maxRetransmits: 4 } });
    const unreachable: string[] = [];
    ca.on('unreachable', (e) => unreachable.push(`${e.verb} ${e.endpoint}`));
    try {
      const started = Date.now();
      const err = await ca.crcx({ address: '127.0.0.1', port: silent.address().port }, { endpoint: 'ds/ds1-1/1@tgw', callId: 'x', mode: 'recvonly' }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(MgcpError);
      expect(err).toMatchObject({ kind: 'timeout' });
      // 50 + 100 + 200 + 200 + 200 ms of timers, one first send and four retransmissions.
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(3000);
      expect(received).toBe(5);
      expect(unreachable).toEqual(['CRCX ds/ds1-1/1@tgw']);
    } finally {
      await ca.close();
    }
  });
});

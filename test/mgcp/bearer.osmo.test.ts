/** The protocol-neutral bearer port, implemented over MGCP, against a real osmo-mgw. */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayHealth } from '../../src/class4/trunks/gateway-health.js';
import { BearerError, type RestartAuditNotice, type RestartNotice, type UnreachableNotice } from '../../src/mgcp/bearer-port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import { Registry } from 'prom-client';
import { mgcpMetrics } from '../../src/mgcp/mgcp/metrics.js';

const registry = new Registry();
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { bindOtherLoopback, bindUdp, hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, until, type OsmoMgw } from '../helpers/osmo-mgw.js';

async function rejectedTotal(): Promise<number> {
  return (await mgcpMetrics(registry).mgcpRejectedCommands.get()).values.reduce((a, v) => a + v.value, 0);
}

const SDP = 'v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('MGCP bearer port against osmo-mgw', () => {
  let mgw: OsmoMgw;
  let port: MgcpBearerPort;
  /** Bound to osmo-mgw's MGCP port on a second loopback address configured as the gateway's: it plays the gateway's RSIPs. */
  let secondary: Socket;

  beforeAll(async () => {
    mgw = await startOsmoMgw();
    secondary = await bindOtherLoopback(mgw.port);
    port = await MgcpBearerPort.open(
      [{ name: 'mgw1', address: mgw.address, addresses: [mgw.address, secondary.address().address], port: mgw.port, domain: mgw.domain }],
      { address: '127.0.0.1' },
      { policy: { initialRtoMs: 50, maxRtoMs: 100, maxRetransmits: 2 }, registry },
      { localOptions: 'p:20, a:PCMU' },
    );
  });
  afterAll(async () => {
    secondary?.close();
    await port?.close();
    await mgw?.stop();
  });

  it('creates, modifies, audits and deletes a connection', async () => {
    const conn = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'bearer-1', mode: 'recvonly' });
    expect(conn).toMatchObject({ gateway: 'mgw1', callId: 'bearer-1', mode: 'recvonly' });
    expect(conn.endpoint).toMatch(/^rtpbridge\/[0-9a-f]+@mgw$/);
    expect(conn.localSdp).toMatch(/m=audio \d+ RTP\/AVP 0\r\n/);
    const modified = await port.modifyConnection(conn, { mode: 'sendrecv', remoteSdp: SDP });
    expect(modified).toMatchObject({ connectionId: conn.connectionId, mode: 'sendrecv' });
    expect(modified.localSdp).toContain(`c=IN IP4 ${mgw.rtpAddress}`);
    const audit = await port.auditEndpoint(conn.endpoint);
    expect(audit).toMatchObject({ endpoint: conn.endpoint, gateway: 'mgw1' });
    await port.deleteConnection(conn);
    const err = await port.deleteConnection(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BearerError);
    expect(err).toMatchObject({ kind: 'rejected', code: 515, gateway: 'mgw1', transient: false });
  });

  it('an unknown endpoint is a rejected BearerError carrying 500; an unknown domain names no gateway', async () => {
    const e1 = await port.auditEndpoint('rtpbridge/fff@mgw').catch((e: unknown) => e);
    expect(e1).toMatchObject({ kind: 'rejected', code: 500, text: 'FAIL', endpoint: 'rtpbridge/fff@mgw' });
    const e2 = await port.createConnection({ endpoint: 'ds/ds1-1/1@elsewhere', callId: 'x', mode: 'sendrecv' }).catch((e: unknown) => e);
    expect(e2).toMatchObject({ kind: 'unknown-gateway' });
  });

  it('a session description that would break framing is refused locally as invalid', async () => {
    const e = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'x', mode: 'sendrecv', remoteSdp: 'v=0\r\n.\r\n' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'invalid' });
  });

  it('security regression: forged RSIPs from other sources change nothing while calls go on; the configured gateway address still restarts it', async () => {
    const notices: RestartNotice[] = [];
    const audits: RestartAuditNotice[] = [];
    port.on('restart', (n) => notices.push(n));
    port.on('audited', (n) => audits.push(n));
    // Long probe interval: only an RSIP could bring the gateway back during the test.
    const health = new GatewayHealth(port, [{ name: 'mgw1', probeEndpoint: 'rtpbridge/1@mgw' }], systemClock, silentLogger, 60_000);
    const forgers = [await bindUdp('127.0.0.1', 0), await bindOtherLoopback(mgw.port)];
    const heard: string[] = [];
    for (const f of forgers) f.on('message', (m) => heard.push(m.toString()));
    const before = await rejectedTotal();
    let forged = 0;
    const flood = setInterval(() => {
      for (const f of forgers) f.send(`RSIP ${++forged} *@mgw MGCP 1.0\r\nRM: forced\r\n`, port.agent.local.port, '127.0.0.1');
    }, 20);
    try {
      // 40 "calls" (CRCX, DLCX) while forged RSIP forced arrive every 20 ms from two sources.
      let completed = 0;
      for (let i = 0; i < 40; i++) {
        expect(health.isUp('mgw1')).toBe(true);
        const c = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: `flood-${i}`, mode: 'recvonly' });
        await new Promise((r) => setTimeout(r, 10));
        await port.deleteConnection(c);
        completed++;
      }
      expect(completed).toBe(40);
    } finally {
      clearInterval(flood);
    }
    expect(forged).toBeGreaterThan(20);
    // Every forged datagram is counted once it has been read.
    for (let i = 0; i < 200 && (await rejectedTotal()) - before < forged; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await rejectedTotal()) - before).toBe(forged);
    expect(heard).toEqual([]);
    expect(notices).toEqual([]);

    // The gateway's own (second configured) address and port: taken out of service, then back.
    const real = secondary;
    const answers: string[] = [];
    real.on('message', (m) => answers.push(m.toString()));
    real.send('RSIP 9001 *@mgw MGCP 1.0\r\nRM: forced\r\n', port.agent.local.port, '127.0.0.1');
    await until(() => answers.length === 1);
    expect(answers[0]).toBe('200 9001 OK\r\n');
    expect(health.isUp('mgw1')).toBe(false);
    expect(notices).toEqual([{ gateway: 'mgw1', endpoint: '*@mgw', method: 'forced', connectionsLost: true }]);

    // A forged "restart" does not bring a down gateway back.
    forgers[0].send('RSIP 9002 *@mgw MGCP 1.0\r\nRM: restart\r\n', port.agent.local.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    expect(health.isUp('mgw1')).toBe(false);

    real.send('RSIP 9003 rtpbridge/1@mgw MGCP 1.0\r\nRM: restart\r\n', port.agent.local.port, '127.0.0.1');
    await until(() => answers.length === 2 && audits.length === 1);
    expect(health.isUp('mgw1')).toBe(true);
    expect(notices[1]).toEqual({ gateway: 'mgw1', endpoint: 'rtpbridge/1@mgw', method: 'restart', connectionsLost: true });
    // The restarted endpoint is audited at osmo-mgw, after the RSIP's answer.
    expect(audits[0]).toMatchObject({ gateway: 'mgw1', endpoint: 'rtpbridge/1@mgw', method: 'restart', audit: { endpoint: 'rtpbridge/1@mgw', connectionIds: [] } });

    // "disconnected" for the whole gateway: notice without lost connections, and an audit of "*@mgw",
    // which osmo-mgw 1.10 refuses with 500 (it audits only rtpbridge/... names).
    real.send('RSIP 9004 *@mgw MGCP 1.0\r\nRM: disconnected\r\n', port.agent.local.port, '127.0.0.1');
    await until(() => audits.length === 2);
    expect(notices[2]).toEqual({ gateway: 'mgw1', endpoint: '*@mgw', method: 'disconnected', connectionsLost: false });
    expect(audits[1].error).toMatchObject({ kind: 'rejected', code: 500, rejectCause: 'unknown-endpoint' });

    health.stop();
    for (const f of forgers) f.close();
  });
});

describe('MGCP bearer port: unreachable gateway', () => {
  it('fails with kind "unreachable" within the retransmission budget and emits unreachable', async () => {
    const dead = createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = dead.address().port;
    const port = await MgcpBearerPort.open(
      [{ name: 'dead', address: '127.0.0.1', port: deadPort, domain: 'tgw-dead' }],
      { address: '127.0.0.1' },
      { policy: { initialRtoMs: 20, maxRtoMs: 40, maxRetransmits: 3 } },
    );
    const notices: UnreachableNotice[] = [];
    port.on('unreachable', (n) => notices.push(n));
    try {
      const e = await port.createConnection({ endpoint: 'ds/ds1-1/1@tgw-dead', callId: 'c', mode: 'sendrecv' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BearerError);
      expect(e).toMatchObject({ kind: 'unreachable', gateway: 'dead', transient: true });
      expect(notices).toEqual([{ gateway: 'dead', endpoint: 'ds/ds1-1/1@tgw-dead' }]);
    } finally {
      await port.close();
      dead.close();
    }
  });
});

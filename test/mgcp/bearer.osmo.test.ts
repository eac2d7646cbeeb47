/** The protocol-neutral bearer port, implemented over MGCP, against a real osmo-mgw. */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearerError, type RestartNotice, type UnreachableNotice } from '../../src/mgcp/bearer-port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';

const SDP = 'v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('MGCP bearer port against osmo-mgw', () => {
  let mgw: OsmoMgw;
  let port: MgcpBearerPort;

  beforeAll(async () => {
    mgw = await startOsmoMgw();
    port = await MgcpBearerPort.open(
      [{ name: 'mgw1', address: mgw.address, port: mgw.port, domain: mgw.domain }],
      { address: '127.0.0.1' },
      { policy: { initialRtoMs: 50, maxRtoMs: 100, maxRetransmits: 2 } },
      { localOptions: 'p:20, a:PCMU' },
    );
  });
  afterAll(async () => {
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

  it('an RSIP from the gateway address becomes a restart notice for that gateway', async () => {
    const notices: RestartNotice[] = [];
    port.on('restart', (n) => notices.push(n));
    const s = createSocket('udp4');
    const answer = new Promise<string>((r) => s.once('message', (m) => r(m.toString())));
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.send('RSIP 77 *@mgw MGCP 1.0\r\nRM: forced\r\n', port.agent.local.port, '127.0.0.1');
    expect(await answer).toBe('200 77 OK\r\n');
    s.close();
    expect(notices).toEqual([{ gateway: 'mgw1', endpoint: '*@mgw', method: 'forced' }]);
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

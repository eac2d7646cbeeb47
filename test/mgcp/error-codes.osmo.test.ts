/**
 * osmo-mgw 1.10's refusals, provoked through the bearer port the call engine uses, and what they
 * become: BearerError kind "rejected" with the gateway's `code` and a protocol-neutral
 * `rejectCause`. Where each code comes from in osmo-mgw: src/libosmo-mgcp/mgcp_protocol.c
 * (handle_create_con, handle_modify_con, handle_delete_con) and mgcp_msg.c (mgcp_verify_ci).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BearerError, type BearerConnection } from '../../src/mgcp/bearer-port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import { hasOsmoMgw, OSMO_MGW_MISSING, startOsmoMgw, type OsmoMgw } from '../helpers/osmo-mgw.js';

const sdp = (ip: string, port: number) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;

if (!hasOsmoMgw()) console.warn(OSMO_MGW_MISSING);

describe.skipIf(!hasOsmoMgw())('MGCP return codes from osmo-mgw as BearerErrors', () => {
  let mgw: OsmoMgw;
  let port: MgcpBearerPort;
  let conn: BearerConnection;

  const refusal = async (p: Promise<unknown>): Promise<BearerError> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(BearerError);
    return e as BearerError;
  };

  beforeAll(async () => {
    mgw = await startOsmoMgw();
    port = await MgcpBearerPort.open([{ name: 'mgw1', address: mgw.address, port: mgw.port, domain: mgw.domain }], { address: '127.0.0.1' });
    conn = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'codes-1', mode: 'recvonly' });
  });
  afterAll(async () => {
    if (conn) await port.deleteConnection(conn).catch(() => {});
    await port?.close();
    await mgw?.stop();
  });

  it('400 transient: MDCX on an endpoint that holds no connection', async () => {
    const e = await refusal(port.modifyConnection({ ...conn, endpoint: 'rtpbridge/3f@mgw', connectionId: '1' }, { mode: 'sendrecv' }));
    expect(e).toMatchObject({ kind: 'rejected', code: 400, rejectCause: 'transient', transient: true, gateway: 'mgw1', endpoint: 'rtpbridge/3f@mgw' });
  });

  it('500 unknown endpoint: CRCX and AUEP on an endpoint osmo-mgw does not have', async () => {
    const e = await refusal(port.createConnection({ endpoint: 'rtpbridge/fff@mgw', callId: 'codes-2', mode: 'recvonly' }));
    expect(e).toMatchObject({ kind: 'rejected', code: 500, rejectCause: 'unknown-endpoint', transient: false });
    expect(await refusal(port.auditEndpoint('ds/ds1-1/1@mgw'))).toMatchObject({ code: 500, rejectCause: 'unknown-endpoint' });
  });

  it('510 protocol error: a session description osmo-mgw cannot parse, and a connection id over 32 characters', async () => {
    const e = await refusal(port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'codes-3', mode: 'recvonly', remoteSdp: sdp('999.1.1.1', 4000) }));
    expect(e).toMatchObject({ kind: 'rejected', code: 510, rejectCause: 'protocol-error', transient: false });
    const e2 = await refusal(port.modifyConnection({ ...conn, connectionId: 'F'.repeat(40) }, { mode: 'recvonly' }));
    expect(e2).toMatchObject({ code: 510, rejectCause: 'protocol-error' });
  });

  it('515 unknown connection: MDCX with a connection id the endpoint does not hold, DLCX of a deleted connection', async () => {
    const e = await refusal(port.modifyConnection({ ...conn, connectionId: 'DEADBEEF' }, { mode: 'recvonly' }));
    expect(e).toMatchObject({ kind: 'rejected', code: 515, rejectCause: 'unknown-connection', transient: false });
    const c = await port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'codes-4', mode: 'recvonly' });
    await port.deleteConnection(c);
    expect(await refusal(port.deleteConnection(c))).toMatchObject({ code: 515, rejectCause: 'unknown-connection' });
  });

  it('516 unknown call: MDCX and DLCX naming another call id than the endpoint serves', async () => {
    const e = await refusal(port.modifyConnection({ ...conn, callId: 'not-this-call' }, { mode: 'recvonly' }));
    expect(e).toMatchObject({ kind: 'rejected', code: 516, rejectCause: 'unknown-call', transient: false });
    expect(await refusal(port.deleteConnection({ ...conn, callId: 'not-this-call' }))).toMatchObject({ code: 516, rejectCause: 'unknown-call' });
  });

  it('517 unsupported mode: osmo-mgw 1.10 has no "inactive" (CRCX and MDCX)', async () => {
    const e = await refusal(port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'codes-5', mode: 'inactive', remoteSdp: sdp('127.0.0.1', 4002) }));
    expect(e).toMatchObject({ kind: 'rejected', code: 517, rejectCause: 'unsupported-mode', transient: false });
    expect(await refusal(port.modifyConnection(conn, { mode: 'inactive' }))).toMatchObject({ code: 517, rejectCause: 'unsupported-mode' });
  });

  it('527 missing remote description: sendrecv without the far end\'s SDP (CRCX)', async () => {
    const e = await refusal(port.createConnection({ endpoint: 'rtpbridge/*@mgw', callId: 'codes-6', mode: 'sendrecv' }));
    expect(e).toMatchObject({ kind: 'rejected', code: 527, rejectCause: 'missing-remote-sdp', transient: false });
  });

  it('after every refusal the connection that was there still works', async () => {
    const m = await port.modifyConnection(conn, { mode: 'sendrecv', remoteSdp: sdp('127.0.0.1', 4004) });
    expect(m).toMatchObject({ mode: 'sendrecv', connectionId: conn.connectionId });
  });
});

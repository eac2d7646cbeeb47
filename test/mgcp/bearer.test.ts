/**
 * The MGCP bearer port against a raw UDP socket acting as the gateway: what osmo-mgw cannot do
 * (send RSIP to a call agent off port 2727, answer 403/405/502/534/8xx, answer AUEP with I:).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BearerError, RestartAuditNotice, RestartNotice } from '../../src/mgcp/bearer-port.js';
import { MgcpBearerPort } from '../../src/mgcp/bearer.js';
import { decode, encode } from '../../src/mgcp/mgcp/codec.js';
import { response, type MgcpCommand } from '../../src/mgcp/mgcp/messages.js';
import { bindUdp, until } from '../helpers/osmo-mgw.js';

/** A scripted gateway: answers each command with `answer(cmd)` (undefined: stays silent). */
async function rawGateway(answer: (c: MgcpCommand) => ReturnType<typeof response> | undefined) {
  const s = await bindUdp();
  const commands: MgcpCommand[] = [];
  const responses: string[] = [];
  s.on('message', (m, r) => {
    for (const msg of decode(m)) {
      if (msg.type === 'command') {
        commands.push(msg);
        const a = answer(msg);
        if (a) s.send(encode({ ...a, transactionId: msg.transactionId }), r.port, r.address);
      } else if (msg.type === 'response') responses.push(m.toString('latin1'));
    }
  });
  return { socket: s, commands, responses, port: s.address().port };
}

describe('MGCP bearer port with a raw UDP gateway', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(answer: (c: MgcpCommand) => ReturnType<typeof response> | undefined, address = '127.0.0.1') {
    const gw = await rawGateway(answer);
    cleanups.push(() => new Promise<void>((r) => gw.socket.close(() => r())));
    const port = await MgcpBearerPort.open([{ name: 'tgw1', address, port: gw.port, domain: 'tgw1' }], { address: '127.0.0.1' }, {
      policy: { initialRtoMs: 50, maxRtoMs: 100, maxRetransmits: 2 },
    });
    cleanups.push(() => port.close());
    const notices: RestartNotice[] = [];
    const audits: RestartAuditNotice[] = [];
    port.on('restart', (n) => notices.push(n));
    port.on('audited', (n) => audits.push(n));
    const rsip = (txid: number, endpoint: string, lines: string) => gw.socket.send(`RSIP ${txid} ${endpoint} MGCP 1.0\r\n${lines}`, port.agent.local.port, '127.0.0.1');
    return { gw, port, notices, audits, rsip };
  }

  it('raw UDP gateway (osmo-mgw cannot produce these codes): each refusal maps to a protocol-neutral rejectCause, 4xx transient', async () => {
    const codes = [400, 401, 403, 404, 405, 409, 410, 501, 502, 505, 509, 520, 524, 526, 532, 534, 535, 539, 540, 541, 801];
    let i = 0;
    const { port } = await setUp((c) => (c.verb === 'CRCX' ? response(codes[i++], 0, 'refused') : response(200, 0, 'OK')));
    const got: Array<[number | undefined, string | undefined, boolean]> = [];
    for (let n = 0; n < codes.length; n++) {
      const e = (await port.createConnection({ endpoint: 'ds/ds1-1/1@tgw1', callId: 'c', mode: 'recvonly' }).catch((x: unknown) => x)) as BearerError;
      expect(e).toMatchObject({ name: 'BearerError', kind: 'rejected', gateway: 'tgw1', endpoint: 'ds/ds1-1/1@tgw1' });
      got.push([e.code, e.rejectCause, e.transient]);
    }
    expect(got).toEqual([
      [400, 'transient', true],
      [401, 'transient', true],
      [403, 'no-resources', true],
      [404, 'no-resources', true],
      [405, 'endpoint-not-ready', true],
      [409, 'no-resources', true],
      [410, 'no-resources', true],
      [501, 'endpoint-not-ready', false],
      [502, 'no-resources', false],
      [505, 'bad-session-description', false],
      [509, 'bad-session-description', false],
      [520, 'endpoint-not-ready', false],
      [524, 'protocol-error', false],
      [526, 'no-resources', false],
      [532, 'protocol-error', false],
      [534, 'bad-session-description', false],
      [535, 'bad-session-description', false],
      [539, 'protocol-error', false],
      [540, 'no-resources', false],
      [541, 'protocol-error', false],
      [801, 'other', false],
    ]);
  });

  it('RSIP restart with RestartDelay: the notice at once, the AUEP of the endpoint after the delay, with the I: connections it reports', async () => {
    const { gw, notices, audits, rsip } = await setUp((c) =>
      c.verb === 'AUEP' ? response(200, 0, 'OK', [{ name: 'I', value: 'A1, B2' }, { name: 'I', value: 'C3' }]) : undefined,
    );
    const sentAt = Date.now();
    rsip(500, 'ds/ds1-7/*@tgw1', 'RM: restart\r\nRD: 1\r\n');
    await until(() => gw.responses.length === 1);
    expect(gw.responses[0]).toBe('200 500 OK\r\n');
    expect(notices).toEqual([{ gateway: 'tgw1', endpoint: 'ds/ds1-7/*@tgw1', method: 'restart', delaySeconds: 1, connectionsLost: true }]);
    expect(gw.commands).toEqual([]);
    await until(() => audits.length === 1, 3000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(950);
    expect(gw.commands.map((c) => `${c.verb} ${c.endpoint}`)).toEqual(['AUEP ds/ds1-7/*@tgw1']);
    expect(audits[0]).toEqual({
      gateway: 'tgw1',
      endpoint: 'ds/ds1-7/*@tgw1',
      method: 'restart',
      audit: { endpoint: 'ds/ds1-7/*@tgw1', gateway: 'tgw1', connectionIds: ['A1', 'B2', 'C3'], details: {} },
    });
  });

  it('disconnected-endpoint procedure (§4.4.7): each RSIP disconnected of the backoff is answered and followed by an audit; a retransmitted one by neither', async () => {
    const { gw, notices, audits, rsip } = await setUp((c) => (c.verb === 'AUEP' ? response(200, 0, 'OK', [{ name: 'I', value: '1F' }]) : undefined));
    // The endpoint retries with a new transaction each time (Td doubling); one datagram is repeated.
    rsip(600, 'ds/ds1-2/5@tgw1', 'RM: disconnected\r\n');
    await until(() => audits.length === 1);
    rsip(600, 'ds/ds1-2/5@tgw1', 'RM: disconnected\r\n');
    rsip(601, 'ds/ds1-2/5@tgw1', 'RM: disconnected\r\n');
    await until(() => audits.length === 2 && gw.responses.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.responses).toEqual(['200 600 OK\r\n', '200 600 OK\r\n', '200 601 OK\r\n']);
    expect(notices).toEqual([
      { gateway: 'tgw1', endpoint: 'ds/ds1-2/5@tgw1', method: 'disconnected', connectionsLost: false },
      { gateway: 'tgw1', endpoint: 'ds/ds1-2/5@tgw1', method: 'disconnected', connectionsLost: false },
    ]);
    expect(audits.map((a) => a.audit?.connectionIds)).toEqual([['1F'], ['1F']]);
  });

  it('forced, graceful and cancel-graceful are notices without audit; an audit the gateway refuses is reported with its error', async () => {
    const { gw, notices, audits, rsip } = await setUp((c) => (c.verb === 'AUEP' ? response(501, 0, 'Not ready') : undefined));
    rsip(700, '*@tgw1', 'RM: graceful\r\nRD: 30\r\n');
    rsip(701, '*@tgw1', 'RM: cancel-graceful\r\n');
    rsip(702, '*@tgw1', 'RM: forced\r\n');
    rsip(703, 'ds/ds1-1/1@tgw1', 'RM: restart\r\n');
    await until(() => audits.length === 1);
    expect(notices.map((n) => [n.method, n.connectionsLost])).toEqual([
      ['graceful', false],
      ['cancel-graceful', false],
      ['forced', true],
      ['restart', true],
    ]);
    expect(gw.commands.map((c) => c.verb)).toEqual(['AUEP']);
    expect(audits[0].error).toMatchObject({ kind: 'rejected', code: 501, rejectCause: 'endpoint-not-ready' });
  });

  it('a second RSIP restart for the same endpoint before its audit replaces the first: one AUEP', async () => {
    const { gw, audits, rsip } = await setUp((c) => (c.verb === 'AUEP' ? response(200, 0, 'OK') : undefined));
    rsip(850, 'ds/ds1-4/*@tgw1', 'RM: restart\r\nRD: 1\r\n');
    rsip(851, 'DS/DS1-4/*@tgw1', 'RM: restart\r\nRD: 1\r\n');
    await until(() => audits.length === 1, 3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.commands.map((c) => c.verb)).toEqual(['AUEP']);
  });

  it('a restart audit still pending when the port closes is not sent', async () => {
    const { gw, port, rsip } = await setUp(() => response(200, 0, 'OK'));
    rsip(800, '*@tgw1', 'RM: restart\r\nRD: 1\r\n');
    await until(() => gw.responses.length === 1);
    await port.close();
    await new Promise((r) => setTimeout(r, 1200));
    expect(gw.commands).toEqual([]);
  });

  it('raw UDP gateway (osmo-mgw never sends 100): a provisional answer stops retransmission, the late final with K: is acknowledged with 000', async () => {
    const answered: number[] = [];
    const { gw, port } = await setUp((c) => {
      if (c.verb !== 'CRCX') return undefined;
      answered.push(Date.now());
      // First copy: 100 now, the final 600 ms later asking for a response acknowledgement.
      if (answered.length === 1) {
        const peer = { port: port.agent.local.port, address: '127.0.0.1' };
        setTimeout(() => {
          gw.socket.send(encode(response(200, c.transactionId, 'OK', [{ name: 'I', value: '9A' }, { name: 'K', value: '' }])), peer.port, peer.address);
        }, 600);
        return response(100, 0, 'Pending');
      }
      return undefined;
    });
    const started = Date.now();
    const conn = await port.createConnection({ endpoint: 'ds/ds1-1/1@tgw1', callId: 'slow', mode: 'recvonly' });
    expect(conn.connectionId).toBe('9A');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    // The retransmission timer here is 50 ms: without the 100 there would have been copies.
    expect(answered).toHaveLength(1);
    await until(() => gw.responses.length === 1);
    expect(gw.responses[0]).toMatch(/^000 \d+/);
  });

  it('a gateway configured by host name is trusted at the addresses the name resolves to; an unresolvable name is SSW_ERR_CONFIG_INVALID', async () => {
    const { gw, notices, rsip } = await setUp(() => undefined, 'localhost');
    rsip(900, '*@tgw1', 'RM: forced\r\n');
    await until(() => gw.responses.length === 1);
    expect(notices).toHaveLength(1);
    await expect(MgcpBearerPort.open([{ name: 'x', address: 'no-such-gateway.invalid', port: 2427, domain: 'x' }])).rejects.toMatchObject({
      code: 'SSW_ERR_CONFIG_INVALID',
    });
  });
});

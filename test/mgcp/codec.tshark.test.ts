import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/mgcp/mgcp/codec.js';
import { command, response, type MgcpMessage } from '../../src/mgcp/mgcp/messages.js';
import { findAll, findField, tsharkJudge } from '../helpers/tshark.js';

const hasTshark = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'pipe' });
    execFileSync('text2pcap', ['-h'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';

const messages: MgcpMessage[] = [
  command('CRCX', 1001, 'ds/ds1-1/1@tgw1.example.net', [
    { name: 'C', value: 'A3C47F21456789F0' },
    { name: 'L', value: 'p:20, a:PCMA' },
    { name: 'M', value: 'recvonly' },
  ], SDP),
  response(200, 1001, 'OK', [{ name: 'I', value: 'FDE234C8' }], SDP),
  command('MDCX', 1002, 'ds/ds1-1/1@tgw1.example.net', [
    { name: 'C', value: 'A3C47F21456789F0' },
    { name: 'I', value: 'FDE234C8' },
    { name: 'M', value: 'sendrecv' },
  ]),
  command('DLCX', 1003, 'ds/ds1-1/1@tgw1.example.net', [{ name: 'C', value: 'A3C47F21456789F0' }, { name: 'I', value: 'FDE234C8' }]),
  response(250, 1003, 'OK', [{ name: 'P', value: 'PS=1245, OS=62345, PR=780, OR=45123, PL=10, JI=27' }]),
  command('AUEP', 1004, 'ds/ds1-1/2@tgw1.example.net', [{ name: 'F', value: 'I,M' }]),
  response(500, 1004, 'Endpoint unknown'),
  command('RQNT', 1005, 'aaln/1@rgw.example.net', [{ name: 'X', value: '0123456789AB' }, { name: 'R', value: 'L/hu(N)' }]),
  response(0, 1006, ''),
];

describe.skipIf(!hasTshark)('MGCP codec judged by tshark', () => {
  it('tshark decodes every encoded message with the same verb, transaction id, endpoint and parameters', () => {
    const { packets, problems } = tsharkJudge(messages.map((m) => encode(m)), ['-u', '2427,2727']);
    expect(problems).toBe('');
    expect(packets).toHaveLength(messages.length);
    messages.forEach((m, i) => {
      const layers = packets[i]._source.layers;
      expect(layers.mgcp, `frame ${i} has an MGCP layer`).toBeDefined();
      expect(findField(layers.mgcp, 'mgcp.transid')).toBe(String(m.transactionId));
      if (m.type === 'command') {
        expect(findField(layers.mgcp, 'mgcp.req.verb')).toBe(m.verb);
        expect(findField(layers.mgcp, 'mgcp.req.endpoint')).toBe(m.endpoint);
        expect(findField(layers.mgcp, 'mgcp.version')).toBe('MGCP 1.0');
      } else {
        expect(Number(findField(layers.mgcp, 'mgcp.rsp.rspcode'))).toBe(m.code);
      }
      const byName: Record<string, string> = {
        C: 'mgcp.param.callid',
        I: 'mgcp.param.connectionid',
        M: 'mgcp.param.connectionmode',
        X: 'mgcp.param.requestid',
        R: 'mgcp.param.reqevents',
        F: 'mgcp.param.reqinfo',
      };
      for (const p of m.params) {
        const field = byName[p.name];
        if (field) expect(findAll(layers.mgcp, field), `${field} in frame ${i}`).toContain(p.value);
      }
      if (m.params.some((p) => p.name === 'P')) {
        expect(findField(layers.mgcp, 'mgcp.param.connectionparam.ps')).toBe('1245');
        expect(findField(layers.mgcp, 'mgcp.param.connectionparam.ji')).toBe('27');
      }
      const l = m.params.find((p) => p.name === 'L');
      if (l) {
        // tshark shows L: as a subtree of its options (RFC 3435 §3.2.2.10).
        expect(findField(layers.mgcp, 'mgcp.param.localconnectionoptions.p')).toBe('20');
        expect(findField(layers.mgcp, 'mgcp.param.localconnectionoptions.a')).toBe('PCMA');
      }
      if (m.sdp) {
        expect(layers.sdp, `SDP body of frame ${i}`).toBeDefined();
        expect(findField(layers.sdp, 'sdp.connection_info.address')).toBe('10.0.0.1');
        expect(findField(layers.sdp, 'sdp.media.port')).toBe('4000');
      }
    });
  });

  it('tshark reads piggy-backed messages in one datagram', () => {
    const { packets, problems } = tsharkJudge([encode([response(200, 2001, 'OK'), messages[3]])], ['-u', '2427,2727']);
    expect(problems).toBe('');
    expect(findAll(packets[0]._source.layers, 'mgcp.transid')).toEqual(['2001', '1003']);
    expect(findField(packets[0]._source.layers, 'mgcp.req.verb')).toBe('DLCX');
  });
});

import { describe, expect, it } from 'vitest';
import { decode, encode, checkEncodable } from '../../src/mgcp/mgcp/codec.js';
import { describeReturnCode, LIMITS, RETURN_CODES, VERBS } from '../../src/mgcp/mgcp/constants.js';
import { command, paramValue, response, type MgcpCommand, type MgcpDecoded, type MgcpResponse } from '../../src/mgcp/mgcp/messages.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const one = (s: string): MgcpDecoded => {
  const out = decode(b(s));
  expect(out).toHaveLength(1);
  return out[0];
};

describe('MGCP codec: RFC 3435 examples', () => {
  it('decodes the §2.3.5 CreateConnection example', () => {
    const m = one('CRCX 1204 aaln/1@rgw-2567.whatever.net MGCP 1.0\nC: A3C47F21456789F0\nL: p:10, a:PCMU\nM: recvonly\n');
    expect(m).toEqual({
      type: 'command',
      verb: 'CRCX',
      transactionId: 1204,
      endpoint: 'aaln/1@rgw-2567.whatever.net',
      version: '1.0',
      params: [
        { name: 'C', value: 'A3C47F21456789F0' },
        { name: 'L', value: 'p:10, a:PCMU' },
        { name: 'M', value: 'recvonly' },
      ],
    });
  });

  it('decodes a response with its session description after the empty line', () => {
    const sdp = 'v=0\r\no=- 25678 753849 IN IP4 128.96.41.1\r\ns=-\r\nc=IN IP4 128.96.41.1\r\nt=0 0\r\nm=audio 3456 RTP/AVP 0\r\n';
    const m = one(`200 1204 OK\r\nI: FDE234C8\r\n\r\n${sdp}`) as MgcpResponse;
    expect(m.type).toBe('response');
    expect(m.code).toBe(200);
    expect(m.transactionId).toBe(1204);
    expect(m.comment).toBe('OK');
    expect(paramValue(m, 'i')).toBe('FDE234C8');
    expect(m.sdp).toBe(sdp);
  });

  it('decodes piggy-backed messages separated by "." lines (§3.5.5)', () => {
    const out = decode(b('200 2005 OK\n.\nDLCX 1244 card23/21@tgw-7.example.net MGCP 1.0\nC: A3C47F21456789F0\nI: FDE234C8\n'));
    expect(out.map((m) => m.type)).toEqual(['response', 'command']);
    expect((out[1] as MgcpCommand).verb).toBe('DLCX');
    expect(paramValue(out[1] as MgcpCommand, 'I')).toBe('FDE234C8');
  });

  it('decodes RSIP and NTFY from a gateway (§2.3.12, §2.3.4)', () => {
    const rsip = one('RSIP 1200 *@rgw-2567.whatever.net MGCP 1.0\nRM: restart\nRD: 0\n') as MgcpCommand;
    expect([rsip.verb, rsip.endpoint, paramValue(rsip, 'RM'), paramValue(rsip, 'RD')]).toEqual(['RSIP', '*@rgw-2567.whatever.net', 'restart', '0']);
    const ntfy = one('NTFY 2002 aaln/1@rgw-2567.whatever.net MGCP 1.0\nN: ca@ca1.whatever.net:5678\nX: 0123456789AC\nO: L/hd,D/9,D/1\n') as MgcpCommand;
    expect(paramValue(ntfy, 'O')).toBe('L/hd,D/9,D/1');
    expect(paramValue(ntfy, 'N')).toBe('ca@ca1.whatever.net:5678');
  });

  it('reads package-specific 8xx codes with their package name (§3.3)', () => {
    expect(one('801 5 /foo Package failure\n')).toMatchObject({ code: 801, packageName: 'foo', comment: 'Package failure' });
  });

  it('treats verbs, parameter names and "MGCP" case-insensitively, and tabs as white space', () => {
    const m = one('crcx\t7 ds/ds1-1/1@tgw mgcp 1.0\nc:abc\nm:\tsendrecv \n') as MgcpCommand;
    expect([m.verb, paramValue(m, 'C'), paramValue(m, 'M')]).toEqual(['CRCX', 'abc', 'sendrecv']);
  });
});

describe('MGCP codec: osmo-mgw tests/mgcp/mgcp_test.c vectors', () => {
  it('AUEP request and its 200/500 answers', () => {
    expect(one('AUEP 158663169 ds/e1-1/2@172.16.6.66 MGCP 1.0\r\n')).toMatchObject({ verb: 'AUEP', transactionId: 158663169, endpoint: 'ds/e1-1/2@172.16.6.66' });
    expect(one('500 18983213 FAIL\r\n')).toMatchObject({ type: 'response', code: 500, transactionId: 18983213, comment: 'FAIL' });
  });

  it('DLCX answer 250 with connection parameters and an X- extension', () => {
    const m = one('250 7 OK\r\nP: PS=0, OS=0, PR=0, OR=0, PL=0, JI=0\r\nX-Osmo-CP: EC TI=0, TO=0\r\n') as MgcpResponse;
    expect(paramValue(m, 'P')).toBe('PS=0, OS=0, PR=0, OR=0, PL=0, JI=0');
    expect(paramValue(m, 'X-OSMO-CP')).toBe('EC TI=0, TO=0');
  });

  it('RQNT with requested events', () => {
    const m = one('RQNT 186908781 1@mgw MGCP 1.0\r\nX: ADD4F26746F\r\nR: D/[0-9#*](N), G/ft, fxr/t38\r\n') as MgcpCommand;
    expect(paramValue(m, 'R')).toBe('D/[0-9#*](N), G/ft, fxr/t38');
  });

  it('CRCX with SDP, params ending in CRLF and the answer ending its params in bare LF', () => {
    const m = one('CRCX 2 1@mgw MGCP 1.0\r\nM: recvonly\r\nC: 2\r\nI: 1\r\nL: p:20\r\n\r\nv=0\r\nc=IN IP4 123.12.12.123\r\nm=audio 5904 RTP/AVP 97\r\na=rtpmap:97 GSM-EFR/8000\r\na=ptime:40\r\n') as MgcpCommand;
    expect(m.sdp).toContain('m=audio 5904 RTP/AVP 97\r\n');
    const r = one('200 2 OK\r\nI: 1\n\nv=0\r\no=- 1 23 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 16002 RTP/AVP 97\r\n') as MgcpResponse;
    expect(paramValue(r, 'I')).toBe('1');
    expect(r.sdp?.split('\r\n')[0]).toBe('v=0');
  });

  it('short commands are 510 protocol errors, an empty datagram has nothing to answer', () => {
    expect(one('CRCX \r\n')).toMatchObject({ type: 'error', code: 510 });
    expect(one('CRCX \r\n')).not.toHaveProperty('transactionId');
    expect(one('CRCX 1')).toMatchObject({ type: 'error', code: 510, transactionId: 1 });
    expect(one('CRCX 1 1@mgw')).toMatchObject({ type: 'error', code: 510, transactionId: 1 });
    expect(one('CRCX 1 1@mgw MGCP')).toMatchObject({ type: 'error', code: 510, transactionId: 1 });
    expect(one('CRCX 1 1@mgw MGCP 1.0')).toMatchObject({ type: 'command', transactionId: 1 });
    expect(one('\r\n')).toMatchObject({ type: 'error', code: 510 });
    expect(one('\r\n')).not.toHaveProperty('transactionId');
  });

  it('fuzz regressions: a datagram ending in a bare CR is a 510; an SDP without a final line end gets CRLF', () => {
    expect(one('CRCX 1 a@b MGCP 1.0\r\nM: recvonly\r\n\r\nv=0\r')).toMatchObject({ type: 'error', code: 510, transactionId: 1 });
    expect(one('CRCX 1 a@b MGCP 1.0\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 1.2.3.4')).toMatchObject({ sdp: 'v=0\r\nc=IN IP4 1.2.3.4\r\n' });
    expect(one('CRCX 1 a@b MGCP 1.0\nM: recvonly\n\nv=0\nc=IN IP4 1.2.3.4\n\n')).toMatchObject({ sdp: 'v=0\r\nc=IN IP4 1.2.3.4\r\n' });
  });

  it('a parameter line without a colon ("X" in CRCX_MULT_1) is a 510', () => {
    expect(one('CRCX 2 1@mgw MGCP 1.0\r\nI: 4711\r\nX\r\nL: p:20\r\n')).toMatchObject({ code: 510, transactionId: 2 });
  });

  it('a bare CR as line end (osmo-mgw CRCX_ZYN tolerates it) is refused: RFC 3435 §3.1 allows CRLF or LF only', () => {
    expect(one('CRCX 2 1@mgw MGCP 1.0\rM: recvonly\rC: 2\r\n')).toMatchObject({ type: 'error', code: 510 });
  });
});

describe('MGCP codec: error values carry the code to answer', () => {
  it.each([
    ['FOO 12 a@b MGCP 1.0\n', 504, 12],
    ['AUCX 13 a@b MGCP 2.0\n', 528, 13],
    ['AUEP 14 noatsign MGCP 1.0\n', 500, 14],
    ['AUEP 15 @domain MGCP 1.0\n', 500, 15],
    ['AUEP 16 a@b XGCP 1.0\n', 510, 16],
    ['AUEP 1000000000 a@b MGCP 1.0\n', 510, undefined],
    ['AUEP -1 a@b MGCP 1.0\n', 510, undefined],
    ['AUEP 17 a@b MGCP 1.0\n: novalue\n', 510, 17],
    ['AUEP 18 a@b MGCP 1.0\nC\x00: x\n', 510, 18],
  ])('%j → %i', (input, code, txid) => {
    const m = one(input);
    expect(m.type).toBe('error');
    if (m.type !== 'error') return;
    expect(m.code).toBe(code);
    expect(m.transactionId).toBe(txid);
  });

  it('errors in responses are marked so nobody answers them', () => {
    expect(one('200 x OK\n')).toMatchObject({ type: 'error', inResponse: true });
    expect(one('200 9 OK\nno colon\n')).toMatchObject({ type: 'error', inResponse: true, transactionId: 9 });
  });

  it('enforces line, parameter, datagram and piggy-back limits', () => {
    expect(one(`AUEP 1 a@b MGCP 1.0\nX: ${'a'.repeat(LIMITS.maxLine)}\n`)).toMatchObject({ code: 510, transactionId: 1 });
    const many = Array.from({ length: LIMITS.maxParams + 1 }, (_, i) => `X${i}: v`).join('\n');
    expect(one(`AUEP 1 a@b MGCP 1.0\n${many}\n`)).toMatchObject({ code: 510, transactionId: 1 });
    expect(one('A'.repeat(LIMITS.maxDatagram + 1))).toMatchObject({ code: 510 });
    const piggy = Array.from({ length: LIMITS.maxMessagesPerDatagram + 3 }, (_, i) => `200 ${i} OK`).join('\n.\n');
    const out = decode(b(piggy));
    expect(out).toHaveLength(LIMITS.maxMessagesPerDatagram + 1);
    expect(out.at(-1)).toMatchObject({ type: 'error', code: 510 });
    const bigSdp = `AUEP 1 a@b MGCP 1.0\n\n${'a=x\n'.repeat(LIMITS.maxSdpBytes / 4)}`;
    expect(decode(b(bigSdp))[0]).toMatchObject({ type: 'error', code: 510 });
  });

  it('one bad piggy-backed message does not hide the others', () => {
    const out = decode(b('FOO 1 a@b MGCP 1.0\n.\nAUEP 2 a@b MGCP 1.0\n'));
    expect(out.map((m) => m.type)).toEqual(['error', 'command']);
  });
});

describe('MGCP codec: encoding', () => {
  it('writes CRLF lines, the empty line before SDP, and "." between piggy-backed messages', () => {
    const crcx = command('CRCX', 42, 'ds/ds1-1/1@tgw', [{ name: 'C', value: 'c1' }, { name: 'M', value: 'recvonly' }], 'v=0\nc=IN IP4 10.0.0.1\n');
    const ack = response(0, 41, '');
    expect(encode([ack, crcx]).toString('latin1')).toBe(
      '000 41\r\n.\r\nCRCX 42 ds/ds1-1/1@tgw MGCP 1.0\r\nC: c1\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 10.0.0.1\r\n',
    );
    expect(encode(response(200, 5, 'OK', [{ name: 'K', value: '' }])).toString()).toBe('200 5 OK\r\nK:\r\n');
  });

  it('round-trips every verb and every return code of the tables', () => {
    for (const verb of VERBS) {
      const m = command(verb, 123456789, 'aaln/1@gw.example', [{ name: 'X', value: '1' }]);
      expect(decode(encode(m))).toEqual([m]);
    }
    for (const code of Object.keys(RETURN_CODES).map(Number)) {
      const m = response(code, 7, describeReturnCode(code));
      expect(decode(encode(m))).toEqual([m]);
    }
  });

  it('refuses what would break framing: line breaks in values, a "." line in SDP, bad endpoints', () => {
    expect(checkEncodable(command('CRCX', 1, 'a@b', [{ name: 'C', value: 'x\r\nM: sendrecv' }]))).toMatch(/control/);
    expect(checkEncodable(command('CRCX', 1, 'a@b', [], 'v=0\r\n.\r\nAUEP 1 x@y MGCP 1.0\r\n'))).toMatch(/"\."/);
    expect(checkEncodable(command('CRCX', 1, 'a b@c'))).toMatch(/endpoint/);
    expect(checkEncodable(command('CRCX', 1_000_000_000, 'a@b'))).toMatch(/transaction/);
    expect(() => encode(command('CRCX', 1, 'nodomain'))).toThrow(TypeError);
  });
});

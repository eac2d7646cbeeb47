/**
 * Hostile datagrams against the embedded port's real UDP socket: nothing a peer sends may throw
 * out of the socket handler (an uncaught exception stops the whole switch), and the port keeps
 * answering afterwards.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { crlf } from './fixtures.js';

function request(method: string, via: string, branch: string, extra: string[] = []): Buffer {
  return crlf([
    `${method} sip:+4930123456@127.0.0.1 SIP/2.0`,
    `Via: ${via};branch=${branch}`,
    'From: <sip:a@127.0.0.1>;tag=a1',
    'To: <sip:b@127.0.0.1>',
    `Call-ID: ${branch}@hostile`,
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ]);
}

describe('embedded port under hostile datagrams', () => {
  let port: EmbeddedSignallingPort;
  let sock: Socket;
  let local: number;
  const got: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeEach(async () => {
    got.length = 0;
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
    port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock });
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    local = sock.address().port;
    sock.on('message', (m) => got.push(m.toString('utf8')));
  });
  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    sock.close();
    await port.close();
  });

  const send = (b: Buffer) => new Promise<void>((r) => sock.send(b, port.port, '127.0.0.1', () => r()));
  const waitFor = async (re: RegExp, ms = 1000) => {
    const end = Date.now() + ms;
    while (!got.some((g) => re.test(g)) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return got.find((g) => re.test(g));
  };

  it('a Via port or rport the socket cannot send to (0, 99999, "abc") is not an escaping exception', async () => {
    port.onInvite(() => undefined);
    await send(request('OPTIONS', 'SIP/2.0/UDP 127.0.0.1:0', 'z9hG4bK-p0'));
    await send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${local};rport=abc`, 'z9hG4bK-pabc'));
    await send(request('INVITE', `SIP/2.0/UDP 127.0.0.1:${local};rport=99999`, 'z9hG4bK-p99999'));
    await new Promise((r) => setTimeout(r, 100));
    await send(request('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${local}`, 'z9hG4bK-ok'));
    expect(await waitFor(/^SIP\/2\.0 200 [^]*z9hG4bK-ok/)).toBeDefined();
    expect(uncaught).toEqual([]);
  });

  it('an application listener that throws on cancel does not take the socket down', async () => {
    port.onInvite((req) => req.on('cancel', () => {
      throw new Error('application bug');
    }));
    const via = `SIP/2.0/UDP 127.0.0.1:${local}`;
    await send(request('INVITE', via, 'z9hG4bK-c1'));
    expect(await waitFor(/^SIP\/2\.0 100 /)).toBeDefined();
    await send(Buffer.from(request('CANCEL', via, 'z9hG4bK-c1').toString().replace('z9hG4bK-c1@hostile', 'z9hG4bK-c1@hostile')));
    expect(await waitFor(/^SIP\/2\.0 487 /)).toBeDefined();
    await send(request('OPTIONS', via, 'z9hG4bK-after'));
    expect(await waitFor(/^SIP\/2\.0 200 [^]*z9hG4bK-after/)).toBeDefined();
    expect(uncaught).toEqual([]);
  });
});

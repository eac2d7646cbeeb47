/**
 * The embedded stack over TCP and TLS (RFC 3261 §18) with real peers: a large INVITE that would go
 * over UDP goes over TCP to a SIPp UAS listening on TCP (§18.1.1); `openssl s_client` (a TLS client
 * that is not ours) sends OPTIONS and a whole call over TLS; connection failure → 503. Framing
 * errors, keep-alive pings, the per-source cap and the idle timeout are exercised with a plain
 * socket playing the peer (no third-party tool sends broken streams on purpose).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';
import { SipError } from '../../src/sip/port.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { GATEWAY_SDP, startTestApp } from './test-app.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A TCP port nobody listens on (bound and released). */
async function closedTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** An SDP well over 1300 bytes (many codecs and attributes), so the INVITE cannot go in a datagram. */
const BIG_SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 8 18 101', 'a=rtpmap:0 PCMU/8000']
  .concat(Array.from({ length: 40 }, (_, i) => `a=x-padding-${i}:${'0123456789abcdef'.repeat(3)}`))
  .join('\r\n') + '\r\n';

/** Reads from a socket or a child's stdout until `pattern` shows up. */
function reader(stream: NodeJS.ReadableStream) {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return {
    get text() {
      return text;
    },
    wait: (pattern: RegExp, what: string, ms = 10_000) => until(() => pattern.test(text), `${what} (got: ${JSON.stringify(text.slice(-400))})`, ms),
  };
}

describe.skipIf(!hasSipp())('UDP → TCP for a request over 1300 bytes (RFC 3261 §18.1.1), SIPp UAS on TCP', () => {
  it('a large INVITE toward a URI without transport goes over TCP; the call is answered, ACKed and released over the connection', async () => {
    const registry = new Registry();
    const port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock, registry });
    try {
      const sippPort = await freeUdpPort();
      const sipp = runSipp({ scenario: 'uas', localPort: sippPort, timeoutS: 20, args: ['-t', 't1', '-m', '1'] });
      // SIPp listens on TCP once it is up.
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const s = connect(sippPort, '127.0.0.1', () => (s.destroy(), resolve(true)));
            s.on('error', () => resolve(false));
          }),
        'SIPp to listen on TCP',
      );
      const dialog = await port.createUAC(`sip:service@127.0.0.1:${sippPort}`, { localSdp: BIG_SDP });
      expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'outbound' })).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      await dialog.destroy();
      const r = await sipp;
      expect(r.exitCode, r.stdout.slice(-1500) + r.stderr.slice(-500)).toBe(0);
      expect(r.stats.successful).toBe(1);
      // One connection carried INVITE, ACK and BYE (reused, §18.1.1).
      expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tcp', direction: 'outbound' })).toBe(1);
    } finally {
      await port.close();
    }
  }, 40_000);

  it('a small INVITE stays on UDP (SIPp UAS on UDP answers it)', async () => {
    const registry = new Registry();
    const port = await EmbeddedSignallingPort.create({ address: '127.0.0.1', port: 0, logger: silentLogger, clock: systemClock, registry });
    try {
      const sippPort = await freeUdpPort();
      const sipp = runSipp({ scenario: 'uas', localPort: sippPort, timeoutS: 20, args: ['-m', '1'] });
      await new Promise((r) => setTimeout(r, 500));
      const dialog = await port.createUAC(`sip:service@127.0.0.1:${sippPort}`, { localSdp: GATEWAY_SDP, timeoutMs: 10_000 });
      await dialog.destroy();
      const r = await sipp;
      expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
      expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tcp' })).toBe(0);
    } finally {
      await port.close();
    }
  }, 40_000);
});

describe('TCP connections', () => {
  let port: EmbeddedSignallingPort;
  let registry: Registry;
  const sockets: Socket[] = [];
  const open = async () => {
    const s = connect(port.port, '127.0.0.1');
    sockets.push(s);
    await new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('error', reject));
    return s;
  };
  beforeAll(async () => {
    registry = new Registry();
    ({ port } = await startTestApp({ registry, stream: { maxConnectionsPerSource: 3, idleTimeoutMs: 1500 } }));
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });
  afterAll(async () => {
    await port.close();
  });

  it('listens on TCP at the UDP port number (§18.2.1) and answers over the connection the request came on', async () => {
    const s = await open();
    const r = reader(s);
    s.write(
      'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-1\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tcp-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    );
    await r.wait(/SIP\/2\.0 200[\s\S]*\r\n\r\n/, '200 to OPTIONS');
    expect(r.text).toMatch(/Via: SIP\/2\.0\/TCP 127\.0\.0\.1:9;branch=z9hG4bK-tcp-1;received=|Via: SIP\/2\.0\/TCP 127\.0\.0\.1:9;branch=z9hG4bK-tcp-1/);
  });

  it('answers a CRLFCRLF keep-alive with CRLF (RFC 5626 §4.4.1)', async () => {
    const s = await open();
    const r = reader(s);
    s.write('\r\n\r\n');
    await r.wait(/^\r\n$/, 'pong');
  });

  it('a request without Content-Length gets 400 and the connection is closed (§18.3)', async () => {
    const s = await open();
    const r = reader(s);
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-2\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tcp-2\r\nCSeq: 1 OPTIONS\r\n\r\n');
    await closed;
    expect(r.text).toMatch(/^SIP\/2\.0 400 /);
    await until(async () => (await metric(registry, 'softswitch_sip_connections_closed_total', { transport: 'tcp', reason: 'framing' })) === 1, 'the close counted as framing');
  });

  it('a message over the bound is answered 413 and the connection closed', async () => {
    const s = await open();
    const r = reader(s);
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.write('OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-3\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tcp-3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 900000\r\n\r\n');
    await closed;
    expect(r.text).toMatch(/^SIP\/2\.0 413 /);
  });

  it('caps inbound connections per source address; more are closed at once', async () => {
    const before = await metric(registry, 'softswitch_sip_connections_closed_total', { transport: 'tcp', reason: 'limit' });
    const held = [await open(), await open(), await open()];
    const extra = await open();
    await new Promise<void>((resolve) => extra.on('close', () => resolve()));
    expect(held.every((s) => !s.destroyed)).toBe(true);
    expect((await metric(registry, 'softswitch_sip_connections_closed_total', { transport: 'tcp', reason: 'limit' })) - before).toBe(1);
  });

  it('closes a connection idle past its timeout', async () => {
    await until(() => port.connections.tcp === 0, 'earlier connections to go');
    const s = await open();
    const t0 = Date.now();
    await new Promise<void>((resolve) => s.on('close', () => resolve()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await until(async () => (await metric(registry, 'softswitch_sip_connections_closed_total', { transport: 'tcp', reason: 'idle' })) >= 1, 'the close counted as idle');
  }, 15_000);

  it('a request over TCP to a port nobody listens on fails with 503 (transport error, §8.1.3.1)', async () => {
    const dead = await closedTcpPort();
    const t0 = Date.now();
    const res = await port.request(`sip:127.0.0.1:${dead};transport=tcp`, { method: 'OPTIONS' });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(port.createUAC(`sip:x@127.0.0.1:${dead};transport=tcp`, { localSdp: GATEWAY_SDP })).rejects.toMatchObject({ status: 503 });
    expect(await metric(registry, 'softswitch_sip_connections_closed_total', { transport: 'tcp', reason: 'connect-failed' })).toBeGreaterThanOrEqual(2);
  });

  it('refuses a URI asking for a transport that is not open (sips: without TLS) with 503', async () => {
    await expect(port.createUAC('sips:x@127.0.0.1:5061', { localSdp: GATEWAY_SDP })).rejects.toBeInstanceOf(SipError);
  });
});

describe.skipIf(!hasOpenssl)('TLS (node:tls), openssl s_client as the client', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  let port: EmbeddedSignallingPort;
  let registry: Registry;
  let client: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssw-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
    registry = new Registry();
    ({ port } = await startTestApp({ registry, transports: ['udp', 'tcp', 'tls'], tls: { cert, key, ca: cert } }));
  }, 30_000);
  afterEach(() => {
    client?.kill('SIGKILL');
    client = undefined;
  });
  afterAll(async () => {
    await port?.close();
  });

  const sClient = () => {
    client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port.portOf('tls')}`, '-CAfile', join(dir, 'cert.pem'), '-verify_return_error', '-quiet', '-no_ign_eof'], { stdio: 'pipe' });
    return { child: client, out: reader(client.stdout) };
  };

  it('listens on its own port (not the UDP/TCP one) and verifies against the configured certificate', () => {
    expect(port.portOf('tls')).toBeGreaterThan(0);
    expect(port.portOf('tls')).not.toBe(port.port);
  });

  it('answers OPTIONS over TLS; the answer rides the same TLS connection', async () => {
    const { child, out } = sClient();
    child.stdin.write(
      `OPTIONS sip:127.0.0.1:${port.portOf('tls')};transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK-tls-1\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: tls-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    );
    await out.wait(/SIP\/2\.0 200 OK[\s\S]*Content-Length: 0\r\n\r\n/, '200 over TLS', 15_000);
    expect(out.text).toMatch(/Via: SIP\/2\.0\/TLS 127\.0\.0\.1:9;branch=z9hG4bK-tls-1/);
    expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tls', direction: 'inbound' })).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('carries a whole call over TLS: INVITE → 200 (Contact with transport=tls), ACK, BYE → 200', async () => {
    const { child, out } = sClient();
    const common = (method: string, seq: number, toTag = '') =>
      `Via: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK-tls-${method}-${seq}\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:2125550100@127.0.0.1>${toTag}\r\nCall-ID: tls-call-1\r\nCSeq: ${seq} ${method}\r\nMax-Forwards: 70\r\nContact: <sip:alice@127.0.0.1:9;transport=tls>\r\n`;
    const sdp = GATEWAY_SDP;
    child.stdin.write(`INVITE sip:2125550100@127.0.0.1 SIP/2.0\r\n${common('INVITE', 1)}Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`);
    await out.wait(/SIP\/2\.0 200 OK[\s\S]*?\r\n\r\n/, '200 to INVITE', 15_000);
    const tag = /To: [^\r\n]*;tag=([^;\r\n]+)/.exec(out.text.slice(out.text.indexOf('SIP/2.0 200')))![1];
    expect(out.text).toMatch(/Contact: <sip:127\.0\.0\.1:\d+;transport=tls>/);
    child.stdin.write(`ACK sip:2125550100@127.0.0.1 SIP/2.0\r\n${common('ACK', 1, `;tag=${tag}`)}Content-Length: 0\r\n\r\n`);
    child.stdin.write(`BYE sip:2125550100@127.0.0.1 SIP/2.0\r\n${common('BYE', 2, `;tag=${tag}`)}Content-Length: 0\r\n\r\n`);
    await out.wait(/CSeq: 2 BYE/, '200 to BYE', 15_000);
    expect(out.text).toMatch(/SIP\/2\.0 200 OK\r\n(?:[^\r\n]+\r\n)*CSeq: 2 BYE\r\n/);
    expect(port.core.dialogCount).toBe(0);
  }, 30_000);

  it('sends over TLS to a peer (our own stack as the server): OPTIONS to transport=tls, verified with caFile', async () => {
    const peer = await startTestApp({ transports: ['tls'], tls: { cert, key } });
    try {
      const res = await port.request(`sip:127.0.0.1:${peer.port.portOf('tls')};transport=tls`, { method: 'OPTIONS', timeoutMs: 10_000 });
      expect(res.status).toBe(200);
      expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tls', direction: 'outbound' })).toBe(1);
      // sips: means TLS too (RFC 3261 §26.2).
      const d = await port.createUAC(`sips:2125550100@127.0.0.1:${peer.port.portOf('tls')}`, { localSdp: GATEWAY_SDP, timeoutMs: 10_000 });
      await d.destroy();
      expect(await metric(registry, 'softswitch_sip_connections_total', { transport: 'tls', direction: 'outbound' })).toBe(1);
    } finally {
      await peer.port.close();
    }
  }, 30_000);
});

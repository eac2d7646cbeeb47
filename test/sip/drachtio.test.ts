import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrachtioSignallingPort } from '../../src/sip/drachtio-adapter.js';
import type { InboundRequest, InviteResponder } from '../../src/sip/port.js';
import { directionOf, mirror } from '../../src/calls/sdp-direction.js';
import { silentLogger } from '../../src/util/log.js';
import { createServer } from 'node:net';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { SDP } from './fixtures.js';
import { drachtioBinary, drachtioSkipReason, startDrachtioServer, type DrachtioServer } from '../helpers/drachtio-server.js';

const scenario = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));

// A drachtio-server: the one in DRACHTIO_HOST/PORT/SECRET if set, else one started here from the
// binary scripts/build-drachtio.sh built.
const external = process.env.DRACHTIO_HOST;
const available = !!external || !!drachtioBinary();
let server: DrachtioServer | undefined;
const target = () =>
  external
    ? { host: external, port: Number(process.env.DRACHTIO_PORT ?? 9022), secret: process.env.DRACHTIO_SECRET ?? 'cymru' }
    : { host: server!.host, port: server!.adminPort, secret: server!.secret };
beforeAll(async () => {
  if (!external && available) server = await startDrachtioServer();
}, 30_000);
afterAll(async () => {
  await server?.stop();
});

describe('drachtio-srf adapter', () => {
  it('reports SSW_ERR_DRACHTIO_UNAVAILABLE when the server does not accept us', async () => {
    // A TCP listener that never speaks the drachtio protocol stands in for a wrong/unready endpoint.
    const srv = createServer((s) => s.resume());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await expect(DrachtioSignallingPort.connect({ host: '127.0.0.1', port, secret: 'x', logger: silentLogger, connectTimeoutMs: 300 })).rejects.toMatchObject({ code: 'SSW_ERR_DRACHTIO_UNAVAILABLE' });
    // The server only closes once the adapter has ended its connection (and not reconnected).
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it.skipIf(!available)('connects to a drachtio-server and registers an INVITE handler', async () => {
    const port = await DrachtioSignallingPort.connect({ ...target(), logger: silentLogger });
    port.onInvite((_req, res) => res.send(486));
    await port.close();
  });
});

describe.skipIf(!available || !hasSipp())('drachtio adapter: request() and createUAC timeoutMs through a drachtio-server, against SIPp', () => {
  const connect = () => DrachtioSignallingPort.connect({ ...target(), logger: silentLogger });
  const startUas = async (file: string) => {
    const sippPort = await freeUdpPort();
    const run = runSipp({ scenario: scenario(file), localPort: sippPort, args: ['-m', '1'], timeoutS: 10 });
    await new Promise((r) => setTimeout(r, 300));
    return { sippPort, run };
  };

  it('OPTIONS: 200 with the far end headers; a silent peer: 408 after timeoutMs; a closed port: 503 (ICMP)', async () => {
    const port = await connect();
    try {
      const { sippPort, run } = await startUas('sip-uas-options.xml');
      const r = await port.request(`sip:ping@127.0.0.1:${sippPort}`, { method: 'OPTIONS', timeoutMs: 5000 });
      expect(r.status).toBe(200);
      expect(r.get('X-Probe')).toMatch(/^sipp-/);
      expect((await run).exitCode).toBe(0);
      // A bound socket that never answers: the local timeout gives 408. (A closed port on loopback is a
      // transport error to drachtio-server, which sees the ICMP and answers 503 at once, §8.1.3.1.)
      const silent = createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
      try {
        expect((await port.request(`sip:x@127.0.0.1:${silent.address().port}`, { method: 'OPTIONS', timeoutMs: 500 })).status).toBe(408);
      } finally {
        silent.close();
      }
      const closed = await freeUdpPort();
      expect((await port.request(`sip:x@127.0.0.1:${closed}`, { method: 'OPTIONS', timeoutMs: 5000 })).status).toBe(503);
    } finally {
      await port.close();
    }
  }, 30_000);

  it('createUAC with identity headers is answered; with timeoutMs against a ringing far end it rejects 408 and SIPp sees CANCEL', async () => {
    const port = await connect();
    try {
      const a = await startUas('sip-uas-check-headers.xml');
      const d = await port.createUAC(`sip:2125550100@127.0.0.1:${a.sippPort};transport=udp`, {
        localSdp: SDP,
        headers: { 'P-Asserted-Identity': '<sip:+12125550199@127.0.0.1;user=phone>', Privacy: 'id', Diversion: '<sip:+12125550111@127.0.0.1>;reason=unconditional;counter=1' },
      });
      await d.destroy();
      const ra = await a.run;
      expect(ra.exitCode, `identity headers: ${ra.stdout.slice(-2500)}`).toBe(0);
      const b = await startUas('sip-uas-ring-no-answer.xml');
      await expect(port.createUAC(`sip:2125550100@127.0.0.1:${b.sippPort}`, { localSdp: SDP, timeoutMs: 800 })).rejects.toMatchObject({ name: 'SipError', status: 408 });
      const rb = await b.run;
      expect(rb.exitCode, `ring no answer: ${rb.stdout.slice(-2500)}`).toBe(0);
    } finally {
      await port.close();
    }
  }, 30_000);
});

/** drachtio-server's SIP address (host:port of its UDP contact), for tests where SIPp calls through it. */
const sipTarget = () => (external ? process.env.DRACHTIO_SIP : server && `${server.host}:${server.sipPort}`);

describe.skipIf(!available || (external && !process.env.DRACHTIO_SIP) || !hasSipp())('drachtio adapter: re-INVITE offers reach the Dialog as modify (set DRACHTIO_SIP too)', () => {
  it("SIPp holds and resumes with re-INVITEs; the port's modify listener answers each with the mirrored direction", async () => {
    const port = await DrachtioSignallingPort.connect({ ...target(), logger: silentLogger });
    const offers: string[] = [];
    try {
      port.onInvite((req, res) => {
        void port.createUAS(req, res, { localSdp: SDP }).then((d) => {
          d.on('modify', (r: InboundRequest, answer: InviteResponder) => {
            offers.push(directionOf(r.body));
            answer.send(200, undefined, { body: SDP.replace(/\r\n$/, `\r\na=${mirror(directionOf(r.body))}\r\n`) });
          });
        });
      });
      const r = await runSipp({ scenario: scenario('ssw-call-hold-resume.xml'), target: sipTarget()!, args: ['-s', '2125550100', '-m', '1'], timeoutS: 20 });
      expect(r.exitCode, r.stdout.slice(-2500)).toBe(0);
      expect(offers).toEqual(['sendonly', 'sendrecv']);
    } finally {
      await port.close();
    }
  }, 40_000);
});

if (!available) console.info(`drachtio integration tests skipped: ${drachtioSkipReason}`);

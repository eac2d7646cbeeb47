/**
 * drachtio-server restarts under a running drachtio adapter: drachtio-srf reconnects on its own
 * and the adapter's handlers serve calls again (SIPp's INVITE answered 486 by the handler, with
 * Reason) once the server is back. Needs a drachtio-server binary (scripts/build-drachtio.sh's
 * cache, or DRACHTIO_BIN): it is in neither Debian nor npm; build it with
 * `scripts/build-drachtio.sh`. Skipped with this message otherwise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { drachtioBinary, drachtioSkipReason } from '../helpers/drachtio-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { DrachtioSignallingPort } from '../../src/sip/drachtio-adapter.js';
import { silentLogger } from '../../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';

const BIN = drachtioBinary() ?? '';
const missing = !BIN ? drachtioSkipReason : !hasSipp() ? 'sipp (sip-tester) not installed' : '';
if (missing) console.warn(`skipping drachtio restart test: ${missing}`);
const scenario = fileURLToPath(new URL('../scenarios/uac-reject.xml', import.meta.url));

async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function startDrachtio(cfg: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(BIN, ['-f', cfg], { stdio: 'ignore' });
  return { child, exited: new Promise<void>((r) => child.once('exit', () => r())) };
}

describe.skipIf(missing !== '')('drachtio-server restart', () => {
  let server: { child: ChildProcess; exited: Promise<void> } | undefined;
  let port: DrachtioSignallingPort | undefined;
  afterAll(async () => {
    await port?.close();
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  });

  it('the adapter reconnects after drachtio-server restarts and serves calls again', async () => {
    const [admin, sip] = [await freeTcpPort(), await freeUdpPort()];
    const cfg = join(mkdtempSync(join(tmpdir(), 'drachtio-')), 'drachtio.conf.xml');
    writeFileSync(cfg, `<drachtio><admin port="${admin}" secret="cymru">127.0.0.1</admin><sip><contacts><contact>sip:127.0.0.1:${sip};transport=udp</contact></contacts></sip><logging><loglevel>notice</loglevel></logging></drachtio>`);
    server = startDrachtio(cfg);
    await new Promise((r) => setTimeout(r, 1000));
    port = await DrachtioSignallingPort.connect({ host: '127.0.0.1', port: admin, secret: 'cymru', logger: silentLogger, connectTimeoutMs: 10_000 });
    let served = 0;
    port.onInvite((_req, res) => {
      served++;
      res.send(486, undefined, { headers: { Reason: 'Q.850;cause=17' } });
    });
    const call = () => runSipp({ scenario, target: `127.0.0.1:${sip}`, timeoutS: 8, args: ['-s', 'busy', '-m', '1'] });
    expect((await call()).exitCode).toBe(0);

    server.child.kill('SIGTERM');
    await server.exited;
    const down = Date.now();
    server = startDrachtio(cfg);
    let ok = false;
    let attempts = 0;
    while (!ok && Date.now() - down < 40_000) {
      attempts++;
      ok = (await call()).exitCode === 0;
    }
    console.log(`FAULTS drachtio restart: ${JSON.stringify({ servedBefore: 1, servedAfterRestart: served - 1, callsTriedAfterRestart: attempts, recoveredAfterMs: Date.now() - down })}`);
    expect(ok).toBe(true);
  }, 90_000);
});

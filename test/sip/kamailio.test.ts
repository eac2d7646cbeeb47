/**
 * Record-Route and loose routing against a real proxy: SIPp → Kamailio (record_route) → our port.
 * Our BYE must carry Kamailio's Record-Route as Route and go to Kamailio, which forwards it to SIPp.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioConfig } from '../helpers/kamailio.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { startTestApp, type AppLog } from './test-app.js';
import type { EmbeddedSignallingPort } from '../../src/sip/embedded-adapter.js';

const hasKamailio = spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error === undefined;


describe.skipIf(!hasSipp() || !hasKamailio)('through Kamailio (Record-Route / loose routing)', () => {
  let port: EmbeddedSignallingPort;
  let log: AppLog;
  let kamailio: ChildProcess;
  let kPort: number;
  let dir: string;

  beforeAll(async () => {
    ({ port, log } = await startTestApp());
    kPort = await freeUdpPort();
    dir = mkdtempSync(join(tmpdir(), 'kam-'));
    writeFileSync(join(dir, 'k.cfg'), kamailioConfig(kPort, `127.0.0.1:${port.port}`, 1, 1));
    kamailio = spawn('kamailio', ['-f', join(dir, 'k.cfg'), '-DD', '-E', '-Y', dir, '-w', dir, '-P', join(dir, 'k.pid')], { stdio: ['ignore', 'ignore', process.env.KAM_DEBUG ? 'inherit' : 'ignore'] });
    await new Promise((r) => setTimeout(r, 800));
    if (kamailio.exitCode !== null) throw new Error(`kamailio exited (${kamailio.exitCode}); run with KAM_DEBUG=1 to see why`);
  });
  afterAll(async () => {
    kamailio?.kill('SIGTERM');
    await port?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers via the proxy and releases first with a BYE routed back through it', async () => {
    const scenario = fileURLToPath(new URL('../scenarios/uac-remote-bye.xml', import.meta.url));
    const r = await runSipp({ scenario, target: `127.0.0.1:${kPort}`, args: ['-s', 'releaser', '-m', '2', '-trace_msg', '-message_file', join(dir, 'msgs.log')], timeoutS: 15 });
    const msgs = spawnSync('cat', [join(dir, 'msgs.log')], { encoding: 'utf8' }).stdout;
    if (process.env.KAM_DEBUG) console.log(msgs);
    expect(r.exitCode, r.stdout.slice(-1500)).toBe(0);
    // SIPp may exit a moment before our side has taken the last BYE's 200.
    for (let i = 0; i < 100 && log.localByes < 2; i++) await new Promise((res) => setTimeout(res, 20));
    expect(log.localByes).toBe(2);
    // The 200 OK SIPp saw carries the proxy's Record-Route (copied by our UAS, RFC 3261 §12.1.1).
    expect(msgs).toMatch(new RegExp(`Record-Route: <sip:127\\.0\\.0\\.1:${kPort};lr[^>]*>`));
    // Our BYE went to the proxy (Route from the Record-Route) and the proxy forwarded it: two Vias, its on top of ours.
    const byes = msgs.split(/-{20,}/).filter((m) => /UDP message received[\s\S]*?\nBYE sip:sipp@/.test(m));
    expect(byes).toHaveLength(2);
    for (const b of byes) expect(b).toMatch(new RegExp(`Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${kPort};branch=[^,\\n]*(?:, |\\r?\\nVia: )SIP/2\\.0/UDP 127\\.0\\.0\\.1:${port.port};`));
    for (const b of byes) expect(b).toMatch(/Reason: Q\.850;cause=16/);
  }, 30_000);
});

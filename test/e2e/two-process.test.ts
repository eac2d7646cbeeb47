/**
 * The production shape: the switch with its lab profile off, connecting as an M3UA ASP to a
 * separate `softswitch tandem-sim` process (SG + ILEC tandem) over SCTP/UDP, no media gateway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startSwitch, type RunningSwitch as SoftswitchHandle } from '../../src/app/start.js';
import { createLogger } from '../../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { until, waitAspActive } from '../helpers/lab-switch.js';

const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping two-process test: ${missing}`);

describe.skipIf(missing !== '')('switch and tandem simulator as two processes', () => {
  let tandem: ChildProcess | undefined;
  let ssw: SoftswitchHandle | undefined;

  afterAll(async () => {
    await ssw?.stop();
    if (tandem && tandem.exitCode === null) {
      const exited = new Promise((r) => tandem!.once('exit', r));
      tandem.kill('SIGTERM');
      await exited;
    }
  });

  it('brings M3UA up between them and carries a call (signalling only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-2p-'));
    const sgPort = await freeUdpPort();
    const file = join(dir, 'softswitch.yaml');
    writeFileSync(
      file,
      [
        `dataDir: ${dir}`,
        'logLevel: warn',
        'api: { port: 0 }',
        'sip: { port: 0 }',
        `lab: { enabled: false, startOsmoMgw: false, tandemSim: { port: ${sgPort}, alertDelayMs: 20, answerDelayMs: 50 } }`,
        `ss7: { variant: ansi, localPointCode: 1-1-1, sgs: [{ name: tandem, address: 127.0.0.1, port: ${sgPort} }] }`,
        'mgcp: { localPort: 0, gateways: [] }',
        'trunkGroups: [{ id: tg-ilec, dpc: 2-2-2, cics: { first: 1, count: 24 } }]',
        'routing: { carriers: [{ id: ilec-tandem, trunkGroups: [tg-ilec], deck: config/rate-decks/ilec-tandem.csv }] }',
        '',
      ].join('\n'),
    );
    tandem = spawn(process.execPath, ['bin/softswitch.js', 'tandem-sim', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tandem-sim did not start: ${out}`)), 15_000);
      const seen = (d: Buffer) => {
        out += d.toString();
        if (out.includes(`SCTP/UDP port ${sgPort}`)) {
          clearTimeout(t);
          resolve();
        }
      };
      tandem!.stdout!.on('data', seen);
      tandem!.stderr!.on('data', seen);
    });

    ssw = await startSwitch(loadConfig(file, {}), createLogger('warn'));
    await waitAspActive(ssw);
    expect(ssw.link.status()[0]).toMatchObject({ sg: 'tandem', state: 'ASP_ACTIVE' });
    expect(ssw.tandem).toBeUndefined();

    const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 15, args: ['-s', '12125550150', '-m', '2', '-r', '2'] });
    expect(r.exitCode, r.stdout.slice(-800)).toBe(0);
    await until(() => ssw!.calls.activeCount === 0, 'calls to end');
    const cdrs = await ssw.cdrs.list();
    expect(cdrs).toHaveLength(2);
    expect(cdrs.every((c) => c.sipStatus === 200 && c.trunkGroup === 'tg-ilec' && c.gatewayEndpoint === undefined)).toBe(true);
  });
});

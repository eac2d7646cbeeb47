/**
 * kill -9 with calls up (issue "Reliability", defect 5): the switch runs as its own process
 * (production profile) toward a tandem simulator in this process; four answered calls, two each
 * way, are up when the switch is killed. After a restart with the same store, every one of them
 * has a CDR marked interrupted (ending at the last heartbeat before the crash), and each circuit
 * that carried one is reset (GRS) as soon as M3UA is up again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startTandemSimulator, type TandemSimHandle } from '../../src/app/lab/tandem-sim/server.js';
import { createLogger } from '../../src/util/log.js';
import { CdrStore } from '../../src/store/cdr-store.js';
import { openDatabase } from '../../src/store/database.js';
import { freeUdpPort, hasSipp, runSipp } from '../helpers/sipp.js';
import { until } from '../helpers/lab-switch.js';
import { createToken, hashToken } from '../../src/api/tokens.js';

const missing = hasSipp() ? '' : 'sipp (sip-tester) not installed';
if (missing) console.warn(`skipping crash-recovery test: ${missing}`);

async function freeTcpPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function startSwitchProcess(file: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ['bin/softswitch.js', 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`switch did not start: ${out}`)), 20_000);
    const seen = (d: Buffer) => {
      out += d.toString();
      if (out.includes('admin API')) {
        clearTimeout(t);
        resolve({ child, out: () => out });
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
  });
}

describe.skipIf(missing !== '')('kill -9 with calls up, then restart', () => {
  let tandem: TandemSimHandle | undefined;
  let child: ChildProcess | undefined;
  const sipps: Array<Promise<unknown>> = [];

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await tandem?.stop();
    await Promise.allSettled(sipps);
  });

  it('writes an interrupted CDR for every answered call and resets their circuits after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssw-crash-'));
    const [sgPort, sipPort, pbxPort, apiPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort(), await freeTcpPort()];
    const file = join(dir, 'softswitch.yaml');
    // Production profile: the admin API wants a token even on loopback.
    const token = createToken();
    writeFileSync(
      file,
      [
        `dataDir: ${dir}`,
        'logLevel: warn',
        `api: { port: ${apiPort}, tokens: [{ name: test, role: read-only, hash: "${hashToken(token)}" }] }`,
        `sip: { port: ${sipPort} }`,
        `lab: { enabled: false, startOsmoMgw: false, tandemSim: { port: ${sgPort}, alertDelayMs: 20, answerDelayMs: 50 } }`,
        `ss7: { variant: ansi, localPointCode: 1-1-1, sgs: [{ name: tandem, address: 127.0.0.1, port: ${sgPort} }] }`,
        'mgcp: { localPort: 0, gateways: [] }',
        // A loaded CI machine may take seconds to start SIPp: do not count the PBX down meanwhile.
        'calls: { sipTargetNoResponseMs: 20000 }',
        'didHealth: { probeIntervalMs: 0 }',
        'trunkGroups: [{ id: tg-ilec, dpc: 2-2-2, cics: { first: 1, count: 24 } }]',
        'routing: { carriers: [{ id: ilec-tandem, trunkGroups: [tg-ilec], deck: config/rate-decks/ilec-tandem.csv }] }',
        `trunkCustomers: [{ id: pbx-co, sources: [127.0.0.1/32], dids: [{ range: { from: "2125550100", to: "2125550199" }, targets: [{ host: 127.0.0.1, port: ${pbxPort} }] }] }]`,
        '',
      ].join('\n'),
    );
    const config = loadConfig(file, {});
    tandem = await startTandemSimulator(config, createLogger('warn'));
    let sw = await startSwitchProcess(file);
    child = sw.child;
    const calls = async () => ((await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/calls`, { headers: { authorization: `Bearer ${token}` } })).json()) as { calls: Array<{ state: string }> }).calls;
    await until(() => tandem!.sg !== undefined && tandem!.isup.isAvailable('tg-ilec'), 'M3UA up toward the tandem', 15_000);
    // The switch resets its circuits (GRS) when the link comes up; calls start once that is done.
    const pending = async () => ((await (await fetch(`http://127.0.0.1:${apiPort}/api/v1/isup/trunk-groups`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{ pending: unknown[]; available: boolean }>);
    for (let i = 0; i < 100; i++) {
      const tgs = await pending();
      if (tgs.every((t) => t.pending.length === 0 && t.available)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    // Two calls out (SIPp waits for the network's BYE, which never comes) and two calls in (the PBX answers and waits).
    sipps.push(runSipp({ scenario: new URL('../scenarios/ssw-call-network-release.xml', import.meta.url).pathname, target: `127.0.0.1:${sipPort}`, timeoutS: 30, args: ['-s', '12125550150', '-m', '2', '-l', '2'] }));
    sipps.push(runSipp({ scenario: 'uas', localPort: pbxPort, timeoutS: 30, args: ['-m', '2'] }));
    await new Promise((r) => setTimeout(r, 1500));
    tandem.simulator.originate({ called: '2125550111', calling: '3125550100' });
    tandem.simulator.originate({ called: '2125550112', calling: '3125550100' });
    let active: Array<{ state: string }> = [];
    for (let i = 0; i < 500; i++) {
      active = await calls();
      if (active.filter((c) => c.state === 'answered').length === 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(active.filter((c) => c.state === 'answered'), JSON.stringify(active) + sw.out().slice(-2000)).toHaveLength(4);
    const busy = tandem.isup.trunkGroups.flatMap((tg) => tg.circuits.snapshot().filter((c) => c.call !== 'idle').map((c) => c.cic)).sort((a, b) => a - b);
    expect(busy).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 6000)); // at least one heartbeat after answer

    const killedAt = Date.now();
    const killed = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await killed;

    // The tandem side is restarted too: node-sctp ignores a new INIT on an association it still believes live.
    await tandem.stop();
    tandem = undefined;
    for (let i = 0; !tandem; i++) {
      try {
        tandem = await startTandemSimulator(config, createLogger('warn'));
      } catch (err) {
        if (i > 50) throw err; // the old association's socket closes a moment after stop()
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const resets: number[] = [];
    tandem.isup.on('circuit-reset', (_tg: unknown, cic: number) => resets.push(cic));

    sw = await startSwitchProcess(file);
    child = sw.child;
    // The restarted switch resets its circuits (GRS) once M3UA is up: those of the interrupted calls among them.
    await until(() => busy.every((cic) => resets.includes(cic)), `reset of circuits ${busy.join(',')} (got ${resets.join(',')})`, 15_000);

    const cdrs = await new CdrStore(openDatabase(join(dir, 'softswitch.sqlite'))).list();
    const interrupted = cdrs.filter((c) => c.interrupted);
    expect(interrupted).toHaveLength(4);
    expect(interrupted.filter((c) => c.direction === 'sip-to-isup')).toHaveLength(2);
    expect(interrupted.filter((c) => c.direction === 'isup-to-sip')).toHaveLength(2);
    for (const c of interrupted) {
      expect(c).toMatchObject({ cause: 41, releasedBy: 'switch' });
      // It ends at the last heartbeat (every 5 s) before the kill: after answer, not after the kill.
      expect(c.billableMs).toBeGreaterThan(0);
      expect(Date.parse(c.endTime)).toBeLessThanOrEqual(killedAt);
    }
  }, 90_000);
});

/**
 * call-cycle: complete SIP→ISUP calls per second through the whole switch (embedded SIP stack,
 * routing, ISUP call control, M3UA over SCTP/UDP to the tandem simulator; no media gateway, so
 * signalling only), driven by SIPp's built-in uac. Baseline in the same run: the same SIPp load
 * against SIPp's own uas (bare SIP, no switch), so the ratio is the switch's share of what the
 * load generator itself sustains on this machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { validateConfig } from '../src/config/load.js';
import { startSwitch } from '../src/app/start.js';
import { createLogger } from '../src/util/log.js';
import { freeUdpPort, hasSipp, runSipp } from '../test/helpers/sipp.js';
import type { Benchmark, BenchResult } from './harness.js';

const CALLS = 3000;
const RATE = 600;
const LIMIT = 400;

async function drive(target: string): Promise<{ cps: number; ok: number; failed: number }> {
  const t0 = Date.now();
  const r = await runSipp({ scenario: 'uac', target, timeoutS: 40, args: ['-s', '12125550150', '-m', String(CALLS), '-r', String(RATE), '-l', String(LIMIT)] });
  const secs = (Date.now() - t0) / 1000;
  return { cps: r.stats.successful / secs, ok: r.stats.successful, failed: r.stats.failed };
}

async function baseline(): Promise<{ cps: number; ok: number; failed: number }> {
  const port = await freeUdpPort();
  const [mp, cp] = [await freeUdpPort(), await freeUdpPort()];
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-cp', String(cp), '-nostdin', '-bg'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  try {
    return await drive(`127.0.0.1:${port}`);
  } finally {
    uas.kill('SIGKILL');
    spawn('pkill', ['-f', `sipp -sn uas -i 127.0.0.1 -p ${port} `]);
  }
}

async function throughSwitch(): Promise<{ cps: number; ok: number; failed: number; cdrs: number }> {
  const config = validateConfig({
    dataDir: mkdtempSync(join(tmpdir(), 'ssw-bench-')),
    logLevel: 'error',
    api: { port: 0 },
    sip: { port: 0 },
    mgcp: { localPort: 0, gateways: [] },
    lab: { startOsmoMgw: false, tandemSim: { port: 0, alertDelayMs: 0, answerDelayMs: 0 } },
    trunkGroups: [{ id: 'tg-ilec', dpc: '2-2-2', cics: { first: 1, count: 2000 } }],
    routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }] },
  });
  const ssw = await startSwitch(config, createLogger('error'));
  try {
    for (let i = 0; i < 400 && !(ssw.link.status().some((s) => s.state === 'ASP_ACTIVE') && ssw.isup.pendingProcedures().length === 0); i++) await new Promise((r) => setTimeout(r, 25));
    const out = await drive(`127.0.0.1:${ssw.sipPort}`);
    for (let i = 0; i < 200 && ssw.calls.activeCount > 0; i++) await new Promise((r) => setTimeout(r, 25));
    return { ...out, cdrs: (await ssw.cdrs.list({ limit: 10_000 })).length };
  } finally {
    await ssw.stop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'call-cycle',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'call-cycle', value: 0, unit: 'calls/s', note: 'skipped: sipp (sip-tester) not installed' }];
      const base = await baseline();
      const sw = await throughSwitch();
      return [
        {
          name: 'call-cycle',
          value: sw.cps,
          unit: 'calls/s',
          baseline: base.cps,
          ratio: sw.cps / base.cps,
          note: `${CALLS} calls offered at ${RATE}/s (max ${LIMIT} concurrent): switch ${sw.ok} ok / ${sw.failed} failed, ${sw.cdrs} CDRs; bare SIPp uas ${base.ok} ok / ${base.failed} failed`,
        },
      ];
    },
  },
];

/**
 * overload: what the switch admits when offered twice what it can carry. First its sustained
 * capacity (answered calls/s while SIPp's uac offers far more: 1000/s, at most 400 in flight,
 * no hold time; SIP → switch → ISUP → tandem simulator, signalling only), then an open-loop offer of 2× that rate for
 * BENCH_OVERLOAD_S seconds (default 60, as issue 10 asks; this one benchmark runs past a minute)
 * with SIPp's call-or-503 scenario (a 503 must carry Retry-After). Admitted calls are the
 * switch's answered CDRs that started in the window; their set-up latency is answer − start.
 * Rows: capacity, admitted rate as a fraction of capacity (target ≥ 0.9), p99 set-up latency of
 * admitted calls, refused rate, crashes (the switch must still carry a call afterwards).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../src/app/start.js';
import { createLogger } from '../src/util/log.js';
import { hasSipp, runSipp } from '../test/helpers/sipp.js';
import type { Benchmark, BenchResult } from './harness.js';

const CAPACITY_S = 8;
const OVERLOAD_S = Number(process.env.BENCH_OVERLOAD_S ?? 60);
const scenario = fileURLToPath(new URL('../test/scenarios/uac-call-or-503.xml', import.meta.url));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function answeredSince(ssw: RunningSwitch, fromIso: string, toIso: string): Promise<Array<{ setupMs: number }>> {
  const out: Array<{ setupMs: number }> = [];
  let after = 0;
  for (;;) {
    // list() is newest first from `after`: page through ids.
    const page = (await ssw.cdrs.list({ afterId: after, limit: 10_000 }));
    if (page.length === 0) break;
    for (const c of page) {
      if (c.answerTime && c.startTime >= fromIso && c.startTime < toIso) out.push({ setupMs: Date.parse(c.answerTime) - Date.parse(c.startTime) });
    }
    after = Math.max(...page.map((c) => c.id));
    if (page.length < 10_000) break;
  }
  return out;
}

async function settle(ssw: RunningSwitch): Promise<void> {
  for (let i = 0; i < 400 && ssw.calls.activeCount > 0; i++) await sleep(25);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'overload',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'overload', value: 0, unit: 'calls/s', note: 'skipped: sipp (sip-tester) not installed' }];
      const config = validateConfig({
        dataDir: mkdtempSync(join(tmpdir(), 'ssw-bench-overload-')),
        logLevel: 'error',
        api: { port: 0 },
        sip: { port: 0 },
        mgcp: { localPort: 0, gateways: [] },
        lab: { startOsmoMgw: false, tandemSim: { port: 0, alertDelayMs: 0, answerDelayMs: 0 } },
        trunkGroups: [{ id: 'tg-ilec', dpc: '2-2-2', cics: { first: 1, count: 4000 } }],
        routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: ['tg-ilec'], deck: 'config/rate-decks/ilec-tandem.csv' }] },
      });
      const ssw = await startSwitch(config, createLogger('error'));
      try {
        for (let i = 0; i < 400 && !(ssw.link.status().some((s) => s.state === 'ASP_ACTIVE') && ssw.isup.pendingProcedures().length === 0); i++) await sleep(25);
        const target = `127.0.0.1:${ssw.sipPort}`;

        // Sustained capacity: answered calls/s while offered far more (1000/s, at most 400 in flight, no hold time).
        const c0 = new Date().toISOString();
        const t0 = performance.now();
        await runSipp({ scenario: 'uac', target, timeoutS: CAPACITY_S, args: ['-s', '12125550150', '-m', '100000000', '-r', '1000', '-l', '400', '-d', '0'] });
        const c1 = new Date().toISOString();
        const capSecs = (performance.now() - t0) / 1000;
        await settle(ssw);
        const capCalls = await answeredSince(ssw, c0, c1);
        const capacity = capCalls.length / capSecs;

        // 2× capacity, open loop, for OVERLOAD_S seconds.
        const offeredRate = Math.max(2, Math.round(2 * capacity));
        const o0 = new Date().toISOString();
        const to0 = performance.now();
        const over = await runSipp({ scenario, target, timeoutS: OVERLOAD_S, args: ['-s', '12125550150', '-m', String(offeredRate * OVERLOAD_S), '-r', String(offeredRate), '-l', '100000', '-d', '0'] });
        const o1 = new Date().toISOString();
        const overSecs = (performance.now() - to0) / 1000;
        await settle(ssw);
        const admitted = await answeredSince(ssw, o0, o1);
        const admittedRate = admitted.length / overSecs;
        const refusedRate = Math.max(0, over.stats.successful - admitted.length) / overSecs;
        const p99 = percentile(admitted.map((a) => a.setupMs), 99);

        // Still alive and carrying calls?
        await sleep(1000);
        const after = await runSipp({ scenario: 'uac', target, timeoutS: 15, args: ['-s', '12125550150', '-m', '3'] });
        const crashes = after.stats.successful === 3 ? 0 : 1;
        const fraction = admittedRate / capacity;
        const note = `capacity ${capCalls.length} calls in ${capSecs.toFixed(1)} s (offered 1000/s, ≤ 400 in flight, no hold); offered ${offeredRate}/s for ${overSecs.toFixed(1)} s: SIPp ${over.stats.successful} ok (answered or 503+Retry-After), ${over.stats.failed} failed`;
        return [
          { name: 'overload-capacity', value: capacity, unit: 'calls/s', note },
          { name: 'overload-admitted-fraction', value: fraction, unit: 'ratio', target: '>= 0.9', pass: fraction >= 0.9, note: `admitted ${admittedRate.toFixed(1)} calls/s at 2× offered` },
          { name: 'overload-refused', value: refusedRate, unit: 'calls/s', note: '503 + Retry-After' },
          { name: 'overload-p99-setup', value: p99, unit: 'ms', note: `set-up latency (answer − start) of ${admitted.length} admitted calls; median ${percentile(admitted.map((a) => a.setupMs), 50)} ms` },
          { name: 'overload-crashes', value: crashes, unit: 'count', target: '0', pass: crashes === 0 },
        ];
      } finally {
        await ssw.stop();
      }
    },
  },
];

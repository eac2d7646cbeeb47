/**
 * Class 5 over the embedded stack, driven by SIPp:
 * - class5-register-digest: REGISTER flows per second with digest (401 challenge, HMAC nonce,
 *   MD5 response check, binding stored) by one extension of a 1,000-extension tenant.
 * - class5-ext-call-setup: extension → extension calls per second through the B2BUA (INVITE 407,
 *   INVITE with digest, dial plan, terminating features, outbound INVITE to the callee's registered
 *   contact — a SIPp uas —, 200/ACK both sides, BYE both sides). Baseline in the same run: SIPp's
 *   uac straight to a SIPp uas (bare SIP), so the ratio is the switch's share of the load
 *   generator's own capacity on this machine.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../src/app/start.js';
import { createLogger } from '../src/util/log.js';
import { hasSipp, runSipp } from '../test/helpers/sipp.js';
import type { Benchmark, BenchResult } from './harness.js';
import { sippBaseline, startUas } from './sipp-peers.js';

const EXTENSIONS = 1000;
const machine = () => `1-min load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
const scenario = (name: string) => new URL(`../test/scenarios/${name}`, import.meta.url).pathname;

async function withSwitch<T>(fn: (ssw: RunningSwitch, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-c5-'));
  const config = validateConfig({
    dataDir: dir,
    logLevel: 'error',
    api: { port: 0 },
    sip: { port: 0, maxServerTransactions: 50_000 },
    mgcp: { localPort: 0, gateways: [] },
    lab: { startOsmoMgw: false, tandemSim: { port: 0 } },
    class5: {
      enabled: true,
      nonceSecret: 'bench-nonce-secret-0123456789',
      auth: { algorithms: ['MD5', 'SHA-256'], maxFailures: 1000 },
      tenants: [{ id: 'acme', domain: 'acme.example', extensions: Array.from({ length: EXTENSIONS }, (_, i) => ({ number: String(10000 + i), password: `pw${10000 + i}` })) }],
    },
  });
  const ssw = await startSwitch(config, createLogger('error'));
  try {
    return await fn(ssw, dir);
  } finally {
    await ssw.stop();
  }
}

async function registrations(): Promise<BenchResult> {
  return withSwitch(async (ssw, dir) => {
    // SIPp 3.6.1 does not expand injection fields inside [authentication ...] (measured: every flow
    // failed), so one extension registers over and over: each flow is a fresh challenge, a digest
    // check and a binding update.
    const sf = join(dir, 'register.xml');
    writeFileSync(sf, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200'));
    const CALLS = 6000;
    const t0 = performance.now();
    const r = await runSipp({ scenario: sf, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 40, args: ['-s', '10000', '-au', '10000', '-ap', 'pw10000', '-set', 'domain', 'acme.example', '-set', 'expires', '600', '-m', String(CALLS), '-r', '100000', '-l', '200'] });
    const secs = (performance.now() - t0) / 1000;
    const bound = ssw.class5!.registrar.list('acme').length;
    return {
      name: 'class5-register-digest',
      value: r.stats.successful / secs,
      unit: 'registrations/s',
      note: `${CALLS} REGISTER flows (401 + digest MD5 + 200) of one extension (tenant of ${EXTENSIONS}), 200 in flight: ${r.stats.successful} ok / ${r.stats.failed} failed in ${secs.toFixed(1)} s; ${bound} AORs bound`,
    };
  });
}

async function callSetups(): Promise<BenchResult> {
  const base = await sippBaseline([10, 30, 100], 3);
  return withSwitch(async (ssw, dir) => {
    const uas = await startUas();
    try {
      // The callee extension's binding: the SIPp uas's address.
      const reg = join(dir, 'register-callee.xml');
      writeFileSync(reg, readFileSync(scenario('c5-register.xml'), 'utf8').replaceAll('[$status]', '200').replaceAll('[local_ip]:[local_port]>', `[local_ip]:${uas.port}>`));
      const rr = await runSipp({ scenario: reg, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: 10, args: ['-s', '10001', '-au', '10001', '-ap', 'pw10001', '-set', 'domain', 'acme.example', '-set', 'expires', '3600', '-m', '1'] });
      if (rr.exitCode !== 0) throw new Error(`callee registration failed: ${rr.stdout.slice(-500)}`);
      const caller = join(dir, 'caller.xml');
      // No hold time: set-up and release as fast as they go.
      writeFileSync(caller, readFileSync(scenario('c5-caller.xml'), 'utf8').replace('<pause milliseconds="300"/>', ''));
      // Concurrency steps; the best step is the figure, every step is in the note.
      const STEP_S = 4;
      const steps: Array<{ limit: number; cps: number; ok: number; failed: number; cpuMsPerCall: number }> = [];
      for (const limit of [1, 10, 50]) {
        const t0 = performance.now();
        // The switch runs in this process: its CPU time per call does not depend on what else the machine runs.
        const cpu0 = process.cpuUsage();
        const r = await runSipp({ scenario: caller, target: `127.0.0.1:${ssw.sipPort}`, timeoutS: STEP_S, args: ['-s', '10001', '-au', '10000', '-ap', 'pw10000', '-set', 'domain', 'acme.example', '-set', 'user', '10000', '-m', '10000000', '-r', '100000', '-l', String(limit)] });
        const secs = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        steps.push({ limit, cps: r.stats.successful / secs, ok: r.stats.successful, failed: r.stats.failed, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, r.stats.successful) });
        for (let i = 0; i < 200 && ssw.calls.activeCount > 0; i++) await new Promise((res) => setTimeout(res, 25));
      }
      const best = steps.reduce((a, b) => (b.cps > a.cps ? b : a));
      return {
        name: 'class5-ext-call-setup',
        value: best.cps,
        unit: 'calls/s',
        baseline: base.cps,
        ratio: base.cps > 0 ? best.cps / base.cps : undefined,
        note: `extension → extension through the B2BUA (407 + digest, 200/ACK, BYE, no hold), ${STEP_S} s per concurrency step: ${steps.map((st) => `-l ${st.limit}: ${st.cps.toFixed(0)}/s (${st.ok} ok, ${st.failed} failed, switch CPU ${st.cpuMsPerCall.toFixed(2)} ms/call)`).join('; ')}; ${(await ssw.cdrs.list({ limit: 100_000 })).length} CDRs; baseline SIPp uac→uas ${base.cps.toFixed(0)} calls/s at -l ${base.limit}; ${machine()}`,
      };
    } finally {
      await uas.stop();
    }
  });
}

export const benchmarks: Benchmark[] = [
  {
    name: 'class5-register-digest',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'class5-register-digest', value: 0, unit: 'registrations/s', note: 'skipped: sipp (sip-tester) not installed' }];
      return [await registrations()];
    },
  },
  {
    name: 'class5-ext-call-setup',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'class5-ext-call-setup', value: 0, unit: 'calls/s', note: 'skipped: sipp (sip-tester) not installed' }];
      return [await callSetups()];
    },
  },
];

/**
 * SIPp as benchmark peers: a built-in uas kept in the foreground (so it is stopped by its own
 * pid, and its final counters are read from its screen), and the bare-SIP baseline: SIPp's uac
 * against such a uas, swept over concurrency until the call rate stops growing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.js';

export interface UasHandle {
  port: number;
  /**
   * Stops the uas (SIGTERM, then SIGKILL) and returns the counters of the screen it prints on
   * termination. SIPp counts a uas call successful only after the scenario's closing pause
   * (about 4 s after the BYE), so `created` and `failed` are the exact figures, `successful` lags.
   */
  stop(): Promise<UasCounts>;
}

function lastCounter(screen: string, label: string): number {
  const rows = [...screen.matchAll(new RegExp(`${label}\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)`, 'g'))];
  return rows.length ? Number(rows[rows.length - 1][2]) : 0;
}

export interface UasCounts {
  created: number;
  successful: number;
  failed: number;
  /** SIPp's error log (-trace_err) by kind, e.g. "expecting ACK, got INVITE: 3". */
  errors: Record<string, number>;
}

/** Groups SIPp's error log lines: aborted calls by what was expected and received, and dead-call messages. */
export function errorKinds(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_errors.log'))) {
    const text = readFileSync(join(dir, f), 'latin1');
    for (const m of text.matchAll(/while expecting '(\w+)'[^,]*, received '(\S+(?: \d{3})?)|while sending \(index \d+\), received '(\S+(?: \d{3})?)|Dead call \S+ \([^)]*\), received '(\S+(?: \d{3})?)|Aborting call on (UDP retransmission timeout|an unexpected \w+)|(Call timed out|call timeout)/gi)) {
      const kind = m[4] ? `after the call's end, got ${m[4]}` : m[3] ? `while sending, got ${m[3]}` : m[5] ? `aborted on ${m[5]}` : m[6] ? 'timed out' : `expecting ${m[1]}, got ${m[2]}`;
      out[kind] = (out[kind] ?? 0) + 1;
    }
  }
  // Refusals the load scenario takes as such (bench/scenarios/uac-load.xml logs them with -trace_logs).
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_logs.log'))) {
    for (const m of readFileSync(join(dir, f), 'latin1').matchAll(/refused (\d{3})/g)) out[`refused ${m[1]}`] = (out[`refused ${m[1]}`] ?? 0) + 1;
  }
  return out;
}

export const describeErrors = (e: Record<string, number>): string =>
  Object.entries(e)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ') || 'none';

export interface UasOptions {
  /** An XML scenario (-sf) instead of SIPp's built-in uas. */
  scenario?: string;
  /** SIPp's socket buffers (-buff_size, bytes; the kernel caps it at net.core.rmem_max). */
  buffSize?: number;
  /** Extra SIPp arguments (e.g. -default_behaviors). */
  args?: string[];
}

export async function startUas(o: UasOptions = {}): Promise<UasHandle> {
  const [port, mp, cp] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-uas-'));
  const args = [...(o.scenario ? ['-sf', o.scenario] : ['-sn', 'uas']), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-cp', String(cp), '-nostdin', '-trace_err', ...(o.buffSize ? ['-buff_size', String(o.buffSize)] : []), ...(o.args ?? [])];
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'ignore'], cwd: dir });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString('latin1');
    if (screen.length > 200_000) screen = screen.slice(-20_000);
  });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  await new Promise((r) => setTimeout(r, 500)); // SIPp binds its port
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(hard);
      const errors = errorKinds(dir);
      rmSync(dir, { recursive: true, force: true });
      return { created: lastCounter(screen, 'Incoming calls created'), successful: lastCounter(screen, 'Successful call'), failed: lastCounter(screen, 'Failed call'), errors };
    },
  };
}

export interface SippBaseline {
  /** Best successful calls/s over the concurrency sweep. */
  cps: number;
  limit: number;
  stepS: number;
  steps: Array<{ limit: number; cps: number; failed: number; error?: string }>;
}

/**
 * SIPp uac → SIPp uas (no switch): for each concurrency limit (-l), an unthrottled uac runs for
 * `stepS` seconds; the rate is its successful calls over the wall time. Stops after a step that
 * does not beat the best by 5 %.
 */
export async function sippBaseline(limits = [10, 30, 100], stepS = 3): Promise<SippBaseline> {
  const steps: SippBaseline['steps'] = [];
  let best = { limit: limits[0], cps: 0 };
  for (const limit of limits) {
    const uas = await startUas();
    try {
      const t0 = performance.now();
      const r = await runSipp({ scenario: 'uac', target: `127.0.0.1:${uas.port}`, timeoutS: stepS, args: ['-s', '12125550150', '-m', '10000000', '-r', '100000', '-l', String(limit)] });
      const cps = (r.stats.successful / (performance.now() - t0)) * 1000;
      if (r.stats.successful === 0) {
        // Not a rate: SIPp did not run (a port taken meanwhile, the uas not up yet). Say so and go on.
        const why = (r.stderr.trim().split('\n').pop() ?? '').slice(0, 160) || `exit code ${r.exitCode}`;
        steps.push({ limit, cps: 0, failed: r.stats.failed, error: why });
        continue;
      }
      steps.push({ limit, cps, failed: r.stats.failed });
      if (cps > best.cps * 1.05) best = { limit, cps };
      else break;
    } finally {
      await uas.stop();
    }
  }
  return { cps: best.cps, limit: best.limit, stepS, steps };
}

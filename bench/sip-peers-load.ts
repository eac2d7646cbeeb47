/**
 * Open-loop SIP load for capacity benchmarks: SIPp's built-in uac offering a fixed call rate for a
 * fixed time (every call answered and released at once), with each call's set-up latency (INVITE →
 * 200, SIPp's response-time trace), and the search for the highest rate a system carries with no
 * failed call: doubling probes, then halving the gap between the last good and the first bad rate.
 * Also Kamailio as a stateful proxy (tm, rr) and the tandem simulator in a process of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.js';
import { kamailioConfig } from '../test/helpers/kamailio.js';
import { spawnSoftswitch, stopProc, type Proc } from '../test/helpers/cluster.js';
import { percentile } from './saturate.js';

export interface OfferedLoad {
  /** Offered calls/s. */
  rate: number;
  offered: number;
  ok: number;
  failed: number;
  /** From SIPp's start to its exit (s). */
  wallS: number;
  /** Successful calls over the wall time. */
  cps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * SIPp uac → `target` at `rate` calls/s for `seconds`: -m rate×seconds, at most `rate` calls in
 * flight (one second's worth: a system slower than that falls behind and the run takes longer),
 * no hold time, a call with no answer for 8 s fails.
 */
export async function offer(target: string, rate: number, seconds: number, service = '12125550150'): Promise<OfferedLoad> {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-offer-'));
  try {
    const offered = Math.max(1, Math.round(rate * seconds));
    const t0 = performance.now();
    const r = await runSipp({
      scenario: 'uac',
      target,
      cwd: dir,
      timeoutS: seconds * 3 + 20,
      args: ['-s', service, '-m', String(offered), '-r', String(rate), '-rp', '1000', '-l', String(Math.max(50, Math.round(rate))), '-d', '0', '-recv_timeout', '8000', '-buff_size', String(4 * 1024 * 1024), '-trace_rtt', '-rtt_freq', '1'],
    });
    const wallS = (performance.now() - t0) / 1000;
    const rtts = readRtts(dir);
    return { rate, offered, ok: r.stats.successful, failed: r.stats.failed + Math.max(0, offered - r.stats.successful - r.stats.failed), wallS, cps: r.stats.successful / wallS, p50Ms: percentile(rtts, 50), p99Ms: percentile(rtts, 99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Response times (ms) from SIPp's -trace_rtt files: `date_ms;response_time_ms;rtd_no` after a header line. */
function readRtts(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'latin1').split('\n')) {
      const v = Number(line.split(';')[1]);
      if (line && Number.isFinite(v) && !/[a-z]/i.test(line.split(';')[1] ?? 'x')) out.push(v);
    }
  }
  return out;
}

export interface CapacitySearch {
  /** Highest rate carried with no failure, set-up p99 within bounds and on schedule. */
  rate: number;
  probes: OfferedLoad[];
}

export interface SearchOptions {
  start: number;
  max: number;
  probeS: number;
  /** A probe whose set-up p99 exceeds this is past saturation (e.g. SIP T1 retransmissions loom). */
  maxP99Ms: number;
  /** Halving steps between the last good and the first bad rate. */
  refine: number;
}

/** A probe carried its load: every call answered, on time (no more than 20 % + 1 s late), p99 in bounds. */
export const carried = (p: OfferedLoad, seconds: number, maxP99Ms: number): boolean =>
  p.failed === 0 && p.ok === p.offered && p.wallS <= seconds * 1.2 + 1 && !(p.p99Ms > maxP99Ms);

export async function searchCapacity(target: string, o: SearchOptions): Promise<CapacitySearch> {
  const probes: OfferedLoad[] = [];
  let good = 0;
  let bad = 0;
  for (let rate = o.start; rate <= o.max; rate *= 2) {
    const p = await offer(target, rate, o.probeS);
    probes.push(p);
    if (!carried(p, o.probeS, o.maxP99Ms)) {
      bad = rate;
      break;
    }
    good = rate;
  }
  for (let i = 0; i < o.refine && bad > 0 && bad - good > Math.max(10, good * 0.05); i++) {
    const rate = Math.round((good + bad) / 2);
    const p = await offer(target, rate, o.probeS);
    probes.push(p);
    if (carried(p, o.probeS, o.maxP99Ms)) good = rate;
    else bad = rate;
  }
  return { rate: good, probes };
}

export const describeProbe = (p: OfferedLoad): string =>
  `${p.rate}/s: ${p.ok}/${p.offered} ok${p.failed ? ` ${p.failed} failed` : ''} in ${p.wallS.toFixed(1)} s, p99 ${Number.isNaN(p.p99Ms) ? '-' : Math.round(p.p99Ms)} ms`;

// ---------------------------------------------------------------------------------------------
// Kamailio as a stateful proxy

export const hasKamailio = (): boolean => spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error === undefined;


export interface KamailioHandle {
  port: number;
  stop(): Promise<void>;
}

export async function startKamailio(next: string, children: number): Promise<KamailioHandle> {
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-kam-'));
  writeFileSync(join(dir, 'k.cfg'), kamailioConfig(port, next, children));
  // -m: shared memory (MB) for the transactions of a few thousand calls/s.
  const child: ChildProcess = spawn('kamailio', ['-f', join(dir, 'k.cfg'), '-DD', '-E', '-m', '256', '-Y', dir, '-w', dir, '-P', join(dir, 'k.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  await new Promise((r) => setTimeout(r, 1000));
  if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}): ${err}`);
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(hard);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The tandem simulator in its own process

export interface TrunkGroupPlan {
  id: string;
  first: number;
  count: number;
}

/** Trunk groups of `count` circuits in all, at most 4,000 per group, CICs from 1, toward the tandem 2-2-2. */
export function trunkGroupsFor(count: number): TrunkGroupPlan[] {
  const out: TrunkGroupPlan[] = [];
  for (let first = 1, i = 0; first <= count; first += 4000, i++) out.push({ id: `tg-ilec-${i + 1}`, first, count: Math.min(4000, count - first + 1) });
  return out;
}

export const trunkGroupsConfig = (tgs: TrunkGroupPlan[]) => tgs.map((t) => ({ id: t.id, dpc: '2-2-2', cics: { first: t.first, count: t.count } }));

export interface TandemProcess {
  port: number;
  stop(): Promise<void>;
}

/** `softswitch tandem-sim` in a process of its own, answering at once, on a UDP port of its own. */
export async function startTandemProcess(tgs: TrunkGroupPlan[]): Promise<TandemProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-tandem-'));
  const port = await freeUdpPort();
  const file = join(dir, 'tandem.json');
  writeFileSync(
    file,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      logLevel: 'error',
      lab: { enabled: false, startOsmoMgw: false, tandemSim: { port, alertDelayMs: 0, answerDelayMs: 0 } },
      mgcp: { localPort: 0, gateways: [] },
      trunkGroups: trunkGroupsConfig(tgs),
      routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: tgs.map((t) => t.id), deck: 'config/rate-decks/ilec-tandem.csv' }] },
    }),
  );
  const proc: Proc = await spawnSoftswitch(['tandem-sim', '--config', file], 'tandem simulator: SCTP/UDP port', 60_000);
  return {
    port,
    async stop() {
      await stopProc(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Open-loop SIP load for capacity benchmarks: several SIPp uac processes together offering a fixed
 * call rate for a fixed time (every call answered and released at once), with each call's set-up
 * latency (INVITE → 200, SIPp's response-time trace), and the search for the highest rate a system
 * carries with no failed call: doubling probes, then halving the gap between the last good and the
 * first bad rate, a borderline probe repeated once. Also Kamailio as a stateful proxy (tm, rr) in
 * front of several SIPp uas processes, and the tandem simulator in a process of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedCpus } from '../src/app/cpu-placement.js';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.js';
import { kamailioConfig } from '../test/helpers/kamailio.js';
import { spawnSoftswitch, stopProc, type Proc } from '../test/helpers/cluster.js';
import { percentile } from './saturate.js';
import { describeErrors, errorKinds } from './sipp-peers.js';

/** RFC 3261 §17.1.1.1: the round-trip estimate behind every SIP retransmission timer (ms). */
export const SIP_T1_MS = 500;
/**
 * A load call unanswered this long fails (SIPp -recv_timeout, ms): 8×T1, far past any set-up a
 * carried load shows (p99 ≤ T1), and short enough that a stopped offer's stuck calls end soon.
 */
export const ANSWER_TIMEOUT_MS = 4000;
/** Socket buffers of every SIPp in a load run (net.core.rmem_max caps it; 4 MiB here). */
export const SIPP_BUFF_BYTES = 4 * 1024 * 1024;
/** The load scenarios: they ride out late provisional replies and INVITE/2xx retransmissions. */
export const UAC_LOAD_SCENARIO = new URL('./scenarios/uac-load.xml', import.meta.url).pathname;
export const UAS_LOAD_SCENARIO = new URL('./scenarios/uas-load.xml', import.meta.url).pathname;
/**
 * SIPp's default behaviours less `abortunexp`: a message the scenario does not expect at that
 * point (a 180 that a multi-process proxy relays after the 200, measured through Kamailio with 4
 * children) is counted and the call goes on, instead of being aborted and counted failed; a call
 * still fails when its answer never comes (-recv_timeout). Less `bye` too: a call the load
 * scenario fails on a refusal would otherwise get a BYE (answered 481: at 6,000 calls/s toward the
 * switch, 40,533 refused calls brought 40,533 BYEs to its event loop, a second BYE per call).
 */
export const SIPP_LOAD_BEHAVIOURS = ['-default_behaviors', 'all,-abortunexp,-bye'];

export interface OfferedLoad {
  /** Offered calls/s. */
  rate: number;
  offered: number;
  ok: number;
  failed: number;
  /** From the first SIPp's start to the last one's exit (s). */
  wallS: number;
  /** Successful calls over the wall time. */
  cps: number;
  p50Ms: number;
  p99Ms: number;
  /** Why calls failed, from the uacs' error logs (e.g. "expecting 200, got 503 ×3"). */
  errors: Record<string, number>;
  /** SIPp processes that offered the load. */
  uacs: number;
  /**
   * Set when the offer was stopped early (s after its start): it had passed a `stopWhen` bound, so
   * it was overloaded whatever the rest would have done. offered, ok and failed are then the calls
   * started until then and how they ended (the uacs finish the calls under way before they exit).
   */
  stoppedAtS?: number;
}

export interface OfferOptions {
  /** SIPp uac processes sharing the rate (default 1). */
  uacs?: number;
  service?: string;
  /**
   * Stop the offer as soon as its verdict is settled (read from the uacs' per-second statistics
   * and response-time files while it runs): once the uacs together count more failed calls than
   * `failures`, or more calls answered later than `slowMs` than `slowShare` of the calls it offers
   * (its p99 is then over slowMs whatever comes after). An overloaded system's backlog would
   * otherwise stretch the run by up to 30 % + 5 s, or a minute's hold would run to its end.
   */
  stopWhen?: { failures: number; slowMs: number; slowShare: number };
}

/** Calls the uacs of one offer have failed so far: the last lines of their -trace_stat files (SIPp's `_<pid>_.csv`). */
function failedCalls(dir: string): number {
  let failed = 0;
  for (const f of readdirSync(dir).filter((n) => /_\d+_\.csv$/.test(n))) {
    const lines = readFileSync(join(dir, f), 'latin1').trimEnd().split('\n');
    if (lines.length < 2) continue;
    failed += Number(lines[lines.length - 1].split(';')[lines[0].split(';').indexOf('FailedCall(C)')]) || 0;
  }
  return failed;
}

/**
 * `uacs` SIPp processes → `target` at `rate` calls/s together for `seconds`: each -m its share of
 * rate×seconds at its share of the rate, at most one second's worth of calls in flight (a system
 * slower than that falls behind and the run takes longer, at most 30 % + 5 s longer: then SIPp is
 * stopped), no hold time, a call with no answer for ANSWER_TIMEOUT_MS fails. Several processes, so that one single-threaded SIPp that the scheduler leaves
 * waiting does not bound the figure or time its own calls out.
 */
export async function offer(target: string, rate: number, seconds: number, o: OfferOptions = {}): Promise<OfferedLoad> {
  const uacs = Math.max(1, Math.min(o.uacs ?? 1, Math.round(rate)));
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-offer-'));
  try {
    const offered = Math.max(uacs, Math.round(rate * seconds));
    const t0 = performance.now();
    const pids: number[] = [];
    let stopped: { atS: number } | undefined;
    const when = o.stopWhen;
    const slow = when ? new SlowCalls(dir, when.slowMs) : undefined;
    const watch = when
      ? setInterval(() => {
          if (stopped) return;
          if (failedCalls(dir) <= when.failures && slow!.count() <= offered * when.slowShare) return;
          stopped = { atS: (performance.now() - t0) / 1000 };
          // SIGUSR1: SIPp starts no more calls and ends once the calls under way have (answered and
          // released, or failed), so the system under test is left with none half done.
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGUSR1');
            } catch {
              /* already gone */
            }
          }
        }, 500)
      : undefined;
    const runs = await Promise.all(
      Array.from({ length: uacs }, (_, i) => {
        const calls = Math.floor(offered / uacs) + (i < offered % uacs ? 1 : 0);
        const share = rate / uacs;
        return runSipp({
          scenario: UAC_LOAD_SCENARIO,
          target,
          cwd: dir,
          // A run this late is past saturation whatever else it shows: stop it (its unfinished calls
          // count as failed) rather than let a collapsing system stretch the benchmark.
          timeoutS: Math.ceil(seconds * 1.3 + 5),
          onSpawn: (pid) => pids.push(pid),
          args: ['-s', o.service ?? '12125550150', '-m', String(calls), '-r', share.toFixed(3), '-rp', '1000', '-l', String(Math.max(50, Math.ceil(share))), '-recv_timeout', String(ANSWER_TIMEOUT_MS), '-buff_size', String(SIPP_BUFF_BYTES), '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-trace_logs', ...(when ? ['-trace_stat', '-fd', '1'] : []), ...SIPP_LOAD_BEHAVIOURS],
        });
      }),
    );
    clearInterval(watch);
    const wallS = (performance.now() - t0) / 1000;
    const rtts = readRtts(dir);
    const errors = errorKinds(dir);
    const ok = runs.reduce((n, r) => n + r.stats.successful, 0);
    if (stopped) {
      const failed = runs.reduce((n, r) => n + r.stats.failed, 0);
      // Answered per second of offering (the calls answered while the uacs finished were offered before the stop).
      return { rate, offered: ok + failed, ok, failed, wallS, cps: ok / Math.max(stopped.atS, 0.5), p50Ms: percentile(rtts, 50), p99Ms: percentile(rtts, 99), errors, uacs, stoppedAtS: stopped.atS };
    }
    const failed = offered - ok;
    for (const r of runs) if (r.stats.successful === 0 && r.stats.failed === 0 && r.exitCode !== 0) errors[`uac did not run: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 80) || `exit ${r.exitCode}`}`] = 1;
    return { rate, offered, ok, failed, wallS, cps: ok / wallS, p50Ms: percentile(rtts, 50), p99Ms: percentile(rtts, 99), errors, uacs };
  } finally {
    // BENCH_SIPP_KEEP=1 keeps SIPp's error logs and traces for a look (the path goes to stderr).
    if (process.env.BENCH_SIPP_KEEP) process.stderr.write(`SIPp files of the ${rate}/s probe: ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts the calls answered later than `slowMs` in SIPp's -trace_rtt files as they grow (each file read on from where it was left). */
class SlowCalls {
  private readonly at = new Map<string, { offset: number; rest: string }>();
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private slow = 0;
  constructor(
    private readonly dir: string,
    private readonly slowMs: number,
  ) {}

  count(): number {
    for (const f of readdirSync(this.dir).filter((n) => n.endsWith('_rtt.csv'))) {
      const pos = this.at.get(f) ?? { offset: 0, rest: '' };
      const fd = openSync(join(this.dir, f), 'r');
      try {
        for (let n; (n = readSync(fd, this.buf, 0, this.buf.length, pos.offset)) > 0; ) {
          pos.offset += n;
          const lines = (pos.rest + this.buf.toString('latin1', 0, n)).split('\n');
          pos.rest = lines.pop() ?? '';
          for (const line of lines) if (Number(line.split(';')[1]) > this.slowMs) this.slow++;
        }
      } finally {
        closeSync(fd);
      }
      this.at.set(f, pos);
    }
    return this.slow;
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
  /** A probe whose set-up p99 exceeds this is past saturation (default SIP T1). */
  maxP99Ms?: number;
  /** Halving steps between the last good and the first bad rate. */
  refine: number;
  /** SIPp uac processes per probe. */
  uacs?: number;
  /** Runs before each probe (e.g. until the system under test is idle again). */
  between?: () => Promise<void>;
  /**
   * Pause after a probe that did not carry its load (ms, default 3000): the system's backlog of
   * that overload (transactions, 2xx retransmissions, the uases' closing waits) drains first, so
   * the next, lower probe is not judged on the last one's leftovers (measured through Kamailio:
   * after a 3,200/s overload, 1,800/s failed as badly as 3,200/s).
   */
  coolDownMs?: number;
  /** No probe starts after this time (performance.now() ms): the search returns what it has. */
  deadlineMs?: number;
  /** Told each probe and its verdict as it ends (progress on a long run). */
  onProbe?: (p: OfferedLoad, verdict: Verdict) => void;
}

export type Verdict = 'carried' | 'borderline' | 'overloaded';

/**
 * A probe carried its load when every call was answered, on schedule (no more than 20 % + 1 s
 * late) and the set-up p99 stayed within `maxP99Ms` (SIP T1 by default: past it, set-up times are
 * as long as the timer on which SIP starts retransmitting, the sign of a queue that grows).
 * Borderline: a handful of failures (at most 0.2 % of the calls) or a p99 within twice the bound,
 * on schedule — one scheduling hiccup on a shared machine looks like this, so such a probe is
 * repeated once before its rate counts as too high.
 */
export function judge(p: OfferedLoad, seconds: number, maxP99Ms = SIP_T1_MS): Verdict {
  if (p.stoppedAtS !== undefined) return 'overloaded';
  const onTime = p.wallS <= seconds * 1.2 + 1;
  if (p.failed === 0 && p.ok === p.offered && onTime && !(p.p99Ms > maxP99Ms)) return 'carried';
  if (onTime && p.failed <= Math.max(1, p.offered * 0.002) && !(p.p99Ms > 2 * maxP99Ms)) return 'borderline';
  return 'overloaded';
}

/** Backward-compatible predicate: the probe carried its load. */
export const carried = (p: OfferedLoad, seconds: number, maxP99Ms = SIP_T1_MS): boolean => judge(p, seconds, maxP99Ms) === 'carried';

export async function searchCapacity(target: string, o: SearchOptions): Promise<CapacitySearch> {
  const probes: OfferedLoad[] = [];
  const late = () => o.deadlineMs !== undefined && performance.now() > o.deadlineMs;
  const probe = async (rate: number): Promise<boolean> => {
    for (let attempt = 0; attempt < 2 && !late(); attempt++) {
      await o.between?.();
      // Stopped once past the borderline allowances (failures, or 1 % of calls over 2× the p99 bound): overloaded, whatever came after.
      const p = await offer(target, rate, o.probeS, { uacs: o.uacs, stopWhen: { failures: Math.max(1, Math.round(rate * o.probeS) * 0.002), slowMs: 2 * (o.maxP99Ms ?? SIP_T1_MS), slowShare: 0.01 } });
      probes.push(p);
      const v = judge(p, o.probeS, o.maxP99Ms);
      o.onProbe?.(p, v);
      if (v !== 'carried') await new Promise((r) => setTimeout(r, o.coolDownMs ?? 3000));
      if (v !== 'borderline') return v === 'carried';
    }
    return false;
  };
  let good = 0;
  let bad = 0;
  // The first bad rate bounds the whole search, so it is probed once more when the search has
  // closed in on it: a single unlucky probe (a neighbour's burst, the first seconds after start-up)
  // put the bound at 200/s for a switch that then carried 188/s with a p99 of 80 ms (measured).
  for (let confirmed = false; ; ) {
    for (let rate = good > 0 ? good * 2 : o.start; rate <= o.max && !late(); rate *= 2) {
      if (!(await probe(rate))) {
        bad = rate;
        break;
      }
      good = rate;
    }
    // Below the first rate: halve until one carries (a system slower than the start).
    for (let rate = Math.floor(o.start / 2); good === 0 && rate >= 10 && !late(); rate = Math.floor(rate / 2)) {
      if (await probe(rate)) good = rate;
      else bad = rate;
    }
    for (let i = 0; i < o.refine && bad > 0 && bad - good > Math.max(10, good * 0.05) && !late(); i++) {
      const rate = Math.round((good + bad) / 2);
      if (await probe(rate)) good = rate;
      else bad = rate;
    }
    if (confirmed || bad === 0 || good === 0 || late() || bad - good > Math.max(10, good * 0.15)) break;
    confirmed = true;
    if (!(await probe(bad))) break;
    good = bad;
    bad = 0;
  }
  return { rate: good, probes };
}

/** Why calls failed: the uacs' error kinds, less the messages that came after a call had ended (retransmissions). */
const failureKinds = (e: Record<string, number>): string => describeErrors(Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('after the call'))));

export const describeProbe = (p: OfferedLoad): string =>
  `${p.rate}/s: ${p.ok}/${p.offered} ok${p.failed ? ` ${p.failed} failed (${failureKinds(p.errors)})` : ''} in ${p.wallS.toFixed(1)} s${p.stoppedAtS !== undefined ? ' (stopped: failing)' : ''}, p99 ${Number.isNaN(p.p99Ms) ? '-' : Math.round(p.p99Ms)} ms`;

// ---------------------------------------------------------------------------------------------
// Kamailio as a stateful proxy

export const hasKamailio = (): boolean => spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error === undefined;


export interface KamailioHandle {
  port: number;
  stop(): Promise<void>;
}

/**
 * Kamailio (tm + rr) on a port of its own with `children` UDP workers, relaying to `nexts`
 * (host:port): one hop directly, several through the dispatcher (hash of the Call-ID), with
 * socket buffers of SIPP_BUFF_BYTES.
 */
export async function startKamailio(nexts: string | string[], children: number): Promise<KamailioHandle> {
  const hops = typeof nexts === 'string' ? [nexts] : nexts;
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'ssw-bench-kam-'));
  let dispatcherList: string | undefined;
  if (hops.length > 1) {
    dispatcherList = join(dir, 'dispatcher.list');
    writeFileSync(dispatcherList, hops.map((h) => `1 sip:${h}\n`).join(''));
  }
  writeFileSync(join(dir, 'k.cfg'), kamailioConfig(port, hops[0], children, { dispatcherList, maxBufferBytes: SIPP_BUFF_BYTES }));
  // -m: shared memory (MB) for the transactions of a few thousand calls/s, each kept for tm's wait
  // timer after it ends (with 256 MB it answered 503 in a 1,800/s hold on a loaded host; cause not
  // pinned down, but shared memory is then not it).
  const child: ChildProcess = spawn('kamailio', ['-f', join(dir, 'k.cfg'), '-DD', '-E', '-m', '1024', '-Y', dir, '-w', dir, '-P', join(dir, 'k.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
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

/**
 * `runtime` of a switch under a benchmark: the event loop on a CPU of its own (src/app/cpu-placement.ts),
 * with everything else, the load generators and peers this process starts included, on the rest;
 * BENCH_EVENT_LOOP_CPU=off leaves placement to the kernel. Only with 2 CPUs or more.
 */
export function benchRuntime(): { runtime?: { eventLoopCpu: number } } {
  const loop = benchLoopCpu();
  if (!loop) return {};
  // SIPp started while the event loop is bound would share its CPU until the switch's next rescan: start it on the others.
  process.env.BENCH_PEER_CPUS = loop.others.join(',');
  return { runtime: { eventLoopCpu: loop.cpu } };
}

/** The CPU a benchmark gives the measured event loop (BENCH_EVENT_LOOP_CPU, default the first allowed), the others, and all; undefined when none is bound. */
export function benchLoopCpu(): { cpu: number; others: number[]; allowed: number[] } | undefined {
  const v = process.env.BENCH_EVENT_LOOP_CPU;
  const allowed = allowedCpus() ?? [];
  const cpu = v === undefined ? allowed[0] : Number(v);
  if (v === 'off' || allowed.length < 2 || !allowed.includes(cpu)) return undefined;
  return { cpu, others: allowed.filter((c) => c !== cpu), allowed };
}

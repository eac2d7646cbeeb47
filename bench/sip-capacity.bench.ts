/**
 * SIP capacity of the whole switch, beside a real SIP proxy in the same run.
 *
 * sip-capacity-60s: the highest call rate each system carries with no failed call, found by
 * probes (BENCH_SIP_PROBE_S seconds each, default 5: doubling from 800/s, then halving the gap; a
 * probe passes with every call answered on schedule and a set-up p99 within SIP's T1, and a
 * borderline one — a handful of failures or a p99 within 2×T1 — is repeated once), then held for
 * BENCH_SIP_CAPACITY_S seconds (default 60; shorten it only for a trial run) at 90 % of that rate
 * (BENCH_SIP_HOLD_FRACTION: a 60 s hold meets more bad luck than a 3 s probe). Both systems get the
 * same driver: BENCH_SIP_UACS SIPp uac processes (default 2, 4 MiB socket buffers, a scenario that
 * rides out reordered 1xx and retransmissions, bench/scenarios/) sharing the rate. The switch:
 * trunk customer → LCR → ISUP over M3UA/SCTP-over-UDP → the tandem simulator in a process of its
 * own, answering at once (signalling only, no media gateway). The baseline: Kamailio 5.6 (tm,
 * record_route, stateful relay, 2×cores workers, dispatcher by Call-ID) → as many SIPp uas
 * processes. With one SIPp pair and the built-in scenarios the baseline was SIPp's, not Kamailio's:
 * the built-in uas aborts a call on an INVITE that tm retransmits after a late 180, the built-in
 * uac on a 180 relayed after the 200, so one late reply failed a probe at ~100/s (measured).
 * A probe or hold is stopped as soon as its verdict is settled (its failures past the allowance,
 * or 1 % of its calls answered later than the p99 bound), its uacs finishing the calls under way;
 * a refusal (4xx/5xx) fails a call at once. A hold that loses a call is retried at 85 % of its rate
 * (or 95 % of the rate it answered, if lower) while the run stays within BENCH_SIP_BUDGET_S
 * (default 225 s). Probes last 5 s: Kamailio's 3 s probes carried 9,600/s and its holds at 90 %
 * of that failed within seconds in every run (tm keeps each transaction 5 s after it ends, so a
 * shorter probe never sees that cost); with 5 s probes its first hold carried (5,760/s, p99 4 ms).
 * The switch runs first, Kamailio after it with what is left of the budget. Rows: the switch's held calls/s (baseline Kamailio's, ratio =
 * switch ÷ Kamailio, target ≥ 0.5) and its p99 set-up latency (INVITE → 200) in the hold
 * (baseline Kamailio's).
 *
 * sip-memory-per-call: 10,000 concurrent established calls through the switch (SIPp uac holding
 * each call 10 minutes; trunk customer → ISUP on three trunk groups of 4,000 ANSI CICs toward the
 * tandem process). The switch runs in this benchmark's process, the tandem and SIPp outside it, so
 * the heap (after a forced full GC) and RSS growth over the idle switch after a warm-up are the
 * switch's. Measured once every call is up, and again after 34 s, once the set-up transactions
 * have timed out (64×T1), which is the row's figure.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { spawn } from 'node:child_process';
import { validateConfig } from '../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../src/app/start.js';
import { createLogger } from '../src/util/log.js';
import { freeUdpPort, hasSipp } from '../test/helpers/sipp.js';
import type { Benchmark, BenchResult } from './harness.js';
import { startUas } from './sipp-peers.js';
import { benchRuntime, describeProbe, hasKamailio, judge, offer, searchCapacity, SIP_T1_MS, SIPP_BUFF_BYTES, SIPP_LOAD_BEHAVIOURS, startKamailio, startTandemProcess, trunkGroupsFor, trunkGroupsConfig, UAS_LOAD_SCENARIO, type OfferedLoad, type TrunkGroupPlan } from './sip-peers-load.js';

const HOLD_S = Number(process.env.BENCH_SIP_CAPACITY_S ?? 60);
const PROBE_S = Number(process.env.BENCH_SIP_PROBE_S ?? 5);
/** SIPp uac processes offering each probe and hold, toward either system (and uas processes behind Kamailio). */
const DRIVERS = Number(process.env.BENCH_SIP_UACS ?? 2);
/** Kamailio's UDP workers: more than the cores, so one worker the scheduler leaves waiting does not stall the relay. */
const KAMAILIO_CHILDREN = Number(process.env.BENCH_KAMAILIO_CHILDREN ?? Math.max(4, availableParallelism() * 2));
/** Whole-run budget (s): a failed hold is retried lower only while it fits (the lead's quiet-host run must end in < 4 min). */
const BUDGET_S = Number(process.env.BENCH_SIP_BUDGET_S ?? 225);
/** Probing time per system (s): no probe starts later (on a quiet host a search takes ~35 s). */
const SEARCH_S = Number(process.env.BENCH_SIP_SEARCH_S ?? 45);
/**
 * The hold runs at this share of the highest probed rate: a 3 s probe and a 60 s hold see
 * different luck on a shared machine (a GC, a checkpoint, a neighbour's burst), and the same
 * headroom on both systems leaves their ratio as it was.
 */
const HOLD_FRACTION = Number(process.env.BENCH_SIP_HOLD_FRACTION ?? 0.9);
const CONCURRENT = Number(process.env.BENCH_SIP_CONCURRENT ?? 10_000);
const TRANSACTIONS_GONE_MS = 34_000;
/** Holds tried per system at most (each failed one is stopped as soon as it has failed, and retried lower while the budget allows). */
const MAX_HOLDS = 5;
/** SIPp processes sharing the concurrent calls. */
const UACS = 4;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// cpus(), not availableParallelism(): the latter is the calling thread's, one CPU while the switch's event loop is bound.
const machine = () => `1-min load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;

/** The switch in this process toward the tandem process: no lab, SIPp on 127.0.0.1 a trunk customer. */
async function switchToward(tandemPort: number, tgs: TrunkGroupPlan[], extra: Record<string, unknown> = {}): Promise<RunningSwitch> {
  const config = validateConfig({
    dataDir: mkdtempSync(join(tmpdir(), 'ssw-bench-cap-')),
    logLevel: 'error',
    api: { port: 0 },
    // BENCH_UDP_IO_THREAD=0: the SIP socket on the main thread (for comparison with the default I/O thread).
    sip: { port: 0, udpIoThread: process.env.BENCH_UDP_IO_THREAD !== '0' },
    mgcp: { localPort: 0, gateways: [] },
    didHealth: { probeIntervalMs: 0 },
    lab: { enabled: false, startOsmoMgw: false },
    ss7: { sgs: [{ name: 'tandem', address: '127.0.0.1', port: tandemPort }] },
    trunkCustomers: [{ id: 'sipp', sources: ['127.0.0.1/32'], maxCalls: 50_000 }],
    trunkGroups: trunkGroupsConfig(tgs),
    routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: tgs.map((t) => t.id), deck: 'config/rate-decks/ilec-tandem.csv' }] },
    shutdown: { drainMs: 0 },
    ...benchRuntime(),
    ...extra,
  });
  const ssw = await startSwitch(config, createLogger('error'));
  const ready = () => ssw.link.status().some((s) => s.state === 'ASP_ACTIVE') && ssw.isup.pendingProcedures().length === 0;
  for (let i = 0; i < 1200 && !ready(); i++) await sleep(25);
  if (!ready()) {
    await ssw.stop();
    throw new Error(`switch not ready toward the tandem: ${JSON.stringify(ssw.link.status())}, ${ssw.isup.pendingProcedures().length} circuit procedures pending`);
  }
  return ssw;
}

/** The switch's overload refusals so far, by reason (softswitch_overload_rejected_total). */
async function refusalsByReason(ssw: RunningSwitch): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await ssw.registry.getMetricsAsJSON()) {
    if (m.name !== 'softswitch_overload_rejected_total') continue;
    for (const v of m.values) out[String(v.labels.reason)] = (out[String(v.labels.reason)] ?? 0) + v.value;
  }
  return out;
}

async function settle(ssw: RunningSwitch): Promise<void> {
  for (let i = 0; i < 400 && ssw.calls.activeCount > 0; i++) await sleep(25);
}

interface Held {
  search: Awaited<ReturnType<typeof searchCapacity>>;
  holds: OfferedLoad[];
  /** The first hold with no failure, else the last tried. */
  held: OfferedLoad;
  load: string;
}

const benchStart = performance.now();
const elapsedS = () => (performance.now() - benchStart) / 1000;

/**
 * Searches the capacity at `target`, then holds it for HOLD_S; a hold that loses a call is tried
 * again lower (85 %, or 95 % of what it answered) if `reserveS` (what the rest of the run needs) still fits the budget.
 */
async function searchAndHold(who: string, target: string, reserveS: number, between?: () => Promise<void>, refusals?: () => Promise<Record<string, number>>): Promise<Held> {
  const say = (what: string, p: OfferedLoad, verdict: string) => process.stderr.write(`sip-capacity ${who} ${what} ${describeProbe(p)}: ${verdict} (${elapsedS().toFixed(0)} s, ${machine()})\n`);
  const search = await searchCapacity(target, { start: 800, max: 12_800, probeS: PROBE_S, maxP99Ms: SIP_T1_MS, refine: 3, uacs: DRIVERS, between, deadlineMs: performance.now() + SEARCH_S * 1000, onProbe: (p, v) => say('probe', p, v) });
  const holds: OfferedLoad[] = [];
  let rate = Math.round(search.rate * HOLD_FRACTION);
  for (let attempt = 0; attempt < MAX_HOLDS && rate > 0; attempt++) {
    if (attempt > 0 && elapsedS() + HOLD_S + 5 + reserveS > BUDGET_S) break;
    if (attempt > 0) await sleep(4000); // the failed hold's backlog drains first
    await between?.();
    const refusedBefore = await refusals?.();
    // Stopped at its first failed call, or once 1 % of its calls were answered later than T1: it has failed then.
    const h = await offer(target, rate, HOLD_S, { uacs: DRIVERS, stopWhen: { failures: 0, slowMs: SIP_T1_MS, slowShare: 0.01 } });
    holds.push(h);
    say(`hold ${HOLD_S} s`, h, judge(h, HOLD_S));
    if (refusedBefore && judge(h, HOLD_S) !== 'carried') {
      // Why the system refused calls in the hold (its overload admission, by reason): diagnosis only.
      const after = (await refusals?.()) ?? {};
      const by = Object.entries(after).map(([k, n]) => [k, n - (refusedBefore[k] ?? 0)] as const).filter(([, n]) => n > 0);
      if (by.length > 0) process.stderr.write(`sip-capacity ${who} hold refusals by reason: ${by.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    }
    if (judge(h, HOLD_S) === 'carried') break;
    // An overloaded hold still answered calls at some rate: the retry goes a little below that
    // when it is less than 85 % (a 3 s probe had overestimated the sustained rate by more).
    rate = Math.round(Math.min(rate * 0.85, h.cps * 0.95));
  }
  const held = holds.find((h) => judge(h, HOLD_S) === 'carried') ?? holds[holds.length - 1] ?? { rate: 0, offered: 0, ok: 0, failed: 0, wallS: 0, cps: 0, p50Ms: NaN, p99Ms: NaN, errors: {}, uacs: DRIVERS };
  return { search, holds, held, load: machine() };
}

const describeHeld = (who: string, h: Held) =>
  `${who}: probes ${h.search.probes.map(describeProbe).join('; ')}; holds ${h.holds.map(describeProbe).join('; ')} (${h.load})`;

async function capacity(): Promise<BenchResult[]> {
  // The switch first: SIPp uacs → switch → ISUP → tandem process.
  const tgs = trunkGroupsFor(4000);
  const tandem = await startTandemProcess(tgs);
  let sw: Held;
  let cdrs = 0;
  try {
    const ssw = await switchToward(tandem.port, tgs);
    try {
      await offer(`127.0.0.1:${ssw.sipPort}`, 100, 2, { uacs: DRIVERS }); // warm-up: JIT, SQLite, SCTP
      await settle(ssw);
      // Reserve for Kamailio's side: its start, ~40 s of probes and its hold.
      sw = await searchAndHold('switch', `127.0.0.1:${ssw.sipPort}`, 45 + HOLD_S, () => settle(ssw), () => refusalsByReason(ssw));
      await settle(ssw);
      cdrs = (await ssw.cdrs.list({ limit: 1 }))[0]?.id ?? 0;
    } finally {
      await ssw.stop();
    }
  } finally {
    await tandem.stop();
  }
  // Then Kamailio, with what is left of the budget for its retries: SIPp uacs → Kamailio (tm + rr,
  // dispatcher over the uases by Call-ID) → SIPp uases.
  const uases = await Promise.all(Array.from({ length: DRIVERS }, () => startUas({ scenario: UAS_LOAD_SCENARIO, buffSize: SIPP_BUFF_BYTES, args: SIPP_LOAD_BEHAVIOURS })));
  let kam: Held;
  try {
    const k = await startKamailio(uases.map((u) => `127.0.0.1:${u.port}`), KAMAILIO_CHILDREN);
    try {
      await offer(`127.0.0.1:${k.port}`, 50, 1, { uacs: DRIVERS }); // warm-up: Kamailio's workers, the uases
      kam = await searchAndHold('kamailio', `127.0.0.1:${k.port}`, 5);
    } finally {
      await k.stop();
    }
  } finally {
    for (const u of uases) await u.stop();
  }
  const ok = (h: Held) => judge(h.held, HOLD_S) === 'carried' && h.held.ok > 0;
  const ratio = kam.held.cps > 0 ? sw.held.cps / kam.held.cps : undefined;
  const note = `held ${HOLD_S} s at ${Math.round(HOLD_FRACTION * 100)} % of the highest probed rate with 0 failures (${PROBE_S} s probes, set-up p99 ≤ T1 ${SIP_T1_MS} ms, a borderline probe repeated once); rate = answered calls ÷ wall time of the hold; ${DRIVERS} SIPp uacs (4 MiB buffers) toward either system. ${describeHeld('switch (SIP → ISUP, tandem in its own process, no media gateway)', sw)}; ${describeHeld(`Kamailio 5.6 (tm + rr, ${KAMAILIO_CHILDREN} children, dispatcher over ${DRIVERS} SIPp uases)`, kam)}; ${cdrs} CDRs; whole run ${elapsedS().toFixed(0)} s`;
  return [
    {
      name: 'sip-capacity-60s',
      value: sw.held.cps,
      unit: 'calls/s',
      baseline: kam.held.cps,
      ratio,
      target: 'ratio >= 0.5, 0 failures',
      pass: ok(sw) && ok(kam) && ratio !== undefined && ratio >= 0.5,
      note,
    },
    {
      name: 'sip-capacity-60s-p99-setup',
      value: sw.held.p99Ms,
      unit: 'ms',
      baseline: kam.held.p99Ms,
      ratio: sw.held.p99Ms / kam.held.p99Ms,
      note: `INVITE → 200 at the uac in the held run (switch ${Math.round(sw.held.rate)} calls/s offered, p50 ${sw.held.p50Ms.toFixed(1)} ms; Kamailio ${Math.round(kam.held.rate)} calls/s offered, p50 ${kam.held.p50Ms.toFixed(1)} ms)`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// sip-memory-per-call

/** A forced full collection (the flag set at run time, so the runner needs no --expose-gc). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** Ended calls that were never answered, by SIP status and Q.850 cause (from their CDRs). */
async function unanswered(ssw: RunningSwitch): Promise<string> {
  const by = new Map<string, number>();
  // Every CDR, page by page (list() stops at the newest 10,000).
  for (let after = 0, more = true; more; ) {
    const { cdrs, next } = await ssw.cdrs.page({}, { afterId: after, limit: 5_000 });
    for (const c of cdrs) {
      if (c.answerTime) continue;
      const k = `${c.sipStatus ?? '-'}/cause ${c.cause}`;
      by.set(k, (by.get(k) ?? 0) + 1);
    }
    more = next !== undefined;
    after = next ?? after;
  }
  return [...by].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
}

async function memoryPerCall(): Promise<BenchResult[]> {
  const gc = forcedGc();
  const tgs = trunkGroupsFor(Math.ceil((CONCURRENT * 1.2) / 4000) * 4000);
  const tandem = await startTandemProcess(tgs);
  try {
    // No admission ceilings: every offered call is to be held (the capacity benchmark keeps the defaults).
    const ssw = await switchToward(tandem.port, tgs, { overload: { maxCallsInSetup: 0, lagCongestedMs: 0, lagSevereMs: 0 }, sip: { port: 0, maxDialogs: CONCURRENT * 2 } });
    const uacs: Array<ReturnType<typeof spawn>> = [];
    try {
      const target = `127.0.0.1:${ssw.sipPort}`;
      await offer(target, 100, 3); // warm-up: JIT, SQLite, SCTP
      await settle(ssw);
      // The warm-up's few hundred finished transactions are still held here: under 1 % of the figure.
      const idle = memory(gc);
      // SIPp uacs holding every call 10 minutes, killed once measured. Several processes, 4 MB socket
      // buffers and no SIP retransmission timeouts (-nr): one SIPp holding 10,000 calls on a loaded
      // 2-core machine trips its own watchdog and aborts calls whose answers come late (measured).
      const rate = Number(process.env.BENCH_SIP_CONCURRENT_RATE ?? 200);
      const t0 = performance.now();
      for (let i = 0; i < UACS; i++) {
        const n = Math.floor(CONCURRENT / UACS) + (i < CONCURRENT % UACS ? 1 : 0);
        const [p, mp, cp] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
        const args = [target, '-sn', 'uac', '-i', '127.0.0.1', '-p', String(p), '-mp', String(mp), '-cp', String(cp), '-nostdin', '-s', '12125550150', '-m', String(n), '-r', String(rate / UACS), '-l', String(n), '-d', '600000', '-nr', '-buff_size', String(4 * 1024 * 1024), '-timeout', '900s', '-timeout_error'];
        uacs.push(spawn('sipp', args, { stdio: 'ignore' }));
      }
      // Calls in the switch (a map's size) until all are there; the answered ones counted then (a snapshot per call is not free).
      const answered = () => ssw.calls.snapshot().filter((c) => c.state === 'answered').length;
      const deadline = Date.now() + (CONCURRENT / rate) * 1000 * 3 + 30_000;
      let up = 0;
      while (Date.now() < deadline) {
        await sleep(1000);
        if (ssw.calls.activeCount >= CONCURRENT && (up = answered()) >= CONCURRENT) break;
      }
      up = answered();
      const rampS = (performance.now() - t0) / 1000;
      const full = memory(gc);
      await sleep(TRANSACTIONS_GONE_MS);
      const stillUp = answered();
      const settled = memory(gc);
      const load = machine();
      const refused = await unanswered(ssw);
      const per = (a: number, b: number) => (a - b) / Math.max(1, stillUp);
      const note = `${stillUp} established calls (${up} when first measured, ${rampS.toFixed(0)} s ramp at ${rate}/s from ${UACS} SIPp uacs) SIP → ISUP (${tgs.length} trunk groups, ${tgs.reduce((s, t) => s + t.count, 0)} ANSI CICs), switch in this process, tandem and SIPp outside; idle switch after warm-up: heap ${(idle.heap / 2 ** 20).toFixed(1)} MiB, RSS ${(idle.rss / 2 ** 20).toFixed(1)} MiB; once all up: heap +${((full.heap - idle.heap) / Math.max(1, up) / 1024).toFixed(2)} KiB/call, RSS +${((full.rss - idle.rss) / Math.max(1, up) / 1024).toFixed(2)} KiB/call; after ${TRANSACTIONS_GONE_MS / 1000} s (set-up transactions gone): the rows; calls not answered: ${refused} (${load})`;
      const complete = stillUp >= CONCURRENT;
      return [
        { name: 'sip-memory-per-call-heap', value: per(settled.heap, idle.heap), unit: 'bytes/call', target: `${CONCURRENT} concurrent calls held`, pass: complete, note },
        { name: 'sip-memory-per-call-rss', value: per(settled.rss, idle.rss), unit: 'bytes/call', target: `${CONCURRENT} concurrent calls held`, pass: complete, note: `RSS growth over the idle switch at ${stillUp} calls (heap, code, SQLite pages, socket buffers)` },
      ];
    } finally {
      for (const u of uacs) u.kill('SIGKILL');
      await ssw.stop();
    }
  } finally {
    await tandem.stop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'sip-capacity-60s',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp() || !hasKamailio()) return [{ name: 'sip-capacity-60s', value: 0, unit: 'calls/s', note: `skipped: ${hasSipp() ? 'kamailio' : 'sipp (sip-tester)'} not installed` }];
      return capacity();
    },
  },
  {
    name: 'sip-memory-per-call',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'sip-memory-per-call', value: 0, unit: 'bytes/call', note: 'skipped: sipp (sip-tester) not installed' }];
      return memoryPerCall();
    },
  },
];

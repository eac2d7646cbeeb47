/**
 * ISUP call cycles between the switch and the tandem simulator, over the lab's real M3UA
 * association (SCTP over UDP, both ends in this process), without a media gateway.
 *
 * isup-call-cycle: the call engine's outgoing ISUP leg on the switch's ISUP service places calls
 * to the tandem (which alerts and answers at once); the switch releases right after ANM, so one
 * cycle is IAM → ACM → ANM → REL → RLC. Closed loop: N calls in flight, N raised until calls/s
 * stops growing, then held. Baseline in the same process set-up: M3UA DATA (an IAM-sized
 * payload under a non-ISUP service indicator, so neither ISUP service acts on it) echoed by the
 * tandem's SG, swept the same way; its rate counts one-way messages (two per echo), and
 * ratio = calls/s × 5 ÷ that rate: the share of the bare transport's message rate the ISUP call
 * layers keep.
 *
 * call-cycle-incoming: the tandem simulator originates IAMs to DIDs whose target is SIPp's
 * built-in uas; the switch delivers each over SIP (INVITE/180/200/ACK), the tandem releases as
 * soon as it sees ANM (REL → BYE). Baseline: SIPp uac → SIPp uas with no switch.
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { validateConfig } from '../src/config/load.js';
import { startSwitch, type RunningSwitch } from '../src/app/start.js';
import { createLogger, silentLogger } from '../src/util/log.js';
import { systemClock } from '../src/util/clock.js';
import { IsupOutgoingLeg, type OutgoingIam } from '../src/calls/legs/isup-outgoing-leg.js';
import type { IsupLegDeps } from '../src/calls/legs/isup-deps.js';
import { buildIam } from '../src/ss7/isup/builders.js';
import { encodeIsup } from '../src/ss7/isup/codec.js';
import { pointCodeOf } from '../src/ss7/mtp3/point-code.js';
import type { MtpTransferData } from '../src/ss7/mtp3/transfer.js';
import type { SimCallRecord } from '../src/app/lab/tandem-sim/simulator.js';
import { hasSipp } from '../test/helpers/sipp.js';
import { describeCpu, describeSteps, percentile, saturate, WindowedLoad, type CycleOutcome, type Measurement, type SaturateOptions } from './saturate.js';
import { describeErrors, sippBaseline, startUas, type UasCounts } from './sipp-peers.js';
import type { Benchmark, BenchResult } from './harness.js';

const TG = 'tg-ilec';
const CICS = 4000;
/** ISUP messages in one basic call cycle: IAM, ACM, ANM, REL, RLC. */
const MESSAGES_PER_CALL = 5;
const HOLD_MS = 20_000;
const SWEEP: Omit<SaturateOptions, 'windows'> = { settleMs: 250, stepMs: 1200, holdMs: HOLD_MS };
/** Q.704 §14.2.1 service indicator 3 (SCCP): carried by M3UA like ISUP, ignored by both ISUP services. */
const SI_BASELINE = 3;
const ECHO_HOLD_MS = 3000;
/** Highest p99 cycle time (IAM → RLC) of a window held for call-cycle-incoming: half of SIP's T1. */
const INCOMING_MAX_P99_MS = 250;

/** The machine's state, for reading figures taken on a shared host. */
const machine = () => `1-min load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startLab(extra: Record<string, unknown> = {}): Promise<{ ssw: RunningSwitch; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ssw-bench-'));
  const config = validateConfig({
    dataDir,
    logLevel: 'error',
    api: { port: 0 },
    sip: { port: 0 },
    mgcp: { localPort: 0, gateways: [] },
    didHealth: { probeIntervalMs: 0 },
    lab: { startOsmoMgw: false, tandemSim: { port: 0, alertDelayMs: 0, answerDelayMs: 0 } },
    trunkGroups: [{ id: TG, dpc: '2-2-2', cics: { first: 1, count: CICS } }],
    routing: { carriers: [{ id: 'ilec-tandem', trunkGroups: [TG], deck: 'config/rate-decks/ilec-tandem.csv' }] },
    ...extra,
  });
  const ssw = await startSwitch(config, createLogger('error'));
  for (let i = 0; i < 400 && !ssw.link.status().some((s) => s.state === 'ASP_ACTIVE'); i++) await sleep(25);
  if (!ssw.link.status().some((s) => s.state === 'ASP_ACTIVE')) {
    await ssw.stop();
    throw new Error(`M3UA did not reach ASP-ACTIVE: ${JSON.stringify(ssw.link.status())}`);
  }
  return { ssw, dataDir };
}

// ---------------------------------------------------------------------------------------------
// isup-call-cycle

/**
 * Bare M3UA: DATA echoed by the tandem's SG, one message in flight per window slot. Swept once;
 * `measure` re-measures at the chosen window (before and after the calls, so drift in the
 * machine's load shows and is averaged).
 */
async function m3uaEcho(ssw: RunningSwitch) {
  const tandem = ssw.tandem!;
  const variant = ssw.config.ss7.variant;
  const opc = pointCodeOf(ssw.config.ss7.localPointCode, variant, 'ss7.localPointCode');
  const rc = ssw.config.ss7.m3ua.routingContext;
  const payload = encodeIsup(buildIam({ cic: 1, variant, called: '2125550100', calling: '3125550000' }), variant);
  const echo = (pd: MtpTransferData) => {
    if (pd.si === SI_BASELINE) tandem.sg.sendTransfer({ ...pd, opc: pd.dpc, dpc: pd.opc }, rc);
  };
  const waiting: Array<(o: CycleOutcome) => void> = [];
  const back = (pd: MtpTransferData) => {
    if (pd.si === SI_BASELINE) waiting.shift()?.({ ok: true });
  };
  tandem.sg.on('transfer', echo);
  ssw.link.on('transfer', back);
  let sls = 0;
  const load = new WindowedLoad((done) => {
    const pd: MtpTransferData = { opc, dpc: tandem.pointCode, si: SI_BASELINE, ni: ssw.config.ss7.networkIndicator, mp: 0, sls: sls++ & 0x1f, data: payload };
    if (!ssw.link.sendTransfer(pd)) return false;
    waiting.push(done);
    return true;
  });
  const s = await saturate(load, { ...SWEEP, windows: [16, 32, 64, 128, 256, 512, 1024, 2048, 4096], holdMs: ECHO_HOLD_MS });
  await load.drain(5000);
  return {
    bytes: payload.length,
    window: s.window,
    steps: describeSteps(s.steps),
    first: s.hold,
    /** One more held measurement at the chosen window. */
    async again(ms: number): Promise<Measurement> {
      load.setWindow(s.window);
      await sleep(SWEEP.settleMs);
      const m = await load.measure(ms);
      await load.drain(5000);
      return m;
    },
    /** Stops the echo; resolves with the messages never echoed back (0 unless some were lost). */
    async close(): Promise<number> {
      const lost = await load.drain(5000);
      tandem.sg.off('transfer', echo);
      ssw.link.off('transfer', back);
      return lost;
    },
  };
}

async function isupCallCycle(): Promise<BenchResult[]> {
  const { ssw } = await startLab();
  try {
    const t0 = performance.now();
    const echo = await m3uaEcho(ssw);
    const deps: IsupLegDeps = {
      isup: ssw.isup,
      trunkGroup: (id) => (id === TG ? { variant: ssw.config.ss7.variant, endpointFor: () => undefined } : undefined),
      usable: (id) => ssw.isup.isAvailable(id),
      clock: systemClock,
      logger: silentLogger,
      mediaAddress: '127.0.0.1',
    };
    const iam: OutgoingIam = { called: '2125550100', calledNai: 3, calling: '3125550000', callingNai: 3, callingPartyCategory: 10 };
    const failures = new Map<string, number>();
    let seq = 0;
    const load = new WindowedLoad((done) => {
      if (!ssw.isup.isAvailable(TG)) return false;
      const leg = new IsupOutgoingLeg(deps, TG, iam, `bench-${seq++}`);
      const sent = performance.now();
      let setupMs: number | undefined;
      let why: string | undefined;
      leg.events = {
        onAnswer: () => {
          setupMs = performance.now() - sent;
          leg.release(16);
        },
        onFail: (f) => (why ??= `fail-${f.cause}`),
        onRelease: (cause) => (why ??= `released-${cause}`),
      };
      void leg.settled.then(() => {
        if (why || setupMs === undefined) failures.set(why ?? 'unanswered', (failures.get(why ?? 'unanswered') ?? 0) + 1);
        done({ ok: !why && setupMs !== undefined, setupMs });
      });
      leg.start(undefined);
      return true;
    });
    const s = await saturate(load, { ...SWEEP, windows: [4, 8, 16, 32, 64, 128, 256, 512, 1024] });
    const left = await load.drain(15_000);
    const after = await echo.again(ECHO_HOLD_MS);
    const echoLost = await echo.close();
    // One-way messages: each echo is two (switch → tandem, tandem → switch), like the call's five.
    const before = echo.first.rate * 2;
    const bare = ((echo.first.rate + after.rate) / 2) * 2;
    const cps = s.hold.rate;
    const ratio = (cps * MESSAGES_PER_CALL) / bare;
    // The same comparison by CPU time, which a busy shared machine disturbs less than rates.
    const cpuPerMessage = (echo.first.cpuMs + after.cpuMs) / (2 * (echo.first.ok + after.ok));
    const cpuRatio = (cpuPerMessage * MESSAGES_PER_CALL) / (s.hold.cpuMs / Math.max(1, s.hold.ok));
    const p50 = percentile(s.hold.setupMs, 50);
    const p99 = percentile(s.hold.setupMs, 99);
    const counts = ssw.isup.trunkGroup(TG)!.circuits.counts();
    const tandemLeft = ssw.tandem!.simulator.activeCalls().length;
    const failed = [...failures.entries()].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
    const clean = s.hold.failed === 0 && left === 0 && counts.outgoing === 0 && tandemLeft === 0 && echoLost === 0;
    const where = `held ${Math.round(s.hold.ms / 1000)} s at window ${s.window}: ${s.hold.ok} cycles, ${describeCpu(s.hold, 'call')}`;
    return [
      {
        name: 'isup-call-cycle',
        value: cps,
        unit: 'calls/s',
        baseline: bare,
        ratio,
        target: '>= 0.5',
        pass: ratio >= 0.5 && clean,
        note:
          `IAM→ACM→ANM→REL→RLC over M3UA/SCTP/UDP (switch ASP ↔ tandem SG, one process), ${where}; ` +
          `ratio = calls/s × ${MESSAGES_PER_CALL} ÷ bare M3UA one-way msg/s; by CPU time (${MESSAGES_PER_CALL} × bare CPU per message ÷ CPU per call) ${cpuRatio.toFixed(2)}; sweep ${describeSteps(s.steps)}; ` +
          `failures during hold ${s.hold.failed}, over the run: ${failed}; after drain: ${left} in flight, ${counts.outgoing} circuits busy, ${tandemLeft} tandem calls; ` +
          `baseline: M3UA DATA (${echo.bytes} B ISUP IAM as payload, SI ${SI_BASELINE}) echoed by the tandem SG at window ${echo.window}, ` +
          `one-way msg/s = 2 × echoes/s, mean of ${Math.round(before)} before and ${Math.round(after.rate * 2)} after the calls (${ECHO_HOLD_MS / 1000} s each), ` +
          `${describeCpu(echo.first, 'echo')}, ${echoLost} never echoed; sweep ${echo.steps}; row took ${Math.round((performance.now() - t0) / 1000)} s, ${machine()}`,
      },
      { name: 'isup-call-cycle-setup-p50', value: p50, unit: 'ms', note: `IAM sent → ANM received, ${s.hold.setupMs.length} calls at window ${s.window}` },
      { name: 'isup-call-cycle-setup-p99', value: p99, unit: 'ms', note: `IAM sent → ANM received, ${s.hold.setupMs.length} calls at window ${s.window}` },
    ];
  } finally {
    await ssw.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// call-cycle-incoming

interface CdrCounts {
  total: number;
  answered: number;
  bad: number;
}

function cdrCounts(dataDir: string): CdrCounts {
  const db = new Database(join(dataDir, 'softswitch.sqlite'), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT COUNT(*) AS total, COALESCE(SUM(answer_time IS NOT NULL), 0) AS answered,
                COALESCE(SUM(NOT (cause = 16 AND sip_status = 200 AND released_by = 'caller')), 0) AS bad
           FROM cdrs WHERE direction = 'isup-to-sip'`,
      )
      .get() as CdrCounts;
  } finally {
    db.close();
  }
}

async function callCycleIncoming(): Promise<BenchResult[]> {
  const t0 = performance.now();
  const baseline = await sippBaseline();
  const uas = await startUas();
  let uasCounts: UasCounts = { created: 0, successful: 0, failed: 0, errors: {} };
  const { ssw, dataDir } = await startLab({
    trunkCustomers: [
      {
        id: 'bench-pbx',
        sources: ['127.0.0.1/32'],
        maxCalls: 100_000,
        dids: [{ range: { from: '2125550100', to: '2125550199' }, targets: [{ host: '127.0.0.1', port: uas.port }] }],
      },
    ],
  });
  let stopped = false;
  try {
    const sim = ssw.tandem!.simulator;
    const pending = new Map<string, { t0: number; done: (o: CycleOutcome) => void }>();
    const failures = new Map<string, number>();
    let originated = 0;
    sim.on('ended', (r: SimCallRecord) => {
      if (r.direction !== 'outgoing') return;
      const key = `${r.trunkGroup}/${r.cic}`;
      const p = pending.get(key);
      if (!p) return;
      pending.delete(key);
      const ok = r.answered === true && r.releaseCause === 16;
      if (!ok) {
        const why = `${r.answered ? 'answered' : 'unanswered'}-cause-${r.releaseCause}`;
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
      // The tandem releases as soon as it sees ANM: the cycle time is set-up plus release.
      p.done({ ok, setupMs: performance.now() - p.t0 });
    });
    const load = new WindowedLoad((done) => {
      const called = `21255501${String(originated % 100).padStart(2, '0')}`;
      const at = sim.originate({ called, calling: '3125550199', trunkGroup: TG, holdMs: 0 });
      if (!at) return false;
      originated++;
      pending.set(`${at.trunkGroup}/${at.cic}`, { t0: performance.now(), done });
      return true;
    });
    // Past INCOMING_MAX_P99_MS the INVITE's 180 can come later than SIP's T1 (500 ms): the switch
    // retransmits the INVITE (RFC 3261 §17.1.1.2) and SIPp's built-in uas, which does not absorb a
    // retransmission once it has sent 200, aborts the call. Such a window is past saturation.
    const s = await saturate(load, { ...SWEEP, windows: [2, 4, 8, 16, 32, 64, 128, 256], maxP99Ms: INCOMING_MAX_P99_MS });
    const left = await load.drain(15_000);
    for (let i = 0; i < 200 && ssw.calls.activeCount > 0; i++) await sleep(25);
    const active = ssw.calls.activeCount;
    await ssw.stop();
    stopped = true;
    uasCounts = await uas.stop();
    const cdrs = cdrCounts(dataDir);
    const cps = s.hold.rate;
    const ratio = cps / baseline.cps;
    const failed = [...failures.entries()].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
    const clean = s.hold.failed === 0 && failures.size === 0 && left === 0 && active === 0 && cdrs.total === originated && cdrs.bad === 0 && uasCounts.failed === 0 && uasCounts.created === originated;
    return [
      {
        name: 'call-cycle-incoming',
        value: cps,
        unit: 'calls/s',
        baseline: baseline.cps,
        ratio,
        pass: clean,
        note:
          `tandem IAM → switch → SIPp uas (INVITE/180/200/ACK), tandem REL on ANM → BYE; held ${Math.round(s.hold.ms / 1000)} s at window ${s.window} ` +
          `(the largest before calls/s stopped growing or p99 cycle time passed ${INCOMING_MAX_P99_MS} ms): ` +
          `${s.hold.ok} ok / ${s.hold.failed} failed, ${describeCpu(s.hold, 'call')} (switch and tandem); sweep ${describeSteps(s.steps)}; ` +
          `cycle time (IAM → RLC) p50 ${percentile(s.hold.setupMs, 50).toFixed(1)} ms, p99 ${percentile(s.hold.setupMs, 99).toFixed(1)} ms; ` +
          `run total: ${originated} originated, failures ${failed}; after drain ${left} in flight, ${active} switch calls active; ` +
          `CDRs ${cdrs.total} (${cdrs.answered} answered, ${cdrs.bad} not 200/cause 16/caller); SIPp uas ${uasCounts.created} calls received, ${uasCounts.failed} failed (its error log: ${describeErrors(uasCounts.errors)}); ` +
          `baseline: SIPp uac → uas unthrottled, best at -l ${baseline.limit} (${baseline.steps.map((b) => `l${b.limit}:${Math.round(b.cps)}${b.failed ? `(${b.failed} failed)` : ''}${b.error ? ` (no calls: ${b.error})` : ''}`).join(' ')}, ${baseline.stepS} s each); ` +
          `row took ${Math.round((performance.now() - t0) / 1000)} s, ${machine()}`,
      },
    ];
  } finally {
    if (!stopped) {
      await ssw.stop();
      await uas.stop();
    }
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'isup-call-cycle', run: isupCallCycle },
  {
    name: 'call-cycle-incoming',
    async run(): Promise<BenchResult[]> {
      if (!hasSipp()) return [{ name: 'call-cycle-incoming', value: 0, unit: 'calls/s', note: 'skipped: sipp (sip-tester) not installed' }];
      return callCycleIncoming();
    },
  },
];

/**
 * Rate-deck reloads under lookup load (issue #9): the main thread keeps routing calls
 * (RoutingEngine.lookup in back-to-back batches) while the engine reloads its decks; the deck
 * worker's builder process (nice 10, every thread) reads, validates and compiles them, the worker
 * reads the table it wrote into SharedArrayBuffers and posts them.
 * Measured: the longest gap between lookup batches (the stall a call would see) and the event
 * loop delay maximum (perf_hooks, 1 ms resolution), the worker's build time, and the trie's
 * bytes per prefix. Each reload is judged against a floor: the same lookups, right after it, for
 * as long as it took, with nothing reloading (a longer window sees rarer pauses, so a shorter
 * floor would flatter the reload's cost). On a shared host a gap is mostly waiting for a CPU, so
 * each window also reports its longest gap net of run-queue wait (-stall-net), the main thread's
 * longest GC pause and the heap size. LCR_BENCH_V8_FLAGS (e.g. --no-parallel-scavenge) sets V8
 * flags for the run, to compare how the main thread's collections fare beside the worker's.
 *   lcr-reload-1m: generateDecks(1M prefixes, 5 carriers), reloaded twice (the second replaces a
 *     1M table). Baseline: the same decks compiled on the main thread in slices between lookups
 *     (buildTableAsync, how reloads ran before the worker).
 *   lcr-reload-5m: five carriers' NPA-NXX-X decks, 5M distinct 8-digit prefixes (one carrier
 *     per block), reloaded from a small table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, openSync, readSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Benchmark, BenchResult } from './harness.js';
import { RoutingEngine } from '../src/class4/routing/engine.js';
import { generateDecks, generateLookupMix, generateNanpNumbers, nanpBlockDeckLines } from '../src/class4/lcr/generate.js';
import { buildTableAsync } from '../src/class4/lcr/table.js';
import { deckCsvLines, type DeckRows } from '../src/class4/lcr/deck.js';
import type { Adoption, LoadTimings } from '../src/class4/lcr/worker-protocol.js';
import { CpuPlacement } from '../src/app/cpu-placement.js';
import { createLogger } from '../src/util/log.js';
import { benchRuntime } from './sip-peers-load.js';

v8.setFlagsFromString('--expose-gc');
if (process.env.LCR_BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.LCR_BENCH_V8_FLAGS);
const gc = vm.runInNewContext('gc') as () => void;
/**
 * A full collection of what this benchmark itself made (generated decks, their CSV lines), then a
 * pause while V8's helper threads finish sweeping it: that work runs beside the event loop at its
 * priority, and measured per thread it put up to 130 ms/s of CPU wait on the main thread in the
 * first second of the window that followed. It is the generator's cost, not the reload's.
 */
async function collectAndSettle(): Promise<void> {
  gc();
  gc();
  await new Promise((r) => setTimeout(r, 2000));
}
const CARRIERS = 5;

/**
 * The event loop bound to a CPU of its own, as a switch with `runtime.eventLoopCpu` runs it (the
 * deck worker, V8's helper and the builder process on the rest); BENCH_EVENT_LOOP_CPU=off leaves
 * placement to the kernel. Undefined when not bound.
 */
async function bindEventLoop(): Promise<CpuPlacement | undefined> {
  const cpu = benchRuntime().runtime?.eventLoopCpu;
  if (cpu === undefined) return undefined;
  const placement = new CpuPlacement({ eventLoopCpu: cpu, log: createLogger('error') });
  return (await placement.start()) ? placement : undefined;
}
const AT = new Date('2025-06-04T17:00:00Z');

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let buf: string[] = [];
  for (const l of lines) {
    buf.push(l);
    if (buf.length === 20_000) {
      if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain');
      buf = [];
    }
  }
  out.end(buf.join('\n') + '\n');
  await once(out, 'finish');
}

function deckLines(d: DeckRows, rateOffset: number): Iterable<string> {
  return deckCsvLines(d.prefixes.map((p, i) => ({ prefix: p, interstate: d.interstate[i] + rateOffset, intrastate: d.intrastate[i] + rateOffset, indeterminate: d.indeterminate[i] + rateOffset, effective: d.effective[i] })));
}

interface Stall {
  maxGapMs: number;
  /** Of the longest gap, the time the main thread was runnable but waiting for a CPU (host load). */
  maxGapRunqueueMs: number;
  /** Longest gap less the run-queue wait inside it: the stall the process itself caused. */
  maxNetGapMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
  /** Main-thread garbage collections during the window: the longest pause and the number of mark-compacts. */
  gcMaxMs: number;
  /** What the longest collection was (perf_hooks' kind: minor = scavenge, major = mark-compact, incremental, weakcb). */
  gcMaxKind: string;
  gcMajor: number;
  heapMiB: number;
  lookups: number;
  errors: number;
  seconds: number;
}

/**
 * Run-queue wait of the calling thread in ms (the second field of /proc/thread-self/schedstat, in
 * ns, accounted when the thread gets a CPU), or undefined where the kernel does not say. On a
 * shared host most of a long gap can be waiting for a CPU that other processes hold.
 */
const runqueueMs = (() => {
  let fd: number;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(96);
  return () => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('latin1', 0, n);
    const a = text.indexOf(' ');
    return Number(text.slice(a + 1, text.indexOf(' ', a + 1))) / 1e6;
  };
})();

const gcKind = (k: number | undefined) =>
  k === perfConstants.NODE_PERFORMANCE_GC_MINOR ? 'scavenge' : k === perfConstants.NODE_PERFORMANCE_GC_MAJOR ? 'mark-compact' : k === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL ? 'incremental marking' : k === perfConstants.NODE_PERFORMANCE_GC_WEAKCB ? 'weak callbacks' : `kind ${k}`;

/** Runs `work` while the main thread routes `numbers` back to back; the longest pause it saw. */
async function underLookups(engine: RoutingEngine, numbers: string[], work: () => Promise<unknown>): Promise<Stall> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let gcMax = 0;
  let gcMaxKind = '';
  let gcMajor = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration > gcMax) {
        gcMax = e.duration;
        gcMaxKind = gcKind((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
      }
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcMajor++;
    }
  });
  let maxGap = 0;
  let maxGapRunqueue = 0;
  let maxNet = 0;
  let lookups = 0;
  let errors = 0;
  let running = true;
  let i = 0;
  let last = performance.now();
  let lastWait = runqueueMs?.() ?? 0;
  let heap = 0;
  let spins = 0;
  // A gap runs from the end of one batch to the end of the next, so a pause inside a batch (a
  // collection its lookups triggered) counts as well as one between batches; an unhindered gap
  // is one batch's work, a few tenths of a millisecond.
  const spin = () => {
    for (let k = 0; k < 100; k++, i++) {
      try {
        engine.lookup({ called: numbers[i % numbers.length], at: AT });
      } catch {
        errors++;
      }
      lookups++;
    }
    const now = performance.now();
    const waited = runqueueMs ? runqueueMs() : 0;
    const gap = now - last;
    const wait = waited - lastWait;
    if (gap > maxGap) {
      maxGap = gap;
      maxGapRunqueue = wait;
    }
    if (gap - wait > maxNet) maxNet = gap - wait;
    last = now;
    lastWait = waited;
    if (spins++ % 512 === 0) heap = Math.max(heap, process.memoryUsage().heapUsed);
    if (running) setImmediate(spin);
  };
  gcs.observe({ entryTypes: ['gc'] });
  h.enable();
  const t0 = performance.now();
  last = t0;
  if (runqueueMs) lastWait = runqueueMs();
  setImmediate(spin);
  await work();
  running = false;
  await new Promise((r) => setImmediate(r));
  h.disable();
  gcs.disconnect();
  return {
    maxGapMs: maxGap,
    maxGapRunqueueMs: maxGapRunqueue,
    maxNetGapMs: runqueueMs ? maxNet : maxGap,
    loopMaxMs: h.max / 1e6,
    loopP99Ms: h.percentile(99) / 1e6,
    gcMaxMs: gcMax,
    gcMaxKind,
    gcMajor,
    heapMiB: heap / 1048576,
    lookups,
    errors,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The same lookups for as long as `reload` took, with nothing else running: the floor it is judged against. */
const floorLike = (engine: RoutingEngine, numbers: string[], reload: Stall) => underLookups(engine, numbers, () => new Promise((r) => setTimeout(r, Math.max(1000, reload.seconds * 1000))));

/** Several windows as one: the worst of each figure, summed counts. */
function worst(list: Stall[]): Stall {
  const at = list.reduce((a, b) => (b.maxGapMs > a.maxGapMs ? b : a));
  const gcAt = list.reduce((a, b) => (b.gcMaxMs > a.gcMaxMs ? b : a));
  return {
    ...at,
    maxNetGapMs: Math.max(...list.map((s) => s.maxNetGapMs)),
    loopMaxMs: Math.max(...list.map((s) => s.loopMaxMs)),
    loopP99Ms: Math.max(...list.map((s) => s.loopP99Ms)),
    gcMaxMs: gcAt.gcMaxMs,
    gcMaxKind: gcAt.gcMaxKind,
    gcMajor: list.reduce((n, s) => n + s.gcMajor, 0),
    heapMiB: Math.max(...list.map((s) => s.heapMiB)),
    lookups: list.reduce((n, s) => n + s.lookups, 0),
    errors: list.reduce((n, s) => n + s.errors, 0),
    seconds: list.reduce((n, s) => n + s.seconds, 0),
  };
}

async function engineOn(dir: string, snapshot: boolean): Promise<{ engine: RoutingEngine; decks: string[] }> {
  const decks = Array.from({ length: CARRIERS }, (_, c) => join(dir, `carrier-${c + 1}.csv`));
  for (const p of decks) await writeFile(p, 'prefix,interstate\n1201,0.01\n');
  const engine = await RoutingEngine.load(
    {
      carriers: decks.map((deck, c) => ({ id: `carrier-${c + 1}`, trunkGroups: [`tg-${c + 1}`], deck, priority: 10, weight: 1 })),
      lnp: {},
      snapshot: { enabled: snapshot },
    },
    { dataDir: join(dir, 'data') },
  );
  return { engine, decks };
}

/** The build's own cost: CPU time of the builder process's main thread (wall time on a shared host includes waiting for a core). */
const cpuOrWall = (t: LoadTimings) => (t.buildCpuMs >= 0 ? t.buildCpuMs : t.buildMs);
const sec = (ms: number) => (ms / 1000).toFixed(2);
const timings = (t: LoadTimings) => `parse ${sec(t.parseCpuMs)} s CPU / ${sec(t.parseMs)} s wall, build ${sec(t.buildCpuMs)} s CPU / ${sec(t.buildMs)} s wall, snapshot ${sec(t.snapshotMs)} s, total ${sec(t.totalMs)} s wall; host load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const fmt = (s: Stall) =>
  `${s.lookups} lookups (${s.errors} errors) in ${s.seconds.toFixed(1)} s; longest gap ${ms(s.maxGapMs)} (${ms(s.maxGapRunqueueMs)} of it waiting for a CPU), longest net of CPU wait ${ms(s.maxNetGapMs)}; loop delay max ${ms(s.loopMaxMs)}, p99 ${ms(s.loopP99Ms)}; main-thread GC longest ${ms(s.gcMaxMs)} (${s.gcMaxKind || 'none'}), ${s.gcMajor} mark-compact; heap ${s.heapMiB.toFixed(0)} MiB`;

/** The stall rows: the reloads' longest gap against the floor measured for the same time in the same run. */
function stallRows(prefix: string, reloads: Stall[], floors: Stall[], extra: { baseline?: Stall; ok: boolean; what: string; adoptions: Array<Adoption | undefined> }): BenchResult[] {
  const r = worst(reloads);
  const f = worst(floors);
  const base = extra.baseline;
  return [
    {
      name: `${prefix}-stall`,
      value: r.maxGapMs,
      unit: 'ms',
      ...(base ? { baseline: base.maxGapMs, ratio: base.maxGapMs / r.maxGapMs } : {}),
      target: '<= 5 ms',
      pass: r.maxGapMs <= 5 && r.errors === 0 && extra.ok,
      note: `longest time between the ends of consecutive 100-lookup batches (a pause inside a batch counts) while ${extra.what}: ${reloads.map(fmt).join('; ')}. Main thread's own share of each reload (engine.stats().lastAdoption): ${extra.adoptions.map((a) => (a ? `reply delivered ${ms(a.deliveryMs)} after the worker posted it, in use ${a.adoptMs.toFixed(3)} ms later` : 'not measured')).join('; ')}. Floor (the same lookups for as long as each reload took, no reload): ${floors.map(fmt).join('; ')}${base ? `. Baseline: main-thread sliced build (${fmt(base)}); ratio = baseline/value` : ''}`,
    },
    { name: `${prefix}-floor`, value: f.maxGapMs, unit: 'ms', note: 'longest time between the ends of consecutive lookup batches with no reload, measured right after each reload for as long as it took (same run, same lookups)' },
    {
      name: `${prefix}-stall-net`,
      value: r.maxNetGapMs,
      unit: 'ms',
      baseline: f.maxNetGapMs,
      ratio: r.maxNetGapMs / f.maxNetGapMs,
      target: '<= 5 ms',
      pass: r.maxNetGapMs <= 5,
      note: 'longest gap less the time the main thread spent runnable but waiting for a CPU inside it (/proc/thread-self/schedstat): what the process itself held the loop for. It still includes waits for V8 GC helper threads, which on a loaded host wait for a CPU too; baseline: the same over the floor windows; ratio = value/baseline',
    },
    { name: `${prefix}-loop-delay`, value: r.loopMaxMs, unit: 'ms', ...(base ? { baseline: base.loopMaxMs } : {}), note: `monitorEventLoopDelay max (1 ms resolution) during the reloads; floor ${ms(f.loopMaxMs)}${base ? '; baseline: main-thread sliced build' : ''}` },
  ];
}

/** Writes generated decks (and returns lookup numbers for them) without keeping the generator's strings on this heap. */
async function writeGenerated(decks: string[], rateOffset: number): Promise<string[]> {
  const gen = generateDecks(1_000_000, 1, CARRIERS);
  for (let c = 0; c < CARRIERS; c++) await writeLines(decks[c], deckLines(gen.decks[c], rateOffset));
  return generateLookupMix(gen.prefixes, 50_000, 2);
}

const reload1m: Benchmark = {
  name: 'lcr-reload-1m',
  async run(): Promise<BenchResult[]> {
    const dir = await mkdtemp(join(tmpdir(), 'lcr-bench-'));
    const placement = await bindEventLoop();
    try {
      const { engine, decks } = await engineOn(dir, true);
      const numbers = await writeGenerated(decks, 0);
      // Before: the build on the main thread, in slices between lookups (the decks are this heap's only while it runs).
      const before = await (async () => {
        const sliced = generateDecks(1_000_000, 1, CARRIERS).decks;
        gc();
        return underLookups(engine, numbers, () => buildTableAsync(sliced));
      })();
      await collectAndSettle();
      const first = await underLookups(engine, numbers, () => engine.reload());
      const t1 = engine.stats();
      const floor1 = await floorLike(engine, numbers, first);
      // A second reload with every rate changed: all five decks re-read and the 1M table replaced.
      await writeGenerated(decks, 1);
      await collectAndSettle();
      const second = await underLookups(engine, numbers, () => engine.reload());
      const s = engine.stats();
      const floor2 = await floorLike(engine, numbers, second);
      await engine.close();
      const build = Math.max(cpuOrWall(t1.lastReload!), cpuOrWall(s.lastReload!)) / 1000;
      const perPrefix = s.trieBytes / s.prefixes;
      return [
        ...stallRows('lcr-reload-1m', [first, second], [floor1, floor2], { baseline: before, ok: true, what: `the deck worker reloaded ${s.prefixes} prefixes / ${s.rows} rows twice (the second replacing a 1M table)`, adoptions: [t1.lastAdoption, s.lastAdoption] }),
        {
          name: 'lcr-reload-1m-build',
          value: build,
          unit: 's',
          target: '<= 3 s',
          pass: build <= 3,
          note: `build = parsed rows to compiled table, builder-process main-thread CPU seconds (max of two reloads); second reload ${timings(s.lastReload!)}`,
        },
        { name: 'lcr-reload-1m-trie', value: perPrefix, unit: 'bytes/prefix', target: '<= 10', pass: perPrefix <= 10, note: `${s.nodes} nodes, ${s.trieBytes} bytes incl. direct table; whole table ${(s.totalBytes / s.prefixes).toFixed(1)} bytes/prefix` },
      ];
    } finally {
      await placement?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const reload5m: Benchmark = {
  name: 'lcr-reload-5m',
  async run(): Promise<BenchResult[]> {
    const dir = await mkdtemp(join(tmpdir(), 'lcr-bench-'));
    const placement = await bindEventLoop();
    try {
      const total = 5_000_000;
      const numbers = generateNanpNumbers(50_000, 3);
      const { engine, decks } = await engineOn(dir, false);
      for (let c = 0; c < CARRIERS; c++) await writeLines(decks[c], nanpBlockDeckLines(c, CARRIERS, total, 1));
      await collectAndSettle();
      const reload = await underLookups(engine, numbers, () => engine.reload());
      const s = engine.stats();
      const floor = await floorLike(engine, numbers, reload);
      let routed = 0;
      for (const n of numbers.slice(0, 5000)) if (engine.lookup({ called: n, at: AT }).candidates.length) routed++;
      await engine.close();
      const build = cpuOrWall(s.lastReload!) / 1000;
      const perPrefix = s.trieBytes / s.prefixes;
      return [
        ...stallRows('lcr-reload-5m', [reload], [floor], { ok: s.prefixes === total, adoptions: [s.lastAdoption], what: `the deck worker reloaded ${s.prefixes} NPA-NXX-X prefixes of ${CARRIERS} carriers over a small table (${routed}/5000 sample numbers routed after)` }),
        {
          name: 'lcr-reload-5m-build',
          value: build,
          unit: 's',
          target: '<= 3 s',
          pass: build <= 3,
          note: `build = parsed rows to compiled table, builder-process main-thread CPU seconds; ${timings(s.lastReload!)} (snapshot off)`,
        },
        { name: 'lcr-reload-5m-trie', value: perPrefix, unit: 'bytes/prefix', target: '<= 10', pass: perPrefix <= 10, note: `${s.nodes} nodes, ${s.trieBytes} bytes incl. direct table; whole table ${(s.totalBytes / s.prefixes).toFixed(1)} bytes/prefix (${((s.totalBytes) / 1048576).toFixed(0)} MiB)` },
      ];
    } finally {
      await placement?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export const benchmarks: Benchmark[] = [reload1m, reload5m];


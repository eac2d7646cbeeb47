/**
 * Rate-deck reloads under lookup load (issue #9): the main thread keeps routing calls
 * (RoutingEngine.lookup in back-to-back batches) while the engine reloads its decks; the deck
 * worker reads, validates and compiles them and the table crosses in SharedArrayBuffers.
 * Measured: the longest gap between lookup batches (the stall a call would see) and the event
 * loop delay maximum (perf_hooks, 1 ms resolution), the worker's build time, and the trie's
 * bytes per prefix.
 *   lcr-reload-1m: generateDecks(1M prefixes, 5 carriers), reloaded twice (the second replaces a
 *     1M table). Baseline: the same decks compiled on the main thread in slices between lookups
 *     (buildTableAsync, how reloads ran before the worker).
 *   lcr-reload-5m: five carriers' NPA-NXX-X decks, 5M distinct 8-digit prefixes (one carrier
 *     per block), reloaded from a small table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Benchmark, BenchResult } from './harness.js';
import { RoutingEngine } from '../src/class4/routing/engine.js';
import { generateDecks, generateLookupMix, generateNanpNumbers, nanpBlockDeckLines } from '../src/class4/lcr/generate.js';
import { buildTableAsync } from '../src/class4/lcr/table.js';
import { deckCsvLines, type DeckRows } from '../src/class4/lcr/deck.js';
import type { LoadTimings } from '../src/class4/lcr/worker-protocol.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const CARRIERS = 5;
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
  loopMaxMs: number;
  loopP99Ms: number;
  lookups: number;
  errors: number;
  seconds: number;
}

/** Runs `work` while the main thread routes `numbers` back to back; the longest pause it saw. */
async function underLookups(engine: RoutingEngine, numbers: string[], work: () => Promise<unknown>): Promise<Stall> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let maxGap = 0;
  let lookups = 0;
  let errors = 0;
  let running = true;
  let i = 0;
  let last = performance.now();
  const spin = () => {
    const now = performance.now();
    if (now - last > maxGap) maxGap = now - last;
    for (let k = 0; k < 100; k++, i++) {
      try {
        engine.lookup({ called: numbers[i % numbers.length], at: AT });
      } catch {
        errors++;
      }
      lookups++;
    }
    last = performance.now();
    if (running) setImmediate(spin);
  };
  h.enable();
  const t0 = performance.now();
  setImmediate(spin);
  await work();
  running = false;
  await new Promise((r) => setImmediate(r));
  h.disable();
  return { maxGapMs: maxGap, loopMaxMs: h.max / 1e6, loopP99Ms: h.percentile(99) / 1e6, lookups, errors, seconds: (performance.now() - t0) / 1000 };
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

/** The build's own cost: CPU time of the worker thread (wall time on a shared host includes waiting for a core). */
const cpuOrWall = (t: LoadTimings) => (t.buildCpuMs >= 0 ? t.buildCpuMs : t.buildMs);
const sec = (ms: number) => (ms / 1000).toFixed(2);
const timings = (t: LoadTimings) => `parse ${sec(t.parseCpuMs)} s CPU / ${sec(t.parseMs)} s wall, build ${sec(t.buildCpuMs)} s CPU / ${sec(t.buildMs)} s wall, snapshot ${sec(t.snapshotMs)} s, total ${sec(t.totalMs)} s wall; host load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
const fmt = (s: Stall) => `${s.lookups} lookups (${s.errors} errors) in ${s.seconds.toFixed(1)} s; loop delay max ${s.loopMaxMs.toFixed(1)} ms, p99 ${s.loopP99Ms.toFixed(1)} ms`;

const reload1m: Benchmark = {
  name: 'lcr-reload-1m',
  async run(): Promise<BenchResult[]> {
    const dir = await mkdtemp(join(tmpdir(), 'lcr-bench-'));
    try {
      let gen: ReturnType<typeof generateDecks> | undefined = generateDecks(1_000_000, 1, CARRIERS);
      const numbers = generateLookupMix(gen.prefixes, 50_000, 2);
      const { engine, decks } = await engineOn(dir, true);
      for (let c = 0; c < CARRIERS; c++) await writeLines(decks[c], deckLines(gen.decks[c], 0));
      // Before: the build on the main thread, in slices between lookups.
      const sliced = gen.decks;
      gc();
      const before = await underLookups(engine, numbers, () => buildTableAsync(sliced));
      gen = undefined;
      gc();
      gc();
      const quiet = await underLookups(engine, numbers, () => new Promise((r) => setTimeout(r, 1000)));
      const first = await underLookups(engine, numbers, () => engine.reload());
      const t1 = engine.stats();
      // A second reload with every rate changed: all five decks re-read and the 1M table replaced.
      const regen = generateDecks(1_000_000, 1, CARRIERS);
      for (let c = 0; c < CARRIERS; c++) await writeLines(decks[c], deckLines(regen.decks[c], 1));
      regen.decks.length = 0;
      gc();
      const second = await underLookups(engine, numbers, () => engine.reload());
      const s = engine.stats();
      await engine.close();
      const stall = Math.max(first.maxGapMs, second.maxGapMs);
      const build = Math.max(cpuOrWall(t1.lastReload!), cpuOrWall(s.lastReload!)) / 1000;
      const perPrefix = s.trieBytes / s.prefixes;
      return [
        {
          name: 'lcr-reload-1m-stall',
          value: stall,
          unit: 'ms',
          baseline: before.maxGapMs,
          ratio: before.maxGapMs / stall,
          target: '<= 5 ms',
          pass: stall <= 5 && first.errors + second.errors === 0,
          note: `longest gap between lookup batches over two reloads of ${s.prefixes} prefixes / ${s.rows} rows in the deck worker: ${fmt(first)}; ${fmt(second)}. Baseline: main-thread sliced build (${fmt(before)}). Floor with no reload: ${quiet.maxGapMs.toFixed(1)} ms gap, loop delay max ${quiet.loopMaxMs.toFixed(1)} ms; ratio = baseline/value`,
        },
        { name: 'lcr-reload-1m-loop-delay', value: Math.max(first.loopMaxMs, second.loopMaxMs), unit: 'ms', baseline: before.loopMaxMs, note: 'monitorEventLoopDelay max (1 ms resolution) during the two reloads; baseline: main-thread sliced build' },
        {
          name: 'lcr-reload-1m-build',
          value: build,
          unit: 's',
          target: '<= 3 s',
          pass: build <= 3,
          note: `build = parsed rows to compiled table, worker-thread CPU seconds (max of two reloads); second reload ${timings(s.lastReload!)}`,
        },
        { name: 'lcr-reload-1m-trie', value: perPrefix, unit: 'bytes/prefix', target: '<= 10', pass: perPrefix <= 10, note: `${s.nodes} nodes, ${s.trieBytes} bytes incl. direct table; whole table ${(s.totalBytes / s.prefixes).toFixed(1)} bytes/prefix` },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const reload5m: Benchmark = {
  name: 'lcr-reload-5m',
  async run(): Promise<BenchResult[]> {
    const dir = await mkdtemp(join(tmpdir(), 'lcr-bench-'));
    try {
      const total = 5_000_000;
      const numbers = generateNanpNumbers(50_000, 3);
      const { engine, decks } = await engineOn(dir, false);
      for (let c = 0; c < CARRIERS; c++) await writeLines(decks[c], nanpBlockDeckLines(c, CARRIERS, total, 1));
      gc();
      const quiet = await underLookups(engine, numbers, () => new Promise((r) => setTimeout(r, 1000)));
      const reload = await underLookups(engine, numbers, () => engine.reload());
      const s = engine.stats();
      let routed = 0;
      for (const n of numbers.slice(0, 5000)) if (engine.lookup({ called: n, at: AT }).candidates.length) routed++;
      await engine.close();
      const build = cpuOrWall(s.lastReload!) / 1000;
      const perPrefix = s.trieBytes / s.prefixes;
      return [
        {
          name: 'lcr-reload-5m-stall',
          value: reload.maxGapMs,
          unit: 'ms',
          target: '<= 5 ms',
          pass: reload.maxGapMs <= 5 && reload.errors === 0 && s.prefixes === total,
          note: `${s.prefixes} NPA-NXX-X prefixes, ${CARRIERS} carriers, reloaded in the deck worker: ${fmt(reload)}. Floor with no reload: ${quiet.maxGapMs.toFixed(1)} ms gap, loop delay max ${quiet.loopMaxMs.toFixed(1)} ms; ${routed}/5000 sample numbers routed after`,
        },
        { name: 'lcr-reload-5m-loop-delay', value: reload.loopMaxMs, unit: 'ms', note: 'monitorEventLoopDelay max (1 ms resolution) during the reload' },
        {
          name: 'lcr-reload-5m-build',
          value: build,
          unit: 's',
          target: '<= 3 s',
          pass: build <= 3,
          note: `build = parsed rows to compiled table, worker-thread CPU seconds; ${timings(s.lastReload!)} (snapshot off)`,
        },
        { name: 'lcr-reload-5m-trie', value: perPrefix, unit: 'bytes/prefix', target: '<= 10', pass: perPrefix <= 10, note: `${s.nodes} nodes, ${s.trieBytes} bytes incl. direct table; whole table ${(s.totalBytes / s.prefixes).toFixed(1)} bytes/prefix (${((s.totalBytes) / 1048576).toFixed(0)} MiB)` },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export const benchmarks: Benchmark[] = [reload1m, reload5m];


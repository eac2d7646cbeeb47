/**
 * LCR benchmarks (issue #4) on a seeded 1,000,000-prefix, 5-carrier generated deck and a fixed
 * lookup mix of 11-15 digit numbers. The baseline, measured in the same run, is a
 * Map<string, prefixId> probed from min(number length, longest prefix) down to 1.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { median, type Benchmark, type BenchResult } from './harness.js';
import { generateDecks, generateLookupMix, type GeneratedDecks } from '../src/class4/lcr/generate.js';
import { buildTable, tableSize, type RouteTable } from '../src/class4/lcr/table.js';
import { longestId } from '../src/class4/lcr/trie.js';
import { deckCsvLines, parseDeck } from '../src/class4/lcr/deck.js';

const PREFIXES = 1_000_000;
const MIX = 500_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Fixture {
  gen: GeneratedDecks;
  table: RouteTable;
  mix: string[];
  baseline: (n: string) => number;
  baselineMap: Map<string, number>;
}
let fixture: Fixture | undefined;

function setup(): Fixture {
  if (fixture) return fixture;
  const gen = generateDecks(PREFIXES, 1, 5);
  const table = buildTable(gen.decks);
  // Flat strings, as a number arrives from a decoded message.
  const mix = generateLookupMix(gen.prefixes, MIX, 2).map((s) => Buffer.from(s, 'latin1').toString('latin1'));
  const baselineMap = new Map<string, number>();
  let maxLen = 0;
  for (const p of gen.prefixes) {
    baselineMap.set(p, longestId(table.trie, p));
    if (p.length > maxLen) maxLen = p.length;
  }
  const baseline = (n: string): number => {
    for (let k = Math.min(n.length, maxLen); k >= 1; k--) {
      const v = baselineMap.get(n.substring(0, k));
      if (v !== undefined) return v;
    }
    return -1;
  };
  fixture = { gen, table, mix, baseline, baselineMap };
  return fixture;
}

type RateFn = (fn: (n: string) => number, mix: string[], ms: number, box: { v: number }) => number;
/**
 * A fresh copy of the timing loop per measured function, so each call site stays monomorphic
 * and V8 can inline the function under test (a shared loop makes both sites polymorphic and
 * penalises whichever is cheaper). The baseline gets the same treatment.
 */
function makeRate(): RateFn {
  return new Function(
    'fn',
    'mix',
    'ms',
    'box',
    `const start = performance.now();
     let n = 0;
     let acc = 0;
     do {
       for (let i = 0; i < mix.length; i++) acc += fn(mix[i]);
       n += mix.length;
     } while (performance.now() - start < ms);
     box.v += acc;
     return (n / (performance.now() - start)) * 1000;`,
  ) as RateFn;
}
const sinkBox = { v: 0 };
const rateTrie = makeRate();
const rateBaseline = makeRate();
const rateWith = (r: RateFn, fn: (n: string) => number, mix: string[], ms: number): number => r(fn, mix, ms, sinkBox);

function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const lookup: Benchmark = {
  name: 'lcr-lookup',
  async run(): Promise<BenchResult[]> {
    const f = setup();
    const trie = f.table.trie;
    const fast = (n: string) => longestId(trie, n);
    let mismatches = 0;
    let misses = 0;
    for (const n of f.mix) {
      const want = f.baseline(n);
      if (fast(n) !== want) mismatches++;
      if (want < 0) misses++;
    }
    rateWith(rateTrie, fast, f.mix, 300);
    rateWith(rateBaseline, f.baseline, f.mix, 300);
    const ratios: number[] = [];
    const trieRates: number[] = [];
    const baseRates: number[] = [];
    for (let round = 0; round < 7; round++) {
      const b = rateWith(rateBaseline, f.baseline, f.mix, 400);
      const t = rateWith(rateTrie, fast, f.mix, 400);
      baseRates.push(b);
      trieRates.push(t);
      ratios.push(t / b);
    }
    const ratio = median(ratios);
    return [
      {
        name: 'lcr-lookup',
        value: median(trieRates),
        unit: 'lookups/s',
        baseline: median(baseRates),
        ratio,
        target: '>= 30x baseline',
        pass: ratio >= 30,
        note: `median of 7 interleaved rounds; ratios ${ratios.map((r) => r.toFixed(1)).join(' ')}; one core`,
      },
      {
        name: 'lcr-lookup-agreement',
        value: mismatches,
        unit: 'mismatches',
        target: '0 of mix',
        pass: mismatches === 0,
        note: `${f.mix.length} lookups, ${misses} misses (${((misses / f.mix.length) * 100).toFixed(1)}%)`,
      },
    ];
  },
};

const build: Benchmark = {
  name: 'lcr-build',
  async run(): Promise<BenchResult[]> {
    const f = setup();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      gc();
      const t0 = performance.now();
      buildTable(f.gen.decks);
      times.push(performance.now() - t0);
    }
    const rows = f.gen.decks.reduce((a, d) => a + d.count, 0);
    const csv = f.gen.decks.map((d) => {
      const lines: string[] = [];
      const it = deckCsvLines(d.prefixes.map((p, i) => ({ prefix: p, interstate: d.interstate[i], intrastate: d.intrastate[i], indeterminate: d.indeterminate[i], effective: d.effective[i] })));
      for (const l of it) lines.push(l);
      return lines.join('\n');
    });
    gc();
    const p0 = performance.now();
    for (let c = 0; c < csv.length; c++) parseDeck(f.gen.decks[c].carrier, csv[c]);
    const parseMs = performance.now() - p0;
    const buildMs = median(times);
    return [
      {
        name: 'lcr-build',
        value: buildMs,
        unit: 'ms',
        target: '<= 1000 ms for 1M prefixes',
        pass: buildMs <= 1000,
        note: `${PREFIXES} prefixes, ${rows} rate rows, 5 carriers; median of 3; from parsed rows to the compiled table`,
      },
      { name: 'lcr-build-csv-parse', value: parseMs, unit: 'ms', note: `validating CSV parse of the same ${rows} rows (import path, before build)` },
    ];
  },
};

const memory: Benchmark = {
  name: 'lcr-memory',
  async run(): Promise<BenchResult[]> {
    const f = setup();
    const s = tableSize(f.table);
    const before = heapBytes();
    let m: Map<string, number> | undefined = new Map();
    for (const p of f.gen.prefixes) m.set(p.slice(0), 0);
    const mapBytes = heapBytes() - before;
    m.clear();
    m = undefined;
    const per = s.trieBytes / s.prefixes;
    return [
      {
        name: 'lcr-memory-trie',
        value: per,
        unit: 'bytes/prefix',
        baseline: mapBytes / s.prefixes,
        ratio: mapBytes / s.trieBytes,
        target: '<= 16 bytes/prefix',
        pass: per <= 16,
        note: `${s.nodes} nodes, ${s.trieBytes} bytes incl. direct table; baseline = heap of a Map<string,number> over the same prefixes (key strings shared, not counted); ratio = baseline/trie`,
      },
      {
        name: 'lcr-memory-table',
        value: s.totalBytes / s.prefixes,
        unit: 'bytes/prefix',
        note: `whole table ${(s.totalBytes / 1048576).toFixed(1)} MiB: trie + per-prefix carrier entries + ${s.rows} dated rate rows (3 rates + effective)`,
      },
    ];
  },
};

export const benchmarks: Benchmark[] = [lookup, build, memory];
export const _sink = () => sinkBox.v;

/**
 * `npm run bench [-- --json] [--only PREFIX]`: runs every benchmark in bench/*.bench.ts and
 * prints a table (or one JSON object per line with --json). Each benchmark file runs in a
 * process of its own, so one hot path's JIT state and heap do not colour another's figures.
 * This parent only waits for them, and `npm run bench` starts it with --single-threaded-gc: it
 * loads every benchmark file to find the names, and the collection V8 later runs on that garbage
 * (its memory reducer) woke four helper threads at the benchmark's own priority, which took both
 * CPUs of a 2-core host from the measured process (perf sched: a 19 ms wait of the lookup loop in
 * lcr-reload-1m; its longest stall read 5.4–19.6 ms over 8 runs, 5.3–7.8 ms over 13 without them).
 * Where the benchmarks bind the measured event loop to a CPU (BENCH_EVENT_LOOP_CPU, see
 * benchRuntime), this parent moves itself to the other CPUs and starts each benchmark process free
 * to use every CPU: its collections, single-threaded, still ran 4 ms slices on the loop's CPU
 * (perf sched: 150 ms of them during one lcr-reload window, beside the lookup loop).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './harness.js';
import { benchLoopCpu } from './sip-peers-load.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const fileAt = args.indexOf('--file');
const here = dirname(fileURLToPath(import.meta.url));
/**
 * Node/V8 flags of the benchmark processes: the switch's own (bin/softswitch-node.sh, so a figure
 * is what the shipped switch carries), or BENCH_NODE_FLAGS (space-separated; '' for Node's defaults).
 */
const childFlags = (process.env.BENCH_NODE_FLAGS ?? execFileSync('sh', [join(here, '../bin/softswitch-node.sh'), '--print-flags'], { encoding: 'utf8' })).split(/\s+/).filter(Boolean);

/**
 * The parent off the CPU the benchmark processes give their event loop (benchLoopCpu); returns the
 * prefix that starts a benchmark process on every CPU again, or none when nothing is bound.
 */
function moveParentOffLoopCpu(): string[] {
  const loop = benchLoopCpu();
  if (!loop) return [];
  try {
    execFileSync('taskset', ['-a', '-p', '-c', loop.others.join(','), String(process.pid)], { stdio: 'ignore' });
    return ['taskset', '-c', loop.allowed.join(',')];
  } catch {
    return []; // no taskset: the benchmark's own placement says so
  }
}

async function load(file: string): Promise<Benchmark[]> {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks?: Benchmark[] };
  return mod.benchmarks ?? [];
}

const selected = (list: Benchmark[]) => list.filter((b) => !only || b.name.startsWith(only));

if (fileAt >= 0) {
  // Child: run the selected benchmarks of one file, one JSON result per line on stdout.
  for (const b of selected(await load(args[fileAt + 1]))) {
    for (const r of await b.run()) process.stdout.write(`BENCH ${JSON.stringify(r)}\n`);
  }
  process.exit(0);
}

const childPrefix = moveParentOffLoopCpu();

function runFile(file: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const childArgs = [...childFlags, '--import', 'tsx', fileURLToPath(import.meta.url), '--file', file, ...(only ? ['--only', only] : [])];
    const [cmd, ...pre] = [...childPrefix, process.execPath];
    const child = spawn(cmd, [...pre, ...childArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const results = out
        .split('\n')
        .filter((l) => l.startsWith('BENCH '))
        .map((l) => JSON.parse(l.slice(6)) as BenchResult);
      if (code !== 0) reject(new Error(`${file} exited with ${code}`));
      else resolve(results);
    });
  });
}

const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
const names: string[] = [];
const matching: string[] = [];
for (const f of files) {
  const list = await load(f);
  names.push(...list.map((b) => b.name));
  if (selected(list).length > 0) matching.push(f);
}
if (matching.length === 0) {
  console.error(`no benchmark matches ${only ?? '(any)'}; known: ${names.join(', ')}`);
  process.exit(2);
}

const rows: BenchResult[] = [];
let failed = false;
for (const f of matching) {
  try {
    for (const r of await runFile(f)) {
      rows.push(r);
      if (json) process.stdout.write(JSON.stringify(r) + '\n');
    }
  } catch (err) {
    failed = true;
    console.error(`benchmark file ${f} failed: ${(err as Error).message}`);
  }
}

if (!json) {
  const fmt = (n: number | undefined) => (n === undefined ? '' : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(3));
  const table = rows.map((r) => ({
    name: r.name,
    value: fmt(r.value),
    unit: r.unit,
    baseline: fmt(r.baseline),
    ratio: r.ratio === undefined ? '' : r.ratio.toFixed(2),
    target: r.target ?? '',
    pass: r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  }));
  const cols = ['name', 'value', 'unit', 'baseline', 'ratio', 'target', 'pass'] as const;
  const width = cols.map((c) => Math.max(c.length, ...table.map((t) => String(t[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ');
  console.log(line([...cols]));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const t of table) console.log(line(cols.map((c) => String(t[c]))));
}
process.exit(failed ? 1 : 0);

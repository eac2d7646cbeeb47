/**
 * `npm run bench [-- --json] [--only PREFIX]`: runs every benchmark in bench/*.bench.ts and
 * prints a table (or one JSON object per line with --json).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './harness.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
const all: Benchmark[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { benchmarks?: Benchmark[] };
  for (const b of mod.benchmarks ?? []) all.push(b);
}
const selected = all.filter((b) => !only || b.name.startsWith(only));
if (selected.length === 0) {
  console.error(`no benchmark matches ${only ?? '(any)'}; known: ${all.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const rows: BenchResult[] = [];
for (const b of selected) {
  const results = await b.run();
  for (const r of results) {
    rows.push(r);
    if (json) process.stdout.write(JSON.stringify(r) + '\n');
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

/**
 * `npm run fuzz`: generated and mutated inputs through every decoder that reads hostile bytes
 * (issue 10). Each target runs in a worker thread with a watchdog; a result table and one JSON
 * line are printed; the exit code is 1 when anything was found (a non-typed exception, a
 * contract breach, a hang, unbounded memory). Inputs of findings are written to fuzz/findings/.
 *
 *   npm run fuzz -- [--iterations N] [--seed S] [--only NAME[,NAME]] [--slow-ms MS] [--watchdog-ms MS]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { inputAt, type Finding, type TargetStats } from './engine.js';
import { TARGETS, targetByName, type FuzzTarget } from './targets.js';

interface Args {
  iterations: number;
  seed: number;
  only?: string[];
  slowMs: number;
  watchdogMs: number;
  memoryLimitMb: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { iterations: 1_000_000, seed: 20261130, slowMs: 1000, watchdogMs: 10_000, memoryLimitMb: 64 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const num = () => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${argv[i]} needs a number, got "${v}"`);
      i++;
      return n;
    };
    switch (argv[i]) {
      case '--iterations':
        a.iterations = Math.floor(num());
        break;
      case '--seed':
        a.seed = num() >>> 0;
        break;
      case '--only':
        a.only = (v ?? '').split(',').filter(Boolean);
        i++;
        break;
      case '--slow-ms':
        a.slowMs = num();
        break;
      case '--watchdog-ms':
        a.watchdogMs = num();
        break;
      case '--memory-limit-mb':
        a.memoryLimitMb = num();
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (use --iterations N --seed S --only NAME --slow-ms MS --watchdog-ms MS)`);
    }
  }
  return a;
}

const FINDINGS_DIR = new URL('./findings/', import.meta.url).pathname;
const WORKER = new URL('./worker.ts', import.meta.url).href;

function saveFinding(f: Finding, seed: number): void {
  const dir = join(FINDINGS_DIR, f.target);
  mkdirSync(dir, { recursive: true });
  const base = `${f.kind}-s${seed}-b${f.block}-o${f.offset}`;
  writeFileSync(join(dir, `${base}.bin`), Buffer.from(f.hex, 'hex'));
  writeFileSync(join(dir, `${base}.txt`), `${f.message}\n`);
}

/** Runs one target in workers, restarting past any input the watchdog had to stop. */
async function runInWorkers(t: FuzzTarget, iterations: number, args: Args): Promise<TargetStats> {
  const total: TargetStats = {
    name: t.name, inputs: 0, violations: 0, caught: 0, hangs: 0, memory: 0, maxMs: 0,
    heapBeforeMb: 0, heapAfterMb: 0, heapPeakMb: 0, rssBeforeMb: 0, rssAfterMb: 0, wallMs: 0, findings: [],
  };
  const started = performance.now();
  let start = 0;
  let first = true;
  while (start < iterations) {
    const progress = new SharedArrayBuffer(8);
    const cells = new Int32Array(progress);
    cells[0] = start;
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER)}); })`;
    const worker = new Worker(code, {
      eval: true,
      workerData: { target: t.name, seed: args.seed, iterations, start, slowMs: args.slowMs, memoryLimitMb: args.memoryLimitMb, progress },
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    const outcome = await new Promise<{ stats?: TargetStats; stopped?: Finding['kind']; message?: string }>((resolve) => {
      let beat = -1;
      let still = 0;
      const timer = setInterval(() => {
        const now = Atomics.load(cells, 1);
        if (now !== beat) {
          beat = now;
          still = 0;
          return;
        }
        still += 250;
        if (beat > 0 && still >= args.watchdogMs) {
          clearInterval(timer);
          void worker.terminate();
          resolve({ stopped: 'hang', message: `no progress for ${args.watchdogMs} ms (watchdog)` });
        }
      }, 250);
      worker.on('message', (m: { type: string; finding?: Finding; stats?: TargetStats }) => {
        if (m.type === 'finding' && m.finding) saveFinding(m.finding, args.seed);
        else if (m.type === 'done') {
          clearInterval(timer);
          resolve({ stats: m.stats });
        }
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        resolve({ stopped: oom ? 'memory' : 'exception', message: `${oom ? 'heap limit reached' : 'escaped to the event loop'}: ${String(e).slice(0, 200)}` });
      });
    });
    if (outcome.stats) {
      const s = outcome.stats;
      total.inputs += s.inputs;
      total.violations += s.violations;
      total.caught += s.caught;
      total.hangs += s.hangs;
      total.memory += s.memory;
      total.maxMs = Math.max(total.maxMs, s.maxMs);
      if (first) {
        total.heapBeforeMb = s.heapBeforeMb;
        total.rssBeforeMb = s.rssBeforeMb;
      }
      total.heapAfterMb = s.heapAfterMb;
      total.heapPeakMb = Math.max(total.heapPeakMb, s.heapPeakMb);
      total.rssAfterMb = s.rssAfterMb;
      total.findings.push(...s.findings);
      break;
    }
    // Stopped on one input: name it, count it, carry on after it.
    const index = Atomics.load(cells, 0);
    const input = inputAt(t, args.seed, iterations, index);
    const f: Finding = {
      target: t.name,
      kind: outcome.stopped!,
      block: Math.floor(index / 1000),
      offset: index % 1000,
      message: outcome.message ?? '',
      hex: input.toString('hex'),
    };
    saveFinding(f, args.seed);
    total.findings.push(f);
    if (f.kind === 'hang') total.hangs++;
    else if (f.kind === 'memory') total.memory++;
    else total.violations++;
    total.inputs += index - start + 1;
    total.maxMs = Math.max(total.maxMs, args.watchdogMs);
    start = index + 1;
    first = false;
  }
  total.wallMs = Math.round(performance.now() - started);
  return total;
}

function table(rows: TargetStats[]): string {
  const head = ['target', 'inputs', 'violations', 'caught', 'hangs', 'max ms', 'heap MB before→after (peak)', 'rss MB', 's'];
  const lines = rows.map((s) => [
    s.name,
    s.inputs.toLocaleString('en-US'),
    String(s.violations),
    String(s.caught),
    String(s.hangs),
    s.maxMs.toFixed(2),
    `${s.heapBeforeMb}→${s.heapAfterMb} (${s.heapPeakMb})`,
    `${s.rssBeforeMb}→${s.rssAfterMb}`,
    (s.wallMs / 1000).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = args.only ? args.only.map((n) => targetByName(n) ?? fail(n)) : [...TARGETS];
  const weight = chosen.reduce((a, t) => a + t.weight, 0);
  const started = performance.now();
  const rows: TargetStats[] = [];
  for (const t of chosen) {
    const n = chosen.length === 1 ? args.iterations : Math.max(1, Math.round((args.iterations * t.weight) / weight));
    const s = await runInWorkers(t, n, args);
    rows.push(s);
    process.stderr.write(`${t.name}: ${s.inputs} inputs, ${s.violations} violations, ${s.hangs} hangs, ${(s.wallMs / 1000).toFixed(1)} s\n`);
  }
  const wallMs = Math.round(performance.now() - started);
  const findings = rows.reduce((a, s) => a + s.violations + s.hangs + s.memory, 0);
  console.log(table(rows));
  for (const s of rows) for (const f of s.findings) console.log(`FINDING ${f.target} ${f.kind} block ${f.block} offset ${f.offset}: ${f.message} (input ${f.hex.slice(0, 80)}${f.hex.length > 80 ? '…' : ''})`);
  console.log(`total: ${rows.reduce((a, s) => a + s.inputs, 0).toLocaleString('en-US')} inputs in ${(wallMs / 1000).toFixed(1)} s, ${findings} findings${findings ? `; inputs in ${FINDINGS_DIR}` : ''}`);
  console.log(
    JSON.stringify({
      fuzz: {
        seed: args.seed,
        iterations: args.iterations,
        wallMs,
        findings,
        targets: rows.map(({ findings: fs, ...s }) => ({ ...s, findings: fs.length })),
      },
    }),
  );
  return findings ? 1 : 0;
}

function fail(name: string): never {
  throw new Error(`no fuzz target "${name}"; known: ${TARGETS.map((t) => t.name).join(', ')}`);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(String(e instanceof Error ? e.message : e));
    process.exit(2);
  },
);

/**
 * The fuzz loop, shared by the CLI's worker threads and the vitest suite. Inputs come in blocks
 * whose content depends only on (seed, target, block number, block size), so any input is
 * regenerated from its position: that is how the watchdog names the input a hang was stuck on.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { mulberry32 } from '../src/util/prng.js';
import { int, mutateBytes, mutateTokens, pick, randomBytes, type Rand } from './mutate.js';
import type { FuzzTarget } from './targets.js';

export const BLOCK_SIZE = 1000;

export type FindingKind = 'exception' | 'contract' | 'hang' | 'memory' | 'side-effect';

export interface Finding {
  target: string;
  kind: FindingKind;
  block: number;
  offset: number;
  message: string;
  /** The input, hex (the CLI also writes it to fuzz/findings/). */
  hex: string;
}

export interface TargetStats {
  name: string;
  inputs: number;
  /** Non-typed exceptions and contract breaches seen in results. */
  violations: number;
  /** Typed errors the contract allows (config) or throws caught by our guard (sctp). */
  caught: number;
  hangs: number;
  /** 1 when retained heap grew past the limit. */
  memory: number;
  maxMs: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  heapPeakMb: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  wallMs: number;
  findings: Finding[];
}

export interface RunOptions {
  seed: number;
  iterations: number;
  /** An input taking more CPU than this is a hang finding (the watchdog catches those that never end). */
  slowMs: number;
  /** Retained heap growth (after GC) beyond this is a memory finding. */
  memoryLimitMb: number;
  /** First input to run (after a restart by the watchdog). */
  start?: number;
  /** Shared progress cell: [input index, heartbeat], written before each input. */
  progress?: Int32Array;
  onFinding?: (f: Finding) => void;
  /** Inputs kept per finding kind in `findings` (all are counted). */
  keepFindings?: number;
}

/** 32-bit mix of the run seed, the target name and the block number. */
export function blockSeed(seed: number, target: string, block: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ block, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

const arbitraries = new WeakMap<FuzzTarget, fc.Arbitrary<Buffer> | null>();

function structuredOf(t: FuzzTarget): fc.Arbitrary<Buffer> | null {
  let a = arbitraries.get(t);
  if (a === undefined) {
    a = t.structured ? t.structured() : null;
    arbitraries.set(t, a);
  }
  return a;
}

function alphabetOf(t: FuzzTarget): string | undefined {
  return t.text ? t.dictionary.join('') + ' \r\n\t0123456789abcdefABCDEF:;,.=/' : undefined;
}

/** The `count` inputs of one block. */
export function generateBlock(t: FuzzTarget, seed: number, block: number, count: number): Buffer[] {
  const bs = blockSeed(seed, t.name, block);
  const r: Rand = mulberry32(bs);
  const seeds = t.seeds();
  const arb = structuredOf(t);
  const modes: number[] = [];
  let structuredCount = 0;
  for (let i = 0; i < count; i++) {
    const x = r();
    const m = x < 0.08 ? 0 : x < 0.33 && arb ? 1 : x < 0.43 ? 2 : 3;
    if (m === 1) structuredCount++;
    modes.push(m);
  }
  const structured = arb && structuredCount ? fc.sample(arb, { seed: bs | 0, numRuns: structuredCount }) : [];
  let s = 0;
  const out: Buffer[] = [];
  const alphabet = alphabetOf(t);
  for (let i = 0; i < count; i++) {
    let b: Buffer;
    switch (modes[i]) {
      case 0:
        b = randomBytes(r, t.maxLen, r() < 0.5 ? alphabet : undefined);
        break;
      case 1:
        b = structured[s++];
        if (r() < 0.3) b = mutateBytes(b, r, t.maxLen, seeds);
        break;
      case 2:
        // Havoc: a further mutation of an earlier input of this block.
        b = out.length ? mutateBytes(out[int(r, out.length)], r, t.maxLen, seeds) : Buffer.from(pick(r, seeds));
        break;
      default: {
        const base = pick(r, seeds);
        b = t.text && r() < 0.5 ? mutateTokens(base, r, t.maxLen, t.dictionary) : mutateBytes(base, r, t.maxLen, seeds);
      }
    }
    out.push(b);
  }
  return out;
}

/** Input number `index` of a run (block size fixed), regenerated. */
export function inputAt(t: FuzzTarget, seed: number, iterations: number, index: number): Buffer {
  const block = Math.floor(index / BLOCK_SIZE);
  const count = Math.min(BLOCK_SIZE, iterations - block * BLOCK_SIZE);
  return generateBlock(t, seed, block, count)[index % BLOCK_SIZE];
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

function describe(e: unknown): string {
  if (e instanceof Error) {
    const where = (e.stack ?? '').split('\n').find((l) => l.includes('/src/') || l.includes('node_modules/sctp')) ?? '';
    return `${e.name}: ${e.message.slice(0, 200)} ${where.trim()}`;
  }
  return `non-Error thrown: ${String(e).slice(0, 200)}`;
}

/** Runs `opts.iterations` inputs (from `opts.start`) through one target, in this thread. */
export function runTarget(t: FuzzTarget, opts: RunOptions): TargetStats {
  const keep = opts.keepFindings ?? 5;
  gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const stats: TargetStats = {
    name: t.name,
    inputs: 0,
    violations: 0,
    caught: 0,
    hangs: 0,
    memory: 0,
    maxMs: 0,
    heapBeforeMb: mb(before.heapUsed),
    heapAfterMb: 0,
    heapPeakMb: mb(before.heapUsed),
    rssBeforeMb: mb(before.rss),
    rssAfterMb: 0,
    wallMs: 0,
    findings: [],
  };
  const kept = new Map<FindingKind, number>();
  const report = (kind: FindingKind, index: number, message: string, input: Buffer) => {
    const f: Finding = { target: t.name, kind, block: Math.floor(index / BLOCK_SIZE), offset: index % BLOCK_SIZE, message, hex: input.toString('hex') };
    opts.onFinding?.(f);
    const n = kept.get(kind) ?? 0;
    if (n < keep) stats.findings.push(f);
    kept.set(kind, n + 1);
  };
  const start = opts.start ?? 0;
  const caughtBefore = t.caught?.() ?? 0;
  for (let block = Math.floor(start / BLOCK_SIZE); block * BLOCK_SIZE < opts.iterations; block++) {
    const count = Math.min(BLOCK_SIZE, opts.iterations - block * BLOCK_SIZE);
    const inputs = generateBlock(t, opts.seed, block, count);
    for (let i = block * BLOCK_SIZE < start ? start % BLOCK_SIZE : 0; i < count; i++) {
      const index = block * BLOCK_SIZE + i;
      if (opts.progress) {
        Atomics.store(opts.progress, 0, index);
        Atomics.add(opts.progress, 1, 1);
      }
      const input = inputs[i];
      const t0 = performance.now();
      let verdict: string | undefined;
      let thrown: unknown;
      let threw = false;
      try {
        verdict = t.run(input);
      } catch (e) {
        threw = true;
        thrown = e;
      }
      const ms = performance.now() - t0;
      stats.inputs++;
      if (ms > stats.maxMs) stats.maxMs = ms;
      if (threw) {
        if (t.allowed?.(thrown)) stats.caught++;
        else {
          stats.violations++;
          report('exception', index, describe(thrown), input);
        }
      } else if (verdict !== undefined) {
        stats.violations++;
        report('contract', index, verdict, input);
      }
      if (ms > opts.slowMs) {
        // Wall time on a loaded machine overstates; run it again and judge by CPU time.
        const c0 = process.cpuUsage();
        try {
          t.run(input);
        } catch {
          // judged above
        }
        const c = process.cpuUsage(c0);
        const cpuMs = (c.user + c.system) / 1000;
        if (cpuMs > opts.slowMs) {
          stats.hangs++;
          report('hang', index, `${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU for one input`, input);
        }
      }
    }
    if (block % 16 === 0) stats.heapPeakMb = Math.max(stats.heapPeakMb, mb(process.memoryUsage().heapUsed));
    const side = t.after?.();
    if (side) {
      stats.violations++;
      report('side-effect', block * BLOCK_SIZE + count - 1, side, inputs[count - 1]);
    }
  }
  stats.caught += (t.caught?.() ?? 0) - caughtBefore;
  gc?.();
  const after = process.memoryUsage();
  stats.heapAfterMb = mb(after.heapUsed);
  stats.heapPeakMb = Math.max(stats.heapPeakMb, stats.heapAfterMb);
  stats.rssAfterMb = mb(after.rss);
  stats.wallMs = Math.round(performance.now() - started);
  stats.maxMs = Math.round(stats.maxMs * 100) / 100;
  if (gc && stats.heapAfterMb - stats.heapBeforeMb > opts.memoryLimitMb) {
    stats.memory = 1;
    report('memory', opts.iterations - 1, `retained heap grew ${(stats.heapAfterMb - stats.heapBeforeMb).toFixed(1)} MB`, Buffer.alloc(0));
  }
  return stats;
}

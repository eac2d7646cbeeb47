/**
 * Single-threaded scavenges while a reload runs (src/util/scavenge-mode.ts): V8's own trace says
 * whether helper threads took part in each scavenge (background.scavenge.parallel), so a child
 * process runs the module and allocates while it holds, and after it releases.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { holdSingleThreadedScavenges, scavengesSingleThreaded } from '../../src/util/scavenge-mode.js';

const moduleUrl = new URL('../../src/util/scavenge-mode.ts', import.meta.url).href;
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Helper time of each scavenge (ms) a child spent in `phase` ('held' or 'released'). */
function helperTimes(phase: 'held' | 'released'): number[] {
  const script = `
    const { holdSingleThreadedScavenges } = await import(${JSON.stringify(moduleUrl)});
    const release = holdSingleThreadedScavenges(0);
    if (${JSON.stringify(phase)} === 'released') release();
    gc(); // the marker: what scavenged before it was start-up
    const keep = [];
    for (let i = 0; i < 4e6; i++) { keep.push({ a: i, b: [i, i + 1] }); if (keep.length > 20000) keep.length = 0; }
  `;
  const r = spawnSync(process.execPath, ['--trace-gc-nvp', '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  const marker = lines.findIndex((l) => / gc=mc /.test(l));
  expect(marker).toBeGreaterThanOrEqual(0);
  return lines.slice(marker + 1).flatMap((l) => {
    const m = / gc=s .*?background\.scavenge\.parallel=([0-9.]+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

describe('single-threaded scavenges during background work', () => {
  it('takes V8 helper threads out of scavenges while held, and puts them back on release', () => {
    const held = helperTimes('held');
    const released = helperTimes('released');
    expect(held.length).toBeGreaterThan(10);
    expect(released.length).toBeGreaterThan(10);
    // While held no scavenge had helper time; released, the helpers work again (V8 gives a
    // scavenge helpers only with more than one core).
    expect(held.every((t) => t === 0)).toBe(true);
    if (availableParallelism() > 1) expect(released.filter((t) => t > 0).length).toBeGreaterThan(released.length / 4);
  }, 120_000);

  it('counts holders: only the last release (after its settle time) restores', async () => {
    const a = holdSingleThreadedScavenges(30);
    const b = holdSingleThreadedScavenges(30);
    expect(scavengesSingleThreaded()).toBe(true);
    a();
    a(); // a second call of the same release does nothing
    await new Promise((r) => setTimeout(r, 60));
    expect(scavengesSingleThreaded()).toBe(true);
    b();
    expect(scavengesSingleThreaded()).toBe(true);
    // A new holder within the settle time keeps it single-threaded.
    const c = holdSingleThreadedScavenges(30);
    await new Promise((r) => setTimeout(r, 60));
    expect(scavengesSingleThreaded()).toBe(true);
    c();
    await new Promise((r) => setTimeout(r, 60));
    expect(scavengesSingleThreaded()).toBe(false);
  });
});

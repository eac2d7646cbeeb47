/**
 * The fuzz harness (fuzz/, `npm run fuzz` for the 1,000,000-input run) at a fixed seed and
 * ~20,000 inputs: every decoder answers every input with a value or its typed error, within a
 * second, without retained heap growth.
 */
import { describe, expect, it } from 'vitest';
import { runTarget } from '../../fuzz/engine.js';
import { TARGETS } from '../../fuzz/targets.js';

const SEED = 0x4475;
const TOTAL = 20_000;
const weight = TARGETS.reduce((a, t) => a + t.weight, 0);

describe('fuzz (seeded, ~20,000 inputs)', () => {
  for (const t of TARGETS) {
    const n = Math.max(100, Math.round((TOTAL * t.weight) / weight));
    it(`${t.name}: ${n} inputs, no escaping exception, no hang, bounded heap`, () => {
      const s = runTarget(t, { seed: SEED, iterations: n, slowMs: 1000, memoryLimitMb: 64 });
      expect(s.inputs).toBe(n);
      expect(s.findings).toEqual([]);
      expect(s.violations + s.hangs + s.memory).toBe(0);
    });
  }

  it('inputs are reproducible from (seed, target, position) and differ between seeds', async () => {
    const { generateBlock } = await import('../../fuzz/engine.js');
    const t = TARGETS[0];
    const a = generateBlock(t, SEED, 3, 50);
    const b = generateBlock(t, SEED, 3, 50);
    const c = generateBlock(t, SEED + 1, 3, 50);
    expect(a.map((x) => x.toString('hex'))).toEqual(b.map((x) => x.toString('hex')));
    expect(a.map((x) => x.toString('hex'))).not.toEqual(c.map((x) => x.toString('hex')));
  });
});

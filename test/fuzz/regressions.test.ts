/**
 * Every input the fuzz harness once broke a decoder with, kept in test/fuzz/regressions/<target>/,
 * fed again through the same target and contract as `npm run fuzz`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS, targetByName } from '../../fuzz/targets.js';
import { screenSctpPacket } from '../../src/ss7/sctp/packet-screen.js';

const DIR = new URL('./regressions/', import.meta.url).pathname;

const cases = readdirSync(DIR).flatMap((target) => readdirSync(join(DIR, target)).filter((f) => f.endsWith('.bin')).map((file) => ({ target, file })));

describe('fuzz regressions', () => {
  it('every regression folder names a fuzz target', () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) expect(TARGETS.map((t) => t.name)).toContain(c.target);
  });

  for (const { target, file } of cases) {
    it(`${target}/${file}`, () => {
      const t = targetByName(target)!;
      const input = readFileSync(join(DIR, target, file));
      // sctp: these froze the package's decoder: refused before it runs (checked first, so a regression fails rather than hangs).
      if (target === 'sctp') expect(screenSctpPacket(input)).toMatch(/Length/);
      const c0 = process.cpuUsage();
      let verdict: string | undefined;
      try {
        verdict = t.run(input);
      } catch (e) {
        if (!t.allowed?.(e)) throw e;
      }
      expect(verdict).toBeUndefined();
      const cpu = process.cpuUsage(c0);
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(1000);
    });
  }
});

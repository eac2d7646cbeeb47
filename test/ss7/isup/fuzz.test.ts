import { describe, expect, it } from 'vitest';
import { fuzzIsup } from './fuzz.js';

describe('ISUP decoder under hostile input', () => {
  for (const variant of ['itu', 'ansi'] as const) {
    it(`${variant}: 20,000 seeded random and mutated messages never throw and decode stably`, () => {
      const r = fuzzIsup(variant, 20_000, variant === 'itu' ? 0x15a9 : 0xa451);
      expect(r.messages + r.errors).toBe(20_000);
      expect(r.messages).toBeGreaterThan(1_000);
      expect(r.errors).toBeGreaterThan(1_000);
    });
  }
});

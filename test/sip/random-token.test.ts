import { describe, expect, it } from 'vitest';
import { newBranch, randomToken } from '../../src/sip/build.js';
import { BRANCH_COOKIE } from '../../src/sip/constants.js';

describe('randomToken (pooled)', () => {
  it('gives hex of the asked length, never repeating across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = randomToken(i % 3 === 0 ? 12 : 8);
      expect(t).toMatch(i % 3 === 0 ? /^[0-9a-f]{24}$/ : /^[0-9a-f]{16}$/);
      seen.add(t);
    }
    expect(seen.size).toBe(5000);
    expect(randomToken(5000)).toMatch(/^[0-9a-f]{10000}$/);
    expect(newBranch().startsWith(BRANCH_COOKIE)).toBe(true);
  });
});

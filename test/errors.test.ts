import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, SoftswitchError } from '../src/errors.js';

describe('operator error codes', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    it(`${code} is documented and tells the operator what to do`, () => {
      expect(doc).toContain(code);
      expect(entry.message.length).toBeGreaterThan(10);
      expect(entry.action.length).toBeGreaterThan(20);
      const err = new SoftswitchError(code as keyof typeof ERROR_CODES, 'detail');
      expect(err.describe()).toContain(code);
      expect(err.describe()).toContain(entry.action);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { decodeM3ua, encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { isDecodeError } from '../../../src/ss7/m3ua/messages.js';
import { fuzzCase, prng } from './fuzz-cases.js';

describe('M3UA decoder under hostile input (seeded)', () => {
  it('20,000 random and mutated messages: never throws; what decodes re-encodes to an equal message', () => {
    const rand = prng(0x4666);
    let decoded = 0;
    const codes = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const input = fuzzCase(rand);
      const r = decodeM3ua(input);
      if (isDecodeError(r)) {
        expect(r.errorCode).toBeGreaterThan(0);
        codes.set(r.errorCode, (codes.get(r.errorCode) ?? 0) + 1);
        continue;
      }
      decoded++;
      const again = decodeM3ua(encodeM3ua(r));
      if (JSON.stringify(again) !== JSON.stringify(r)) expect(again).toEqual(r);
    }
    // Both outcomes must be exercised, or the generator is not doing its job.
    expect(decoded).toBeGreaterThan(1000);
    expect(codes.size).toBeGreaterThanOrEqual(5);
  });
});

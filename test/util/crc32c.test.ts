import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';

describe('crc32c', () => {
  it('matches the CRC-32C check values (RFC 3720 B.4, "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });
});

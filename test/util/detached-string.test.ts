import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { detachedString } from '../../src/util/detached-string.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes still used once `n` keys cut from 50 KB messages are kept and the messages dropped. */
function heldBy(keep: (key: string) => string, n = 1000, size = 50_000): { bytes: number; keys: string[] } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const message = `BYE sip:${String(i).padStart(6, '0')}@switch SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-call-${String(i).padStart(8, "0")}x\r\n${'X'.repeat(size)}`;
    const branch = message.slice(message.indexOf('z9hG4bK'), message.indexOf('x\r\n'));
    keys.push(keep(`${branch}|10.0.0.1:5060|BYE`));
  }
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, keys };
}

describe('detachedString', () => {
  it('keeps the characters and lets the message a key was cut from be collected', () => {
    const plain = heldBy((k) => k);
    const detached = heldBy(detachedString);
    expect(detached.keys).toEqual(plain.keys);
    expect(detached.keys[7]).toBe('z9hG4bK-call-00000007|10.0.0.1:5060|BYE');
    // 1,000 messages of 50 KB: kept whole by the plain keys, gone with the detached ones.
    expect(plain.bytes).toBeGreaterThan(40_000_000);
    expect(detached.bytes).toBeLessThan(2_000_000);
  });

  it('copies short and empty strings too, and any character (non-ASCII, a lone surrogate)', () => {
    expect(detachedString('')).toBe('');
    expect(detachedString('a|b')).toBe('a|b');
    const odd = `é€😀|${'\ud800'}|${'x'.repeat(20)}`.slice(0, 30);
    expect(detachedString(odd)).toBe(odd);
  });

  it('is one flat string, not a view of a copy (one heap object a key, not two)', () => {
    const n = 20_000;
    const sliceOfCopy = heldBy((k) => (' ' + k).slice(1), n, 100);
    const detached = heldBy(detachedString, n, 100);
    expect(detached.keys).toEqual(sliceOfCopy.keys);
    // The view is a sliced-string header (20-32 bytes) on top of the same characters.
    expect(sliceOfCopy.bytes - detached.bytes).toBeGreaterThan(n * 16);
  });
});

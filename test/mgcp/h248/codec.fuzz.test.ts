import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkEncodable, decode, encode } from '../../../src/mgcp/h248/codec.js';
import { mulberry32 as rng } from '../../../src/util/prng.js';
import { ABNF_ONLY, SAMPLES, SEGMENT_SAMPLES } from './samples.js';

const SEEDS: Buffer[] = Object.values({ ...SAMPLES, ...ABNF_ONLY, ...SEGMENT_SAMPLES }).flatMap((m) => [encode(m), encode(m, { encoding: 'compact' })]);

const ALPHABET = '{}[]=,:;"\\/\r\n\t $*-#<>!&0123456789ACEMNOPRSTVXacemn\x00\x7f\xff';

function mutate(base: Buffer, r: () => number): Buffer {
  const bytes = [...base];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (bytes.length + 1));
    const op = Math.floor(r() * 6);
    if (op === 0) bytes[at] = Math.floor(r() * 256);
    else if (op === 1) bytes.splice(at, 0, ALPHABET.charCodeAt(Math.floor(r() * ALPHABET.length)));
    else if (op === 2) bytes.splice(at, 1 + Math.floor(r() * 12));
    else if (op === 3) bytes.splice(at, 0, ...bytes.slice(Math.floor(r() * bytes.length), Math.floor(r() * bytes.length)).slice(0, 60));
    else if (op === 4) bytes[at] = ALPHABET.charCodeAt(Math.floor(r() * ALPHABET.length));
    else bytes.length = Math.min(bytes.length, at);
  }
  return Buffer.from(bytes);
}

describe('H.248 codec fuzz (seeded, 20,000 cases)', () => {
  it('never throws, answers 400/403, and writes back exactly what it accepts, in both encodings', () => {
    const r = rng(0x3525);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const input =
        i % 10 === 9
          ? Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256)))
          : mutate(SEEDS[i % SEEDS.length], r);
      let out;
      try {
        out = decode(input);
      } catch (e) {
        throw new Error(`case ${i} threw on ${input.toString('hex')}: ${String(e)}`);
      }
      if (out.type === 'error') {
        refused++;
        if ((out.code !== 400 && out.code !== 403) || out.reason.startsWith('decoder fault') || out.offset < 0 || out.offset > input.length)
          throw new Error(`case ${i}: bad error value ${JSON.stringify(out)} for ${JSON.stringify(input.toString('latin1'))}`);
        continue;
      }
      accepted++;
      const why = checkEncodable(out);
      if (why) throw new Error(`case ${i}: accepted but cannot write back (${why}): ${JSON.stringify(input.toString('latin1'))}`);
      for (const encoding of ['pretty', 'compact'] as const) {
        const again = decode(encode(out, { encoding }));
        // The same value (object key order is not part of it).
        if (!isDeepStrictEqual(again, out))
          throw new Error(`case ${i} (${encoding}): ${JSON.stringify(input.toString('latin1'))}\n${JSON.stringify(out)}\n${JSON.stringify(again)}`);
      }
    }
    // Most single-byte changes break the nesting; about one case in ten still parses.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(10_000);
  });
});

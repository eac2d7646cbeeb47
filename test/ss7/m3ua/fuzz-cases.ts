/** Seeded hostile inputs for the M3UA decoder: random bytes and mutations of valid messages. */
import { encodeM3ua } from '../../../src/ss7/m3ua/codec.js';
import { samples } from './samples.js';
import { mulberry32 } from '../../../src/util/prng.js';

/** The seeded generator of the fuzz cases. */
export const prng = mulberry32;


const valid = samples.map(encodeM3ua);

export function fuzzCase(rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const kind = int(4);
  if (kind === 0) {
    const b = Buffer.alloc(int(96));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    // Often a plausible header so the parameter walk is exercised.
    if (b.length >= 8 && rand() < 0.7) {
      b[0] = 1;
      b[2] = [0, 1, 2, 3, 4, 9][int(6)];
      b[3] = int(8);
      b.writeUInt32BE(rand() < 0.8 ? b.length : int(200), 4);
    }
    return b;
  }
  const b = Buffer.from(valid[int(valid.length)]);
  const edits = 1 + int(4);
  let out = b;
  for (let e = 0; e < edits; e++) {
    const op = int(5);
    if (op === 0 && out.length) out[int(out.length)] = int(256);
    else if (op === 1) out = out.subarray(0, int(out.length + 1));
    else if (op === 2 && out.length >= 8) out.writeUInt32BE(int(out.length + 16), 4);
    else if (op === 3 && out.length > 12) out.writeUInt16BE([0, 1, 3, 4, 5, 7, 8, 0xffff, int(65536)][int(9)], Math.min(out.length - 2, 10 + 4 * int((out.length - 10) / 4)));
    else out = Buffer.concat([out, Buffer.from([int(256), int(256), int(256), int(256)])]);
  }
  return Buffer.from(out);
}

/**
 * Input generators for the fuzz harness: byte mutation (bit flips, interesting values, inserts,
 * deletes, duplication, truncation, splicing) and token mutation for text protocols (tokens
 * replaced from a dictionary, repeated, dropped; lines duplicated, swapped, dropped). Every
 * function draws only from the PRNG it is given, so a block of inputs is reproducible from its seed.
 */
export type Rand = () => number;

export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0d, 0x0a, 0x20, 0x3a, 0x2e];
const INTERESTING_16 = [0x0000, 0x0001, 0x0004, 0x0008, 0x00ff, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0];

/** One byte-level edit of `b` (never longer than `maxLen`). */
function byteEdit(b: Buffer, r: Rand, maxLen: number, donors: readonly Buffer[]): Buffer {
  const at = b.length ? int(r, b.length) : 0;
  switch (int(r, 12)) {
    case 0:
      if (b.length) b[at] ^= 1 << int(r, 8);
      return b;
    case 1:
      if (b.length) b[at] = int(r, 256);
      return b;
    case 2:
      if (b.length) b[at] = pick(r, INTERESTING_8);
      return b;
    case 3:
      if (b.length >= 2) b.writeUInt16BE(pick(r, INTERESTING_16), int(r, b.length - 1));
      return b;
    case 4:
      if (b.length >= 4) b.writeUInt32BE(pick(r, INTERESTING_32), int(r, b.length - 3));
      return b;
    case 5: {
      const ins = Buffer.alloc(1 + int(r, 4));
      for (let i = 0; i < ins.length; i++) ins[i] = int(r, 256);
      return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    }
    case 6:
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 16)))]);
    case 7: {
      // Duplicate a slice in place (repeated fields, repeated parameters).
      const len = 1 + int(r, 64);
      const slice = b.subarray(at, at + len);
      return Buffer.concat([b.subarray(0, at), slice, slice, b.subarray(at)]);
    }
    case 8:
      return b.subarray(0, at);
    case 9: {
      // Splice: the head of this input, the tail of another.
      const other = pick(r, donors);
      const cut = other.length ? int(r, other.length) : 0;
      return Buffer.concat([b.subarray(0, at), other.subarray(cut)]);
    }
    case 10: {
      // Grow: repeat a slice many times (oversized fields and messages).
      const len = 1 + int(r, 32);
      const slice = b.subarray(at, at + len);
      const times = 1 + int(r, Math.max(1, Math.floor(maxLen / Math.max(1, slice.length))));
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(slice.length * times, slice), b.subarray(at)]);
    }
    default: {
      // Swap two bytes.
      const other = b.length ? int(r, b.length) : 0;
      if (b.length) [b[at], b[other]] = [b[other], b[at]];
      return b;
    }
  }
}

export function mutateBytes(base: Buffer, r: Rand, maxLen: number, donors: readonly Buffer[]): Buffer {
  let b: Buffer = Buffer.from(base);
  const edits = 1 + int(r, r() < 0.8 ? 3 : 12);
  for (let e = 0; e < edits; e++) b = byteEdit(b, r, maxLen, donors);
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

const TOKEN_SPLIT = /([\r\n \t:;,=/{}<>@"()[\]\\.])/;

/** Token-level edits of a text message; `dictionary` holds protocol words worth inserting. */
export function mutateTokens(base: Buffer, r: Rand, maxLen: number, dictionary: readonly string[]): Buffer {
  const text = base.toString('latin1');
  if (r() < 0.35) {
    // Line-level edits: duplicate, drop, swap, truncate a line; change the line end.
    const lines = text.split('\n');
    const edits = 1 + int(r, 3);
    for (let e = 0; e < edits && lines.length; e++) {
      const at = int(r, lines.length);
      switch (int(r, 6)) {
        case 0:
          lines.splice(at, 0, lines[at]);
          break;
        case 1:
          lines.splice(at, 1);
          break;
        case 2: {
          const other = int(r, lines.length);
          [lines[at], lines[other]] = [lines[other], lines[at]];
          break;
        }
        case 3:
          lines[at] = lines[at].slice(0, int(r, lines[at].length + 1));
          break;
        case 4:
          lines[at] = lines[at].endsWith('\r') ? lines[at].slice(0, -1) : lines[at] + '\r';
          break;
        default:
          lines.splice(at, 0, pick(r, dictionary));
      }
    }
    const out = Buffer.from(lines.join('\n'), 'latin1');
    return out.length > maxLen ? out.subarray(0, maxLen) : out;
  }
  const tokens = text.split(TOKEN_SPLIT);
  const edits = 1 + int(r, 4);
  for (let e = 0; e < edits && tokens.length; e++) {
    const at = int(r, tokens.length);
    switch (int(r, 7)) {
      case 0:
        tokens[at] = pick(r, dictionary);
        break;
      case 1:
        tokens.splice(at, 0, pick(r, dictionary));
        break;
      case 2:
        tokens.splice(at, 1 + int(r, 3));
        break;
      case 3:
        tokens[at] = tokens[at].repeat(2 + int(r, 40));
        break;
      case 4:
        tokens[at] = tokens[int(r, tokens.length)];
        break;
      case 5:
        // A number token to an extreme.
        tokens[at] = pick(r, ['0', '-1', '4294967296', '99999999999999999999', '1e9', 'NaN', '', '00000000001', '65536', '2147483648']);
        break;
      default:
        tokens[at] = tokens[at].toUpperCase() === tokens[at] ? tokens[at].toLowerCase() : tokens[at].toUpperCase();
    }
  }
  const out = Buffer.from(tokens.join(''), 'latin1');
  return out.length > maxLen ? out.subarray(0, maxLen) : out;
}

export function randomBytes(r: Rand, maxLen: number, alphabet?: string): Buffer {
  const len = int(r, r() < 0.9 ? Math.min(maxLen, 300) : maxLen + 1);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = alphabet ? alphabet.charCodeAt(int(r, alphabet.length)) : int(r, 256);
  return b;
}

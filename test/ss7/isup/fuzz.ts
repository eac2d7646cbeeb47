import type { Variant } from '../../../src/ss7/variant.js';
import { decodeIsup, encodeIsup } from '../../../src/ss7/isup/codec.js';
import { isIsupError } from '../../../src/ss7/isup/messages.js';
import { allSamples, TCPDUMP_ISUP } from './samples.js';

/** xorshift32: reproducible cases from a seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function seeds(variant: Variant): Buffer[] {
  const out = allSamples(variant).map((m) => encodeIsup(m, variant));
  if (variant === 'itu') for (const h of Object.values(TCPDUMP_ISUP)) out.push(Buffer.from(h, 'hex'));
  return out;
}

/** A random byte string, or a valid message with flipped, inserted, deleted or truncated bytes. */
export function mutate(base: Buffer[], next: () => number): Buffer {
  const mode = next() % 5;
  if (mode === 0) {
    const b = Buffer.alloc(next() % 64);
    for (let i = 0; i < b.length; i++) b[i] = next() & 0xff;
    if (b.length > 2 && next() % 2) b[2] = base[next() % base.length][2];
    return b;
  }
  const src = base[next() % base.length];
  let b = Buffer.from(src);
  const edits = 1 + (next() % 4);
  for (let e = 0; e < edits; e++) {
    const op = next() % 4;
    const at = b.length ? next() % b.length : 0;
    if (op === 0 && b.length) b[at] = next() & 0xff;
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([next() & 0xff]), b.subarray(at)]);
    else if (op === 2 && b.length) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else b = b.subarray(0, at + (mode === 4 ? 3 : 0));
  }
  return b;
}

export interface FuzzOutcome {
  messages: number;
  errors: number;
}

/** Decodes `cases` inputs; each decoded message must re-encode and decode to itself. Throws on a violation. */
export function fuzzIsup(variant: Variant, cases: number, seed: number, check = true): FuzzOutcome {
  const next = rng(seed);
  const base = seeds(variant);
  const out: FuzzOutcome = { messages: 0, errors: 0 };
  for (let i = 0; i < cases; i++) {
    const input = mutate(base, next);
    const d = decodeIsup(input, variant);
    if (isIsupError(d)) {
      out.errors++;
      continue;
    }
    out.messages++;
    if (!check) continue;
    const again = decodeIsup(encodeIsup(d, variant), variant);
    if (JSON.stringify(again) !== JSON.stringify(d)) {
      throw new Error(`not stable: ${input.toString('hex')}`);
    }
    if (JSON.stringify(d).length > 64 * input.length + 512) throw new Error(`unbounded output for ${input.toString('hex')}`);
  }
  return out;
}

/** Decode only, counting exceptions that escape decodeIsup instead of stopping at the first. */
export function fuzzEscapes(variant: Variant, cases: number, seed: number): FuzzOutcome & { escapes: number } {
  const next = rng(seed);
  const base = seeds(variant);
  const out = { messages: 0, errors: 0, escapes: 0 };
  for (let i = 0; i < cases; i++) {
    const input = mutate(base, next);
    try {
      if (isIsupError(decodeIsup(input, variant))) out.errors++;
      else out.messages++;
    } catch {
      out.escapes++;
    }
  }
  return out;
}

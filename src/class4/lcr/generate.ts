/**
 * A seeded synthetic rate-deck generator with the shapes real decks have, for benchmarks and
 * load tests: NANP 1+NPA, 1+NPA+NXX and 1+NPA+NXX+X thousands blocks; international country
 * codes followed by 1-6 digits in contiguous ranges. Not used on any call path.
 */
import type { DeckRows } from './deck.js';
import { mulberry32 } from '../../util/prng.js';

export { mulberry32 };


/** ITU-T E.164 country codes (a representative subset; "1" is NANP, handled separately). */
const COUNTRY_CODES = (
  '7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 ' +
  '211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 ' +
  '350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 ' +
  '500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 ' +
  '850 852 853 855 856 880 886 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998'
).split(' ');

export interface GeneratedDecks {
  decks: DeckRows[];
  prefixes: string[];
}

/**
 * `target` distinct prefixes over `carriers` carriers; each prefix is quoted by one carrier and,
 * with probability 0.3, by a second.
 */
export function generateDecks(target: number, seed = 1, carriers = 5): GeneratedDecks {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const set = new Set<string>();
  const add = (p: string) => {
    if (set.size < target) set.add(p);
  };
  const nanpShare = Math.floor(target * 0.45);
  const npas: string[] = [];
  for (let npa = 201; npa <= 989; npa++) if (npa % 100 !== 11 && Math.floor(npa / 10) % 10 !== 9 && rnd() < 0.55) npas.push(String(npa));
  for (const npa of npas) add('1' + npa);
  outer: for (let round = 0; round < 50; round++) {
    for (const npa of npas) {
      const start = int(200, 900);
      const len = int(20, 99);
      for (let nxx = start; nxx < Math.min(1000, start + len); nxx++) {
        const p = '1' + npa + nxx;
        add(p);
        if (rnd() < 0.3) {
          const x0 = int(0, 6);
          for (let x = x0; x < Math.min(10, x0 + int(2, 10)); x++) add(p + x);
        }
        if (set.size >= nanpShare) break outer;
      }
    }
  }
  while (set.size < target) {
    const cc = COUNTRY_CODES[int(0, COUNTRY_CODES.length - 1)];
    add(cc);
    const extra = int(1, 6);
    const width = Math.min(extra, 3);
    const head = extra > width ? String(int(0, 10 ** (extra - width) - 1)).padStart(extra - width, '0') : '';
    const start = int(0, 10 ** width - 1);
    const count = int(1, Math.min(200, 10 ** width - start));
    for (let k = start; k < start + count; k++) add(cc + head + String(k).padStart(width, '0'));
  }
  const prefixes = [...set];
  const rows: number[][] = Array.from({ length: carriers }, () => []);
  for (let i = 0; i < prefixes.length; i++) {
    const c = int(0, carriers - 1);
    rows[c].push(i);
    if (carriers > 1 && rnd() < 0.3) rows[(c + int(1, carriers - 1)) % carriers].push(i);
  }
  const decks = rows.map((idx, c): DeckRows => {
    const n = idx.length;
    const d: DeckRows = {
      carrier: `carrier-${c + 1}`,
      count: n,
      prefixes: idx.map((i) => prefixes[i]),
      interstate: new Int32Array(n),
      intrastate: new Int32Array(n),
      indeterminate: new Int32Array(n),
      effective: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      const base = int(1000, 90000);
      d.interstate[k] = base;
      d.intrastate[k] = base + int(0, 5000);
      d.indeterminate[k] = base + 5000;
      d.effective[k] = Date.UTC(2024, int(0, 11), 1);
    }
    return d;
  });
  return { decks, prefixes };
}

/** A fixed lookup mix of 11-15 digit numbers (see issue #4): 40% long-prefix, 20% short-prefix, 25% plausible, 15% misses. */
export function generateLookupMix(prefixes: string[], count: number, seed = 2): string[] {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const long = prefixes.filter((p) => p.length >= 6);
  const short = prefixes.filter((p) => p.length < 6);
  const pad = (p: string) => {
    let s = p;
    const want = Math.max(int(11, 15), p.length);
    while (s.length < want) s += String(int(0, 9));
    return s.slice(0, 15);
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.4) out.push(pad(long[int(0, long.length - 1)]));
    else if (r < 0.6) out.push(pad(short[int(0, short.length - 1)]));
    else if (r < 0.85) out.push(pad(rnd() < 0.5 ? '1' + int(200, 999) : COUNTRY_CODES[int(0, COUNTRY_CODES.length - 1)]));
    else out.push(pad('0' + int(0, 9)));
  }
  return out;
}

/** Valid NANP NPAs for synthetic decks: N in 2-9, no N11 service codes, no N9X (reserved for expansion). */
function nanpNpas(): number[] {
  const out: number[] = [];
  for (let npa = 200; npa <= 999; npa++) if (npa % 100 !== 11 && Math.floor(npa / 10) % 10 !== 9) out.push(npa);
  return out;
}

/** A 32-bit integer hash (so a block's carrier and rate do not depend on iteration order). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** How many NPA-NXX-X thousands blocks nanpBlockDeckLines can draw from (about 5.7 million). */
export const NANP_BLOCKS = nanpNpas().length * 800 * 10;

/**
 * One carrier's NPA-NXX-X deck (1 + NPA + NXX + X prefixes, 8 digits) as CSV lines, drawn from
 * `total` blocks spread evenly over every valid NPA-NXX and dealt to `carriers` carriers, so the
 * carriers' decks together hold `total` distinct prefixes. `rateOffset` (micro-units) shifts
 * every rate, to make a new version of the same decks.
 */
export function* nanpBlockDeckLines(carrier: number, carriers: number, total: number, seed = 1, rateOffset = 0): Generator<string> {
  yield 'prefix,interstate,intrastate,indeterminate,effective';
  const npas = nanpNpas();
  const all = npas.length * 8000;
  const want = Math.min(total, all);
  let i = 0;
  for (const npa of npas) {
    for (let nxx = 200; nxx <= 999; nxx++) {
      for (let x = 0; x < 10; x++, i++) {
        if (Math.floor(((i + 1) * want) / all) === Math.floor((i * want) / all)) continue;
        const h = mix32(i ^ Math.imul(seed, 0x9e3779b1));
        if (h % carriers !== carrier) continue;
        const base = 1000 + ((h >>> 8) % 89_000) + rateOffset;
        yield `1${npa}${nxx}${x},${formatMicro(base)},${formatMicro(base + ((h >>> 3) % 5000))},${formatMicro(base + 5000)},2024-01-01`;
      }
    }
  }
}

function formatMicro(micro: number): string {
  return `0.${String(micro).padStart(6, '0')}`;
}

/** Called numbers in NANP blocks (about 90% inside the generated decks' coverage). */
export function generateNanpNumbers(count: number, seed = 3): string[] {
  const rnd = mulberry32(seed);
  const npas = nanpNpas();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const npa = npas[Math.floor(rnd() * npas.length)];
    const nxx = 200 + Math.floor(rnd() * 800);
    out.push(`1${npa}${nxx}${String(Math.floor(rnd() * 10000)).padStart(4, '0')}`);
  }
  return out;
}

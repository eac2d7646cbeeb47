/**
 * MGCP digit maps (RFC 3435 §2.1.5): parsing and matching, pure. A map is a list of
 * alternatives ("(0T|00T|[1-7]xxx|8xxxxxxx|#xxxxxxx|*xx|91xxxxxxxxxx|9011x.T)"); each is a sequence
 * of positions (a digit, #, *, A–D, T for the inter-digit timer, x for any digit, or a range in
 * brackets), and a position followed by "." may occur any number of times, zero included.
 *
 * Matching simulates every alternative at once over the collected string (a set of positions per
 * alternative), so a hostile map costs at most (length of input) × (positions in the map): there is
 * no backtracking. Maps and collected strings are bounded.
 */

/** One position of an alternative: the letters it accepts, and whether "." follows it. */
interface Position {
  readonly accepts: ReadonlySet<string>;
  readonly repeat: boolean;
}

export interface DigitMap {
  /** The map as given (without surrounding blanks). */
  readonly text: string;
  readonly alternatives: ReadonlyArray<ReadonlyArray<Position>>;
}

export type DigitMapParse = { ok: true; map: DigitMap } | { ok: false; error: string };

/**
 * - `complete`: the string matches an alternative and no longer string could: report it now.
 * - `ambiguous`: it matches, and a longer string could too (the gateway waits for the timer, "T").
 * - `partial`: no alternative matches yet, but more letters could make one match.
 * - `mismatch`: no alternative can match, whatever follows.
 */
export type DigitMapOutcome = 'complete' | 'ambiguous' | 'partial' | 'mismatch';

export const DIGIT_MAP_LIMITS = { maxText: 2048, maxAlternatives: 128, maxPositions: 64, maxCollected: 64 } as const;

/** The letters a collected string is made of: DTMF digits, #, *, A–D and T (timer). */
const LETTERS = '0123456789#*ABCDT';
const DIGITS = '0123456789';

/** Parses a digit map; never throws. Letters are read case-insensitively ("x" and "X"). */
export function parseDigitMap(input: string): DigitMapParse {
  if (typeof input !== 'string') return { ok: false, error: 'digit map is not text' };
  const text = input.trim();
  if (text.length === 0) return { ok: false, error: 'empty digit map' };
  if (text.length > DIGIT_MAP_LIMITS.maxText) return { ok: false, error: `digit map longer than ${DIGIT_MAP_LIMITS.maxText} characters` };
  let body = text;
  if (body.startsWith('(')) {
    if (!body.endsWith(')')) return { ok: false, error: 'unbalanced parenthesis' };
    body = body.slice(1, -1);
  } else if (body.includes('|')) return { ok: false, error: 'alternatives must be enclosed in parentheses' };
  if (/[()]/.test(body)) return { ok: false, error: 'nested or stray parenthesis' };
  const parts = body.split('|');
  if (parts.length > DIGIT_MAP_LIMITS.maxAlternatives) return { ok: false, error: `more than ${DIGIT_MAP_LIMITS.maxAlternatives} alternatives` };
  const alternatives: Position[][] = [];
  for (const raw of parts) {
    const alt = parseAlternative(raw.trim());
    if (typeof alt === 'string') return { ok: false, error: alt };
    alternatives.push(alt);
  }
  return { ok: true, map: { text, alternatives } };
}

function parseAlternative(s: string): Position[] | string {
  if (s.length === 0) return 'empty alternative';
  const out: Position[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i].toUpperCase();
    let accepts: Set<string>;
    if (c === '.') return 'a "." must follow a position';
    if (c === 'X') {
      accepts = new Set(DIGITS);
      i++;
    } else if (c === '[') {
      const close = s.indexOf(']', i + 1);
      if (close < 0) return 'unterminated range';
      const range = parseRange(s.slice(i + 1, close));
      if (typeof range === 'string') return range;
      accepts = range;
      i = close + 1;
    } else if (LETTERS.includes(c)) {
      accepts = new Set([c]);
      i++;
    } else return `unexpected character ${JSON.stringify(s[i])} in digit map`;
    let repeat = false;
    if (s[i] === '.') {
      repeat = true;
      i++;
    }
    if (out.length >= DIGIT_MAP_LIMITS.maxPositions) return `more than ${DIGIT_MAP_LIMITS.maxPositions} positions in an alternative`;
    out.push({ accepts, repeat });
  }
  return out;
}

/** A bracketed range: digits, "d-d" spans, and the letters #, *, A–D, T, x. */
function parseRange(s: string): Set<string> | string {
  if (s.length === 0) return 'empty range';
  const set = new Set<string>();
  for (let i = 0; i < s.length; i++) {
    const c = s[i].toUpperCase();
    if (c === 'X') {
      for (const d of DIGITS) set.add(d);
    } else if (DIGITS.includes(c) && s[i + 1] === '-') {
      const hi = s[i + 2];
      if (hi === undefined || !DIGITS.includes(hi)) return 'malformed span in range';
      if (hi < c) return `reversed span ${c}-${hi} in range`;
      for (let d = c.charCodeAt(0); d <= hi.charCodeAt(0); d++) set.add(String.fromCharCode(d));
      i += 2;
    } else if (LETTERS.includes(c)) set.add(c);
    else return `unexpected character ${JSON.stringify(s[i])} in range`;
  }
  return set;
}

/** Positions reachable from `p` without reading a letter (skipping repeated positions, zero times). */
function closure(alt: ReadonlyArray<Position>, from: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (let p of from) {
    out.add(p);
    while (p < alt.length && alt[p].repeat) out.add(++p);
  }
  return out;
}

/** Matches the collected string (e.g. "9011T") against the map. */
export function matchDigitMap(map: DigitMap, collected: string): DigitMapOutcome {
  const input = collected.toUpperCase();
  if (input.length > DIGIT_MAP_LIMITS.maxCollected) return 'mismatch';
  let full = false;
  let longer = false;
  for (const alt of map.alternatives) {
    let states = closure(alt, [0]);
    for (const ch of input) {
      const next: number[] = [];
      for (const p of states) {
        if (p >= alt.length || !alt[p].accepts.has(ch)) continue;
        next.push(alt[p].repeat ? p : p + 1);
      }
      states = closure(alt, next);
      if (states.size === 0) break;
    }
    for (const p of states) {
      if (p === alt.length) full = true;
      // Something more can be read: a position not at the end, or a repeated one.
      if (p < alt.length) longer = true;
    }
  }
  if (full) return longer ? 'ambiguous' : 'complete';
  return longer ? 'partial' : 'mismatch';
}

/** The dialled number in a collected string: the letters without the timer mark. */
export function dialledDigits(collected: string): string {
  return collected.toUpperCase().replace(/T/g, '');
}

import { describe, expect, it } from 'vitest';
import { DIGIT_MAP_LIMITS, dialledDigits, matchDigitMap, parseDigitMap, type DigitMap } from '../../src/mgcp/mgcp/digit-map.js';

const map = (s: string): DigitMap => {
  const r = parseDigitMap(s);
  if (!r.ok) throw new Error(r.error);
  return r.map;
};

describe('digit maps (RFC 3435 §2.1.5)', () => {
  // The example map of RFC 3435 §2.1.5 in spirit: operator, extensions, local, long distance, international.
  const m = map('(0T|00T|[1-7]xxx|8xxxxxxx|#xxxxxxx|*xx|91xxxxxxxxxx|9011x.T)');

  it('a 4-digit extension completes on its last digit; fewer digits are partial', () => {
    expect(matchDigitMap(m, '1')).toBe('partial');
    expect(matchDigitMap(m, '100')).toBe('partial');
    expect(matchDigitMap(m, '1002')).toBe('complete');
    expect(matchDigitMap(m, '10023')).toBe('mismatch');
  });

  it('"0" alone is ambiguous-free only with the timer: 0 is partial, 0T complete, 00T complete', () => {
    expect(matchDigitMap(m, '0')).toBe('partial');
    expect(matchDigitMap(m, '0T')).toBe('complete');
    expect(matchDigitMap(m, '00T')).toBe('complete');
    expect(matchDigitMap(m, '0T5')).toBe('mismatch');
  });

  it('x. with T: international numbers of any length end on the timer', () => {
    expect(matchDigitMap(m, '9011')).toBe('partial');
    expect(matchDigitMap(m, '901144')).toBe('partial');
    expect(matchDigitMap(m, '9011442071234567T')).toBe('complete');
    expect(matchDigitMap(m, '9011T')).toBe('complete'); // x. is zero or more
  });

  it('ranges, * and #, lower- and upper-case x', () => {
    expect(matchDigitMap(m, '*69')).toBe('complete');
    expect(matchDigitMap(m, '#1234567')).toBe('complete');
    expect(matchDigitMap(m, '8')).toBe('partial');
    expect(matchDigitMap(map('[2-9]XXXXXX'), '5551234')).toBe('complete');
    expect(matchDigitMap(map('[2-9]xxxxxx'), '1551234')).toBe('mismatch');
    expect(matchDigitMap(map('[13-5#]x'), '4#')).toBe('mismatch');
    expect(matchDigitMap(map('[13-5#]x'), '#4')).toBe('complete');
  });

  it('a match that a longer string could extend is ambiguous (the gateway waits for the timer)', () => {
    const amb = map('(xxx|xxxx)');
    expect(matchDigitMap(amb, '123')).toBe('ambiguous');
    expect(matchDigitMap(amb, '1234')).toBe('complete');
    expect(matchDigitMap(map('1x.'), '1')).toBe('ambiguous');
  });

  it('a single string without parentheses is a map; the dialled digits drop the timer', () => {
    expect(matchDigitMap(map('xxxx'), '1002')).toBe('complete');
    expect(dialledDigits('9011447T')).toBe('9011447');
  });

  it('hostile maps are refused with a reason, never thrown', () => {
    const bad = [
      '',
      '   ',
      '(',
      '(1|2',
      '1|2',
      '((12))',
      '(1||2)',
      '()',
      '.1',
      '(1|.)',
      '[9-2]x',
      '[',
      '[]',
      '[1-]',
      '[a-z]',
      'xyz',
      '1\u00002',
      '1 2\n3',
      '1'.repeat(DIGIT_MAP_LIMITS.maxText + 1),
      `(${Array.from({ length: DIGIT_MAP_LIMITS.maxAlternatives + 1 }, () => '1').join('|')})`,
      'x'.repeat(DIGIT_MAP_LIMITS.maxPositions + 1),
      '(1)2',
    ];
    for (const s of bad) {
      const r = parseDigitMap(s);
      expect(r.ok, JSON.stringify(s).slice(0, 60)).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
    expect(parseDigitMap(42 as unknown as string).ok).toBe(false);
  });

  it('a pathological map matches in bounded time (no backtracking)', () => {
    // Every position repeated: each alternative keeps all its positions live on every letter.
    const alts = Array.from({ length: 60 }, () => 'x.'.repeat(15) + '1');
    const heavy = map(`(${alts.join('|')})`);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) matchDigitMap(heavy, '0'.repeat(DIGIT_MAP_LIMITS.maxCollected - 1) + '2');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(matchDigitMap(heavy, '0'.repeat(DIGIT_MAP_LIMITS.maxCollected + 1))).toBe('mismatch');
  });

  it('random maps and strings never throw', () => {
    const alphabet = '0123456789xX.[]()|-#*ABCDTt ';
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: rnd(24) }, () => alphabet[rnd(alphabet.length)]).join('');
      const r = parseDigitMap(s);
      if (r.ok) expect(['complete', 'ambiguous', 'partial', 'mismatch']).toContain(matchDigitMap(r.map, Array.from({ length: rnd(12) }, () => '0123456789#*T'[rnd(13)]).join('')));
    }
  });
});

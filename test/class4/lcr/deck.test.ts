import { describe, expect, it } from 'vitest';
import { formatRate, parseDeck, parseRate } from '../../../src/class4/lcr/deck.js';
import { mulberry32 } from '../../../src/class4/lcr/generate.js';

describe('rate deck CSV', () => {
  it('parses prefix and NPA-NXX decks with defaults for blank columns', () => {
    const r = parseDeck('x', '# comment\nPrefix,Interstate,Intrastate,Indeterminate,Effective\n+4420,0.009,,,2024-01-01\n1212,0.0045,0.009,0.008,2024-02-01T06:30\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.deck.prefixes).toEqual(['4420', '1212']);
    expect(Array.from(r.deck.intrastate)).toEqual([9000, 9000]);
    expect(r.deck.effective[1]).toBe(Date.UTC(2024, 1, 1, 6, 30));
    const n = parseDeck('y', 'npanxx,inter,intra\n212-555,0.01,0.02\n"917555","0.011","0.021"\n');
    expect(n.ok && n.deck.prefixes).toEqual(['1212555', '1917555']);
  });

  it('rejects the whole deck and names every bad line', () => {
    const text = [
      'prefix,interstate,intrastate,indeterminate,effective',
      '1212,0.0045,0.009,0.008,2024-01-01',
      '12a2,0.01,0.01,0.01,2024-01-01',
      '1213,-0.01,0.01,0.01,2024-01-01',
      '1214,0.01,0.01',
      '',
      '1215,0.01,0.01,0.01,2024-02-30',
      '1212,0.005,0.009,0.008,2024-01-01',
      '1234567890123456,0.01,0.01,0.01,2024-01-01',
      '1216,0.0000001,0.01,0.01,2024-01-01',
    ].join('\n');
    const r = parseDeck('x', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5, 7, 8, 9, 10]);
    expect(r.errorCount).toBe(7);
    expect(r.rowCount).toBe(8);
    expect(r.errors[3].message).toMatch(/effective date/);
    expect(r.errors[4].message).toMatch(/duplicate/);
  });

  it('rejects a header without the needed columns, and empty input', () => {
    expect(parseDeck('x', 'foo,bar\n1,2\n').ok).toBe(false);
    expect(parseDeck('x', '').ok).toBe(false);
  });

  it('rates are exact integers of micro-units', () => {
    expect(parseRate('0.0045')).toBe(4500);
    expect(parseRate('12')).toBe(12_000_000);
    expect(parseRate('1e3')).toBe(-1);
    expect(formatRate(4500)).toBe('0.0045');
    expect(formatRate(12_000_000)).toBe('12');
  });

  it('never throws on random input', () => {
    const rnd = mulberry32(42);
    const alphabet = 'prefix,interstate\n0123456789.,"-#\r TZ';
    for (let i = 0; i < 500; i++) {
      let s = i % 2 ? 'prefix,interstate,effective\n' : '';
      const len = Math.floor(rnd() * 200);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = parseDeck('x', s);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});

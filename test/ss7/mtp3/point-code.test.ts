import { describe, expect, it } from 'vitest';
import { formatPointCode, isPointCodeError, parsePointCode } from '../../../src/ss7/mtp3/point-code.js';

describe('point codes', () => {
  it('formats ANSI as network-cluster-member (T1.111.4 §3.2)', () => {
    expect(formatPointCode(0xf51000, 'ansi')).toBe('245-16-0');
    expect(formatPointCode(0x010203, 'ansi')).toBe('1-2-3');
    expect(formatPointCode(0xf51000, 'ansi', 'decimal')).toBe('16060416');
  });

  it('formats ITU as zone-area-id 3-8-3 (Q.708) or decimal', () => {
    expect(formatPointCode(11522, 'itu')).toBe('5-160-2');
    expect(formatPointCode(0x3fff, 'itu')).toBe('7-255-7');
    expect(formatPointCode(11522, 'itu', 'decimal')).toBe('11522');
  });

  it('parses what it formats, in both notations', () => {
    for (const pc of [0, 1, 11522, 12163, 0x3fff]) {
      expect(parsePointCode(formatPointCode(pc, 'itu'), 'itu')).toBe(pc);
      expect(parsePointCode(String(pc), 'itu')).toBe(pc);
    }
    for (const pc of [0, 0xf51000, 0x010203, 0xffffff]) expect(parsePointCode(formatPointCode(pc, 'ansi'), 'ansi')).toBe(pc);
    expect(parsePointCode('245.16.0', 'ansi')).toBe(0xf51000);
  });

  it('rejects out-of-range fields and junk with an error value', () => {
    for (const [t, v] of [['8-0-0', 'itu'], ['0-256-0', 'itu'], ['0-0-8', 'itu'], ['16384', 'itu'], ['256-0-0', 'ansi'], ['1-2', 'ansi'], ['x', 'ansi'], ['', 'itu']] as const) {
      const r = parsePointCode(t, v);
      expect(isPointCodeError(r), `${t} ${v}`).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { digitOf, formatRequestedEvents, isEvent, parseEventList } from '../../src/mgcp/mgcp/packages.js';

describe('event lists (RFC 3435 §3.2.2.4, RFC 3660 packages)', () => {
  it('formats R: with actions', () => {
    expect(formatRequestedEvents([{ event: 'L/hu', actions: ['N'] }, { event: 'D/[0-9#*T]', actions: ['D'] }])).toBe('L/hu(N), D/[0-9#*T](D)');
  });

  it('parses observed events: qualified, unqualified, connection, parameters, digits', () => {
    const r = parseEventList('L/hd, D/1,D/0, 0, 2 ,T/co1(x, y), hf@A3F5, D/T');
    expect(Array.isArray(r)).toBe(true);
    const l = r as Exclude<typeof r, { error: string }>;
    expect(isEvent(l[0], 'L/hd')).toBe(true);
    expect(l.slice(1, 5).map(digitOf).join('')).toBe('1002');
    expect(l[5]).toMatchObject({ pkg: 'T', name: 'co1', params: 'x, y' });
    expect(isEvent(l[6], 'L/hf', 'L')).toBe(true);
    expect(l[6].connection).toBe('A3F5');
    expect(digitOf(l[7])).toBe('T');
    expect(digitOf({ pkg: 'L', name: '1' })).toBeUndefined();
    expect(parseEventList('')).toEqual([]);
  });

  it('hostile lists are errors, not exceptions', () => {
    for (const s of ['L/hd,', ',', 'L/hd((', 'L/hd)', 'L//hd', 'L/h d', 'a'.repeat(2000), Array(70).fill('L/hd').join(','), 'L/hd(x', '@x', 'L/\u0001']) {
      const r = parseEventList(s);
      expect('error' in r, s.slice(0, 40)).toBe(true);
    }
  });
});

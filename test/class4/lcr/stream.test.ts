import { describe, expect, it } from 'vitest';
import { DeckParser, parseDeck } from '../../../src/class4/lcr/deck.js';
import { diffDecks } from '../../../src/class4/lcr/diff.js';

const DECK = '# c\nprefix,interstate,intrastate,effective\n1212,0.004,0.005,2024-01-01\n"4420",0.008,,\n1212,0.005,0.005,2024-06-01\n12x,1,1,\n';

describe('streaming deck parser', () => {
  it('gives the same result for the text split at every offset', () => {
    const whole = parseDeck('x', DECK);
    for (let cut = 0; cut <= DECK.length; cut++) {
      const p = new DeckParser('x');
      p.push(DECK.slice(0, cut));
      p.push(DECK.slice(cut));
      expect(p.end(), `cut at ${cut}`).toEqual(whole);
    }
    expect(whole.ok).toBe(false);
  });

  it('with limits, stops at a bad header, a long line, too many rows, or mostly-bad rows', () => {
    const header = new DeckParser('x', { junkAfterRows: 10 });
    expect(header.push('lorem ipsum\n1,2\n')).toMatchObject({ line: 1 });
    const long = new DeckParser('x', { maxLineChars: 100 });
    expect(long.push('prefix,interstate\n' + '1'.repeat(500))).toMatchObject({ line: 2, reason: expect.stringMatching(/longer than 100/) });
    const many = new DeckParser('x', { maxRows: 3 });
    expect(many.push('prefix,interstate\n1,1\n2,1\n3,1\n4,1\n5,1\n')).toMatchObject({ line: 5, reason: expect.stringMatching(/more than 3 rows/) });
    const junk = new DeckParser('x', { junkAfterRows: 20 });
    junk.push('prefix,interstate\n');
    let stop;
    for (let i = 0; i < 1000 && !stop; i++) stop = junk.push(i % 3 === 0 ? `1${i},0.01\n` : `x${i},0.01\n`);
    expect(stop).toMatchObject({ line: 21 });
    const r = junk.end();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r).toMatchObject({ stoppedAtLine: 21, rowCount: 20 });
    // A mostly good deck with a few bad rows is read to the end and every bad row reported.
    const some = new DeckParser('x', { junkAfterRows: 20 });
    some.push('prefix,interstate\n');
    for (let i = 0; i < 1000; i++) expect(some.push(i % 50 === 7 ? `x${i},0.01\n` : `1${i},0.01\n`)).toBeUndefined();
    const s = some.end();
    expect(!s.ok && s.errorCount).toBe(20);
  });
});

describe('deck diff', () => {
  it('counts and lists added, removed and re-rated rows, bounded', () => {
    const a = parseDeck('x', 'prefix,interstate\n1,0.1\n2,0.2\n3,0.3\n4,0.4\n');
    const b = parseDeck('x', 'prefix,interstate\n1,0.1\n2,0.25\n5,0.5\n6,0.6\n');
    if (!a.ok || !b.ok) throw new Error('decks');
    const d = diffDecks(a.deck, b.deck, 1);
    expect(d.counts).toEqual({ added: 2, removed: 2, changed: 1, unchanged: 1 });
    expect(d.prefixCounts).toEqual({ added: 2, removed: 2 });
    expect(d.added).toEqual([{ prefix: '5', effective: '1970-01-01', after: { interstate: '0.5', intrastate: '0.5', indeterminate: '0.5' } }]);
    expect(d.changed[0]).toMatchObject({ prefix: '2', before: { interstate: '0.2' }, after: { interstate: '0.25' } });
    expect(d.truncated).toBe(true);
  });
});

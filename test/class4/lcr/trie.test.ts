import { describe, expect, it } from 'vitest';
import { generateDecks, generateLookupMix, mulberry32 } from '../../../src/class4/lcr/generate.js';
import { TrieBuilder, longestId, matchPath, walkPrefixes } from '../../../src/class4/lcr/trie.js';
import { buildTable, buildTableAsync, extractDecks, tableSize } from '../../../src/class4/lcr/table.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/class4/lcr/snapshot.js';

function naive(prefixes: string[]) {
  const map = new Map<string, number>();
  let max = 0;
  return {
    set(p: string, id: number) {
      map.set(p, id);
      max = Math.max(max, p.length);
    },
    get(n: string) {
      for (let k = Math.min(n.length, max); k >= 0; k--) {
        const v = map.get(n.substring(0, k));
        if (v !== undefined) return v;
      }
      return -1;
    },
    prefixes,
  };
}

function compile(b: TrieBuilder, bfs?: number, direct?: number) {
  const it = b.compile(1024, bfs, direct);
  for (;;) {
    const s = it.next();
    if (s.done) return s.value;
  }
}

describe('compiled trie', () => {
  it('agrees with a naive longest-prefix Map on a generated 50k-prefix deck, for every layout', () => {
    const { prefixes } = generateDecks(50_000, 7);
    const mix = generateLookupMix(prefixes, 20_000, 9);
    const b = new TrieBuilder();
    const ref = naive(prefixes);
    for (const p of prefixes) ref.set(p, b.insert(p));
    let hits = 0;
    for (const [bfs, direct] of [[0, 0], [3, 3], [5, 4], [30, 6]]) {
      const t = compile(b, bfs, direct);
      for (const n of mix) {
        const want = ref.get(n);
        expect(longestId(t, n)).toBe(want);
        if (want >= 0) hits++;
      }
      for (const p of prefixes.slice(0, 2000)) expect(longestId(t, p)).toBe(ref.get(p));
    }
    expect(hits).toBeGreaterThan(mix.length * 2);
  });

  it('handles short numbers, non-digits and the empty prefix', () => {
    const b = new TrieBuilder();
    const ids = ['', '1', '12', '4420', '44207'].map((p) => b.insert(p));
    const t = compile(b);
    expect(longestId(t, '')).toBe(ids[0]);
    expect(longestId(t, '9')).toBe(ids[0]);
    expect(longestId(t, '13')).toBe(ids[1]);
    expect(longestId(t, '129')).toBe(ids[2]);
    expect(longestId(t, '442071234567')).toBe(ids[4]);
    expect(longestId(t, '4421')).toBe(ids[0]);
    expect(longestId(t, '12a4')).toBe(ids[2]);
    expect(matchPath(t, '442079').map(([d]) => d)).toEqual([0, 4, 5]);
    expect([...walkPrefixes(t)].map(([p]) => p)).toEqual(['', '1', '12', '4420', '44207']);
  });

  it('walks back exactly the inserted prefixes', () => {
    const rnd = mulberry32(3);
    const set = new Set<string>();
    while (set.size < 3000) set.add(String(Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * 8)))));
    const b = new TrieBuilder();
    const id = new Map<string, number>();
    for (const p of set) id.set(p, b.insert(p));
    const got = [...walkPrefixes(compile(b))];
    expect(got.length).toBe(set.size);
    for (const [p, v] of got) expect(id.get(p)).toBe(v);
  });
});

function dump(t: ReturnType<typeof buildTable>): string[] {
  const out: string[] = [];
  for (const [p, pid] of walkPrefixes(t.trie))
    for (let e = t.entryStart[pid]; e < t.entryStart[pid + 1]; e++)
      for (let r = t.entryRow[e]; r < t.entryRow[e] + t.entryRowCount[e]; r++)
        out.push(`${p} ${t.carriers[t.entryCarrier[e]]} ${t.rowInterstate[r]} ${t.rowIntrastate[r]} ${t.rowIndeterminate[r]} ${t.rowEffective[r]}`);
  return out;
}

describe('route table', () => {
  it('groups rows per prefix and carrier, newest effective first, and round-trips through extractDecks', async () => {
    const { decks } = generateDecks(20_000, 11, 3);
    const t = buildTable(decks);
    const t2 = await buildTableAsync(extractDecks(t));
    expect(tableSize(t2)).toEqual(tableSize(t));
    expect(dump(t2)).toEqual(dump(t));
    expect(t.trie.prefixCount).toBe(20_000);
    expect(tableSize(t).trieBytes / t.trie.prefixCount).toBeLessThan(16);
  });

  it('snapshot round-trips and rejects corrupt bytes without throwing', () => {
    const { decks, prefixes } = generateDecks(5_000, 5, 2);
    const t = buildTable(decks);
    const buf = encodeSnapshot(t, 'fp');
    const back = decodeSnapshot(buf);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.fingerprint).toBe('fp');
    for (const p of prefixes.slice(0, 500)) expect(longestId(back.table.trie, p + '5')).toBe(longestId(t.trie, p + '5'));
    const rnd = mulberry32(1);
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const bad = Uint8Array.from(buf);
      for (let k = 0; k < 4; k++) bad[Math.floor(rnd() * bad.length)] = Math.floor(rnd() * 256);
      const r = decodeSnapshot(i % 3 === 0 ? bad.subarray(0, Math.floor(rnd() * bad.length)) : bad);
      if (!r.ok) rejected++;
      else for (const p of prefixes.slice(0, 50)) expect(longestId(r.table.trie, p)).toBeLessThan(r.table.trie.prefixCount);
    }
    expect(rejected).toBeGreaterThan(50);
    expect(decodeSnapshot(new Uint8Array([0xff, 0xff, 0xff])).ok).toBe(false);
  });
});

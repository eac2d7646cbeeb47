/**
 * What changed between two rate decks (e.g. two stored versions of one carrier's deck): rows
 * keyed by prefix and effective date, counted as added, removed or with changed rates, with the
 * first `limit` of each kind listed in the order of the deck they come from.
 */
import type { DeckRows } from './deck.js';
import { formatDate, formatRate } from './deck.js';

export interface DiffRates {
  interstate: string;
  intrastate: string;
  indeterminate: string;
}

export interface DiffRow {
  prefix: string;
  effective: string;
  before?: DiffRates;
  after?: DiffRates;
}

export interface DeckDiff {
  rows: { from: number; to: number };
  prefixes: { from: number; to: number };
  counts: { added: number; removed: number; changed: number; unchanged: number };
  /** Distinct prefixes that appear only in one of the decks. */
  prefixCounts: { added: number; removed: number };
  added: DiffRow[];
  removed: DiffRow[];
  changed: DiffRow[];
  /** True when a list holds fewer rows than its count. */
  truncated: boolean;
}

const rates = (d: DeckRows, i: number): DiffRates => ({ interstate: formatRate(d.interstate[i]), intrastate: formatRate(d.intrastate[i]), indeterminate: formatRate(d.indeterminate[i]) });
const keyOf = (d: DeckRows, i: number) => `${d.prefixes[i]}|${d.effective[i]}`;

export function diffDecks(from: DeckRows, to: DeckRows, limit: number): DeckDiff {
  const index = new Map<string, number>();
  for (let i = 0; i < from.count; i++) index.set(keyOf(from, i), i);
  const fromPrefixes = new Set(from.prefixes);
  const toPrefixes = new Set(to.prefixes);
  const seen = new Uint8Array(from.count);
  const added: number[] = [];
  const changed: Array<[number, number]> = [];
  let nAdded = 0;
  let nChanged = 0;
  let unchanged = 0;
  for (let j = 0; j < to.count; j++) {
    const i = index.get(keyOf(to, j));
    if (i === undefined) {
      if (nAdded++ < limit) added.push(j);
      continue;
    }
    seen[i] = 1;
    if (from.interstate[i] === to.interstate[j] && from.intrastate[i] === to.intrastate[j] && from.indeterminate[i] === to.indeterminate[j]) unchanged++;
    else {
      if (nChanged++ < limit) changed.push([i, j]);
    }
  }
  const removed: number[] = [];
  let nRemoved = 0;
  for (let i = 0; i < from.count; i++) if (!seen[i] && nRemoved++ < limit) removed.push(i);
  let prefixAdded = 0;
  for (const p of toPrefixes) if (!fromPrefixes.has(p)) prefixAdded++;
  let prefixRemoved = 0;
  for (const p of fromPrefixes) if (!toPrefixes.has(p)) prefixRemoved++;
  const row = (d: DeckRows, i: number): DiffRow => ({ prefix: d.prefixes[i], effective: formatDate(d.effective[i]) });
  return {
    rows: { from: from.count, to: to.count },
    prefixes: { from: fromPrefixes.size, to: toPrefixes.size },
    counts: { added: nAdded, removed: nRemoved, changed: nChanged, unchanged },
    prefixCounts: { added: prefixAdded, removed: prefixRemoved },
    added: added.slice(0, limit).map((j) => ({ ...row(to, j), after: rates(to, j) })),
    removed: removed.slice(0, limit).map((i) => ({ ...row(from, i), before: rates(from, i) })),
    changed: changed.slice(0, limit).map(([i, j]) => ({ ...row(to, j), before: rates(from, i), after: rates(to, j) })),
    truncated: nAdded > limit || nRemoved > limit || nChanged > limit,
  };
}

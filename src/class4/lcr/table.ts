/**
 * The compiled route table: the prefix trie plus, per prefix id, which carriers quote it and
 * their dated rate rows, all in typed arrays (compressed-sparse-row layout).
 *
 *   prefix id p -> entries entryStart[p] .. entryStart[p+1]-1
 *   entry e     -> carrier entryCarrier[e], rows entryRow[e] .. entryRow[e]+entryRowCount[e]-1
 *   rows of one entry are ordered newest effective date first.
 */
import type { DeckRows } from './deck.js';
import { inSharedMemory, sharedArray } from './shared-memory.js';
import { TrieBuilder, trieBytes, walkPrefixes, type CompiledTrie } from './trie.js';

export interface RouteTable {
  readonly trie: CompiledTrie;
  /** Carrier ids, indexed by entryCarrier. */
  readonly carriers: string[];
  readonly entryStart: Uint32Array;
  readonly entryCarrier: Uint16Array;
  readonly entryRow: Uint32Array;
  readonly entryRowCount: Uint16Array;
  readonly rowInterstate: Int32Array;
  readonly rowIntrastate: Int32Array;
  readonly rowIndeterminate: Int32Array;
  readonly rowEffective: Float64Array;
  /** Rows per carrier, in carriers order. */
  readonly carrierRows: number[];
}

export const RateColumn = { Interstate: 0, Intrastate: 1, Indeterminate: 2 } as const;
export type RateColumn = (typeof RateColumn)[keyof typeof RateColumn];

/**
 * Builds a table from parsed decks (one per carrier, carrier ids unique). A generator that
 * yields between slices of work so an async driver can keep the event loop turning.
 */
export function* buildTableSteps(decks: DeckRows[], slice = 16384): Generator<void, RouteTable> {
  let totalRows = 0;
  for (const d of decks) totalRows += d.count;
  const builder = new TrieBuilder(Math.ceil(totalRows * 1.2) + 16);
  const rowPid = new Int32Array(totalRows);
  const rowCarrier = new Uint16Array(totalRows);
  let r = 0;
  for (let c = 0; c < decks.length; c++) {
    const d = decks[c];
    for (let i = 0; i < d.count; i++, r++) {
      rowPid[r] = builder.insert(d.prefixes[i]);
      rowCarrier[r] = c;
      if ((r & (slice - 1)) === slice - 1) yield;
    }
  }
  const prefixCount = builder.prefixCount;

  // Counting sort of rows by prefix id; stable, so carriers stay in deck order within a prefix.
  const pidStart = new Uint32Array(prefixCount + 1);
  for (let i = 0; i < totalRows; i++) {
    pidStart[rowPid[i] + 1]++;
    if ((i & (slice - 1)) === slice - 1) yield;
  }
  for (let p = 0; p < prefixCount; p++) pidStart[p + 1] += pidStart[p];
  const fill = pidStart.slice(0, prefixCount);
  const order = new Uint32Array(totalRows);
  for (let i = 0; i < totalRows; i++) {
    order[fill[rowPid[i]]++] = i;
    if ((i & (slice - 1)) === slice - 1) yield;
  }

  const srcOffset: number[] = [];
  let acc = 0;
  for (const d of decks) {
    srcOffset.push(acc);
    acc += d.count;
  }
  // The arrays the table keeps are allocated in shared memory (shared-memory.ts); scratch ones are not.
  const rowInterstate = sharedArray(Int32Array, totalRows);
  const rowIntrastate = sharedArray(Int32Array, totalRows);
  const rowIndeterminate = sharedArray(Int32Array, totalRows);
  const rowEffective = sharedArray(Float64Array, totalRows);
  const entryStart = sharedArray(Uint32Array, prefixCount + 1);
  const entryCarrierTmp = new Uint16Array(totalRows);
  const entryRowTmp = new Uint32Array(totalRows);
  const entryRowCountTmp = new Uint16Array(totalRows);
  let e = 0;
  for (let p = 0; p < prefixCount; p++) {
    entryStart[p] = e;
    const end = pidStart[p + 1];
    let k = pidStart[p];
    while (k < end) {
      const c = rowCarrier[order[k]];
      const groupStart = k;
      while (k < end && rowCarrier[order[k]] === c) {
        const src = order[k] - srcOffset[c];
        const d = decks[c];
        rowInterstate[k] = d.interstate[src];
        rowIntrastate[k] = d.intrastate[src];
        rowIndeterminate[k] = d.indeterminate[src];
        rowEffective[k] = d.effective[src];
        k++;
      }
      if (k - groupStart > 1) sortGroupNewestFirst(groupStart, k, rowInterstate, rowIntrastate, rowIndeterminate, rowEffective);
      entryCarrierTmp[e] = c;
      entryRowTmp[e] = groupStart;
      entryRowCountTmp[e] = Math.min(k - groupStart, 0xffff);
      e++;
    }
    if ((p & (slice - 1)) === slice - 1) yield;
  }
  entryStart[prefixCount] = e;
  const trie = yield* builder.compile(slice);
  return {
    trie,
    carriers: decks.map((d) => d.carrier),
    entryStart,
    entryCarrier: inSharedMemory(entryCarrierTmp.subarray(0, e)),
    entryRow: inSharedMemory(entryRowTmp.subarray(0, e)),
    entryRowCount: inSharedMemory(entryRowCountTmp.subarray(0, e)),
    rowInterstate,
    rowIntrastate,
    rowIndeterminate,
    rowEffective,
    carrierRows: decks.map((d) => d.count),
  };
}

function sortGroupNewestFirst(a: number, b: number, i1: Int32Array, i2: Int32Array, i3: Int32Array, eff: Float64Array): void {
  for (let i = a + 1; i < b; i++) {
    const e = eff[i];
    const x1 = i1[i];
    const x2 = i2[i];
    const x3 = i3[i];
    let j = i - 1;
    while (j >= a && eff[j] < e) {
      eff[j + 1] = eff[j];
      i1[j + 1] = i1[j];
      i2[j + 1] = i2[j];
      i3[j + 1] = i3[j];
      j--;
    }
    eff[j + 1] = e;
    i1[j + 1] = x1;
    i2[j + 1] = x2;
    i3[j + 1] = x3;
  }
}

/** Runs the build to completion synchronously. */
export function buildTable(decks: DeckRows[]): RouteTable {
  const it = buildTableSteps(decks);
  for (;;) {
    const s = it.next();
    if (s.done) return s.value;
  }
}

/** Runs the build, yielding to the event loop between slices so lookups keep being served. */
export async function buildTableAsync(decks: DeckRows[]): Promise<RouteTable> {
  const it = buildTableSteps(decks);
  for (;;) {
    const s = it.next();
    if (s.done) return s.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Row index in effect at `at` for an entry, or -1 when every row is dated later. */
export function rowInEffect(t: RouteTable, entry: number, at: number): number {
  const start = t.entryRow[entry];
  const end = start + t.entryRowCount[entry];
  for (let r = start; r < end; r++) if (t.rowEffective[r] <= at) return r;
  return -1;
}

export function rateOf(t: RouteTable, row: number, column: RateColumn): number {
  return column === RateColumn.Intrastate ? t.rowIntrastate[row] : column === RateColumn.Indeterminate ? t.rowIndeterminate[row] : t.rowInterstate[row];
}

export interface TableSize {
  prefixes: number;
  nodes: number;
  rows: number;
  trieBytes: number;
  totalBytes: number;
}

export function tableSize(t: RouteTable): TableSize {
  const tb = trieBytes(t.trie);
  const rest =
    t.entryStart.byteLength +
    t.entryCarrier.byteLength +
    t.entryRow.byteLength +
    t.entryRowCount.byteLength +
    t.rowInterstate.byteLength +
    t.rowIntrastate.byteLength +
    t.rowIndeterminate.byteLength +
    t.rowEffective.byteLength;
  return { prefixes: t.trie.prefixCount, nodes: t.trie.nodeCount, rows: t.rowEffective.length, trieBytes: tb, totalBytes: tb + rest };
}

/** The table's rows regrouped per carrier (carriers order), e.g. to rebuild after one carrier's deck changes. */
export function extractDecks(t: RouteTable): DeckRows[] {
  const out: DeckRows[] = t.carriers.map((carrier, c) => ({
    carrier,
    count: 0,
    prefixes: [],
    interstate: new Int32Array(t.carrierRows[c]),
    intrastate: new Int32Array(t.carrierRows[c]),
    indeterminate: new Int32Array(t.carrierRows[c]),
    effective: new Float64Array(t.carrierRows[c]),
  }));
  for (const [prefix, pid] of walkPrefixes(t.trie)) {
    for (let e = t.entryStart[pid]; e < t.entryStart[pid + 1]; e++) {
      const d = out[t.entryCarrier[e]];
      const start = t.entryRow[e];
      for (let r = start; r < start + t.entryRowCount[e]; r++) {
        d.prefixes.push(prefix);
        d.interstate[d.count] = t.rowInterstate[r];
        d.intrastate[d.count] = t.rowIntrastate[r];
        d.indeterminate[d.count] = t.rowIndeterminate[r];
        d.effective[d.count] = t.rowEffective[r];
        d.count++;
      }
    }
  }
  return out;
}

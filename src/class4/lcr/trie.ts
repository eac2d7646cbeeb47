/**
 * A decimal-digit trie compiled into flat Int32Arrays (no per-node objects), sized for
 * millions of prefixes (five carriers' NPA-NXX-X decks) at a few bytes per prefix.
 *
 *   slots[i] >= -1   a leaf: the id of the longest stored prefix on its path (-1: none)
 *   slots[i] <= -2   an inner node: its record is r = -2 - slots[i]
 *   inner[3r]        first child (slot index); children of one node are contiguous
 *   inner[3r + 1]    child bitmap (bit d set when digit d has a child)
 *   inner[3r + 2]    longest stored prefix id on its path (its own, else its parent's), or -1
 * Child for digit d = first + popcount(bitmap & ((1 << d) - 1)). Most nodes are leaves (4 bytes
 * each); only inner nodes (about one in ten in NANP decks) carry a 12-byte record, and no index
 * field is narrower than 31 bits.
 *
 * A node owns a prefix exactly when its value differs from its parent's (ids are unique per node).
 *
 * A direct table indexed by the first `directDigits` digits skips the top levels; its size
 * (10^k with 4 * 10^k <= prefix count) keeps it under 1 byte per prefix. Entry >= 0: the inner
 * record at depth k; entry < 0: the walk ends at or above depth k with longest id -entry-2.
 */

import { sharedArray } from './shared-memory.js';

/** Slot indices and prefix ids are 31-bit. */
export const MAX_NODES = 0x7ffffff0;
export const MAX_PREFIX_IDS = MAX_NODES - 1;

const POP = new Uint8Array(1024);
for (let i = 1; i < 1024; i++) POP[i] = (i & 1) + POP[i >> 1];

export interface CompiledTrie {
  readonly slots: Int32Array;
  readonly inner: Int32Array;
  readonly nodeCount: number;
  readonly innerCount: number;
  readonly prefixCount: number;
  readonly directDigits: number;
  readonly direct: Int32Array;
}

/**
 * Mutable build-time trie. A node's ten child slots are a block in a pool, allocated only when
 * the node gets its first child (most nodes never do), so the builder holds about 8 bytes per
 * node plus 40 per inner node. Index 0 means "none" everywhere (the root is never a child, block
 * 0 is never handed out) and values hold id + 1, so fresh zeroed memory needs no fill.
 */
export class TrieBuilder {
  private block: Int32Array;
  private values: Int32Array;
  private pool: Int32Array;
  private count = 1;
  private blocks = 1;
  prefixCount = 0;

  constructor(expectedNodes = 1024) {
    const cap = Math.max(16, expectedNodes);
    this.block = new Int32Array(cap);
    this.values = new Int32Array(cap);
    this.pool = new Int32Array(Math.max(16, Math.ceil(cap / 6)) * 10);
  }

  get nodeCount(): number {
    return this.count;
  }

  get innerCount(): number {
    return this.blocks - 1;
  }

  /** Insert a digit string; returns its prefix id (existing or newly assigned). Digits are assumed validated. */
  insert(prefix: string): number {
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      let blk = this.block[node];
      if (blk === 0) {
        if ((this.blocks + 1) * 10 > this.pool.length) this.pool = grown(this.pool, this.pool.length * 1.5);
        blk = this.blocks++;
        this.block[node] = blk;
      }
      const slot = blk * 10 + (prefix.charCodeAt(i) - 48);
      let next = this.pool[slot];
      if (next === 0) {
        if (this.count === this.values.length) {
          if (this.count >= MAX_NODES) throw new RangeError(`the trie would exceed ${MAX_NODES} nodes`);
          const cap = Math.min(MAX_NODES, Math.ceil(this.count * 1.5));
          this.block = grown(this.block, cap);
          this.values = grown(this.values, cap);
        }
        next = this.count++;
        this.pool[slot] = next;
      }
      node = next;
    }
    const v = this.values[node];
    if (v !== 0) return v - 1;
    if (this.prefixCount >= MAX_PREFIX_IDS) throw new RangeError(`more than ${MAX_PREFIX_IDS} distinct prefixes`);
    this.values[node] = ++this.prefixCount;
    return this.prefixCount - 1;
  }

  /**
   * Compaction. Each node's children form one contiguous block of slots. Nodes down to depth
   * `bfsDepth` are laid out breadth-first (a small, hot region shared by all lookups); below
   * that, each subtree is laid out depth-first in one contiguous run, so a lookup's deep steps
   * stay within one or two memory pages. Yields every `slice` nodes so a caller can interleave
   * other work.
   */
  *compile(slice = 65536, bfsDepth = 5, maxDirectDigits = 6): Generator<void, CompiledTrie> {
    const n = this.count;
    const pool = this.pool;
    const block = this.block;
    const own = this.values;
    const slots = sharedArray(Int32Array, n);
    const inner = sharedArray(Int32Array, this.innerCount * 3);
    // order[pos]: builder node placed at slot pos (BFS part); parentValue[pos]: value inherited.
    const order = new Int32Array(n);
    const parentValue = new Int32Array(n);
    const stackNode = new Int32Array(n);
    const stackPos = new Int32Array(n);
    parentValue[0] = -1;
    let tail = 1;
    let rec = 0;
    let done = 0;
    const place = (b: number, pos: number, inherited: number, queue: boolean): number => {
      const value = own[b] !== 0 ? own[b] - 1 : inherited;
      const blk = block[b];
      if (blk === 0) {
        slots[pos] = value;
        return value;
      }
      const base = blk * 10;
      let bitmap = 0;
      const first = tail;
      for (let d = 0; d < 10; d++) {
        const c = pool[base + d];
        if (c === 0) continue;
        bitmap |= 1 << d;
        if (queue) {
          order[tail] = c;
          parentValue[tail] = value;
        }
        tail++;
      }
      slots[pos] = -2 - rec;
      inner[rec * 3] = first;
      inner[rec * 3 + 1] = bitmap;
      inner[rec * 3 + 2] = value;
      rec++;
      return value;
    };
    let levelEnd = 1;
    let depth = 0;
    let queueEnd = 1;
    for (let p = 0; p < queueEnd; p++) {
      if (p === levelEnd) {
        depth++;
        levelEnd = queueEnd;
      }
      if (depth < bfsDepth) {
        place(order[p], p, parentValue[p], true);
        queueEnd = tail;
        if ((++done & (slice - 1)) === 0) yield;
        continue;
      }
      let sp = 0;
      stackNode[sp] = order[p];
      stackPos[sp++] = p;
      while (sp > 0) {
        sp--;
        const b = stackNode[sp];
        const pos = stackPos[sp];
        const first = tail;
        const value = place(b, pos, parentValue[pos], false);
        const blk = block[b];
        if (blk !== 0) {
          for (let d = 9, k = tail - first - 1; d >= 0; d--) {
            const c = pool[blk * 10 + d];
            if (c === 0) continue;
            stackNode[sp] = c;
            parentValue[first + k] = value;
            stackPos[sp++] = first + k--;
          }
        }
        if ((++done & (slice - 1)) === 0) yield;
      }
    }
    return withDirect(slots, inner, this.prefixCount, maxDirectDigits);
  }
}

function grown(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(Math.ceil(cap));
  b.set(a);
  return b;
}

/** Wraps compiled slots and records (e.g. from a snapshot) and derives the direct table. */
export function withDirect(slots: Int32Array, inner: Int32Array, prefixCount: number, maxDirectDigits = 6): CompiledTrie {
  let k = 0;
  while (k < maxDirectDigits && 4 * 10 ** (k + 1) <= prefixCount) k++;
  const size = 10 ** k;
  const direct = sharedArray(Int32Array, size);
  const t: CompiledTrie = { slots, inner, nodeCount: slots.length, innerCount: inner.length / 3, prefixCount, directDigits: k, direct };
  if (slots.length) fillDirect(t, 0, 0, 0, k);
  return t;
}

/** Fills direct[head * 10^(k-depth) ..) below slot `node` at `depth`, one fill per ended walk. */
function fillDirect(t: CompiledTrie, node: number, depth: number, head: number, k: number): void {
  const w = t.slots[node];
  const span = 10 ** (k - depth);
  if (w >= -1) {
    t.direct.fill(-w - 2, head * span, (head + 1) * span);
    return;
  }
  const r = (-2 - w) * 3;
  if (depth === k) {
    t.direct[head] = -2 - w;
    return;
  }
  const bitmap = t.inner[r + 1];
  const first = t.inner[r];
  const sub = span / 10;
  for (let d = 0; d < 10; d++) {
    const h = head * 10 + d;
    if (bitmap & (1 << d)) fillDirect(t, first + POP[bitmap & ((1 << d) - 1)], depth + 1, h, k);
    else t.direct.fill(-t.inner[r + 2] - 2, h * sub, (h + 1) * sub);
  }
}

/** Prefix id of the longest prefix of `num` (ASCII digits), or -1. The hot path. */
export function longestId(t: CompiledTrie, num: string): number {
  const len = num.length;
  const k = t.directDigits;
  if (len < k) return walkFrom(t, num);
  let head = 0;
  for (let i = 0; i < k; i++) {
    const d = num.charCodeAt(i) - 48;
    if (d >>> 0 > 9) return walkFrom(t, num);
    head = head * 10 + d;
  }
  const entry = t.direct[head];
  if (entry < 0) return -entry - 2;
  const slots = t.slots;
  const inner = t.inner;
  let r = entry * 3;
  for (let i = k; i < len; i++) {
    const d = num.charCodeAt(i) - 48;
    const bitmap = inner[r + 1];
    if (d >>> 0 > 9 || !(bitmap & (1 << d))) break;
    const w = slots[inner[r] + POP[bitmap & ((1 << d) - 1)]];
    if (w >= -1) return w;
    r = (-2 - w) * 3;
  }
  return inner[r + 2];
}

function walkFrom(t: CompiledTrie, num: string): number {
  if (t.nodeCount === 0) return -1;
  let w = t.slots[0];
  for (let i = 0; ; i++) {
    if (w >= -1) return w;
    const r = (-2 - w) * 3;
    const d = i < num.length ? num.charCodeAt(i) - 48 : -1;
    const bitmap = t.inner[r + 1];
    if (d >>> 0 > 9 || !(bitmap & (1 << d))) return t.inner[r + 2];
    w = t.slots[t.inner[r] + POP[bitmap & ((1 << d) - 1)]];
  }
}

/** The value held at a slot (a leaf's own word, an inner node's record). */
function valueAt(t: CompiledTrie, node: number): number {
  const w = t.slots[node];
  return w >= -1 ? w : t.inner[(-2 - w) * 3 + 2];
}

/** Every prefix of `num` present in the trie, shortest first, as [depth, prefixId] pairs. */
export function matchPath(t: CompiledTrie, num: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (t.nodeCount === 0) return out;
  let node = 0;
  let prev = valueAt(t, 0);
  if (prev >= 0) out.push([0, prev]);
  for (let i = 0; i < num.length; i++) {
    const w = t.slots[node];
    if (w >= -1) break;
    const r = (-2 - w) * 3;
    const d = num.charCodeAt(i) - 48;
    const bitmap = t.inner[r + 1];
    if (d >>> 0 > 9 || !(bitmap & (1 << d))) break;
    node = t.inner[r] + POP[bitmap & ((1 << d) - 1)];
    const v = valueAt(t, node);
    if (v !== prev) out.push([i + 1, v]);
    prev = v;
  }
  return out;
}

/** Depth-first walk yielding every stored prefix with its id, in lexical order. */
export function* walkPrefixes(t: CompiledTrie): Generator<[string, number]> {
  if (t.nodeCount === 0) return;
  const stack: Array<[number, string, number]> = [[0, '', -1]];
  while (stack.length) {
    const [node, prefix, parentValue] = stack.pop()!;
    const w = t.slots[node];
    const v = valueAt(t, node);
    if (v >= 0 && v !== parentValue) yield [prefix, v];
    if (w >= -1) continue;
    const r = (-2 - w) * 3;
    const bitmap = t.inner[r + 1];
    const first = t.inner[r];
    for (let d = 9; d >= 0; d--) {
      if (bitmap & (1 << d)) stack.push([first + POP[bitmap & ((1 << d) - 1)], prefix + String.fromCharCode(48 + d), v]);
    }
  }
}

/**
 * Checks slots and records from an untrusted source (a snapshot file): every index in range,
 * every child after its parent (no cycles), every record used once. Undefined when sound.
 */
export function checkTrie(slots: Int32Array, inner: Int32Array, prefixCount: number): string | undefined {
  const n = slots.length;
  const records = inner.length / 3;
  if (n < 1 || !Number.isInteger(records)) return 'node arrays have impossible lengths';
  const used = new Uint8Array(records);
  const covered = new Uint8Array(n);
  let reached = 1;
  for (let i = 0; i < n; i++) {
    const w = slots[i];
    if (w >= -1) {
      if (w >= prefixCount) return `node ${i} holds an unknown prefix id`;
      continue;
    }
    const r = -2 - w;
    if (r >= records || used[r]) return `node ${i} names a missing or shared record`;
    used[r] = 1;
    const first = inner[r * 3];
    const bitmap = inner[r * 3 + 1];
    const value = inner[r * 3 + 2];
    if (bitmap <= 0 || bitmap > 1023) return `node ${i} has no children or a bad bitmap`;
    if (first <= i || first + POP[bitmap] > n) return `node ${i} points outside the trie`;
    for (let c = first; c < first + POP[bitmap]; c++) {
      if (covered[c]) return `node ${c} has two parents`;
      covered[c] = 1;
    }
    reached += POP[bitmap];
    if (value < -1 || value >= prefixCount) return `node ${i} holds an unknown prefix id`;
  }
  if (reached !== n) return 'some nodes are not reachable';
  return undefined;
}

/** Bytes held by the compiled trie including its direct table. */
export function trieBytes(t: CompiledTrie): number {
  return t.slots.byteLength + t.inner.byteLength + t.direct.byteLength;
}

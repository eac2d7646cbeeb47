/**
 * A decimal-digit trie compiled into two flat Int32Arrays (no per-node objects).
 *
 *   nodes[i]  = (firstChild << 10) | childBitmap   (bit d set when digit d has a child)
 *             = (value + 1) << 10                  for a leaf (bitmap 0), so most walks end
 *                                                  without touching `values`
 *   values[i] = prefix id or -1
 * Child for digit d = firstChild + popcount(bitmap & ((1 << d) - 1)). A walk reads only
 * `nodes` (4 bytes a step) and one `values` entry where it stops.
 * A node's value is the id of the longest stored prefix on its path (its own, else inherited
 * from its parent), so a lookup reads one value where its walk stops. A node owns a prefix
 * exactly when its value differs from its parent's (ids are unique per node).
 *
 * A direct table indexed by the first `directDigits` digits skips the top levels; its size
 * (10^k with 10^k <= prefix count) keeps it under 4 bytes per prefix. Entry >= 0: node index
 * at depth k; entry < 0: the walk ends above depth k with longest id -entry-2.
 */

/** firstChild (and a leaf's value + 1) has 22 bits. */
export const MAX_NODES = (1 << 22) - 1;
export const MAX_PREFIX_IDS = MAX_NODES - 1;
const BITMAP_MASK = 0x3ff;

const POP = new Uint8Array(1024);
for (let i = 1; i < 1024; i++) POP[i] = (i & 1) + POP[i >> 1];

export interface CompiledTrie {
  readonly nodes: Int32Array;
  readonly values: Int32Array;
  readonly nodeCount: number;
  readonly prefixCount: number;
  readonly directDigits: number;
  readonly direct: Int32Array;
}

/**
 * Mutable build-time trie: ten child slots per node in a growable Int32Array. Slot 0 means "no
 * child" (the root is never a child) and values hold id + 1, so fresh zeroed memory needs no fill.
 */
export class TrieBuilder {
  private children: Int32Array;
  private values: Int32Array;
  private count = 1;
  prefixCount = 0;

  constructor(expectedNodes = 1024) {
    const cap = Math.max(16, expectedNodes);
    this.children = new Int32Array(cap * 10);
    this.values = new Int32Array(cap);
  }

  get nodeCount(): number {
    return this.count;
  }

  /** Insert a digit string; returns its prefix id (existing or newly assigned). Digits are assumed validated. */
  insert(prefix: string): number {
    let node = 0;
    for (let i = 0; i < prefix.length; i++) {
      const slot = node * 10 + (prefix.charCodeAt(i) - 48);
      let next = this.children[slot];
      if (next === 0) {
        if (this.count === this.values.length) this.grow();
        if (this.count >= MAX_NODES) throw new RangeError(`the trie would exceed ${MAX_NODES} nodes`);
        next = this.count++;
        this.children[slot] = next;
      }
      node = next;
    }
    const v = this.values[node];
    if (v !== 0) return v - 1;
    if (this.prefixCount >= MAX_PREFIX_IDS) throw new RangeError(`more than ${MAX_PREFIX_IDS} distinct prefixes`);
    this.values[node] = ++this.prefixCount;
    return this.prefixCount - 1;
  }

  private grow(): void {
    const cap = this.values.length * 2;
    const c = new Int32Array(cap * 10);
    c.set(this.children);
    const v = new Int32Array(cap);
    v.set(this.values);
    this.children = c;
    this.values = v;
  }

  /**
   * Compaction. Each node's children form one contiguous block. Nodes down to depth
   * `bfsDepth` are laid out breadth-first (a small, hot region shared by all lookups); below
   * that, each subtree is laid out depth-first in one contiguous run, so a lookup's deep steps
   * stay within one or two memory pages (what dominates under virtualised paging).
   * Yields every `slice` nodes so a caller can interleave other work.
   */
  *compile(slice = 65536, bfsDepth = 5, maxDirectDigits = 4): Generator<void, CompiledTrie> {
    const n = this.count;
    const ch = this.children;
    const nodes = new Int32Array(n);
    const values = new Int32Array(n);
    const order = new Int32Array(n);
    const inherited = new Int32Array(n);
    const stackNode = new Int32Array(n);
    const stackPos = new Int32Array(n);
    inherited[0] = -1;
    let tail = 1;
    let done = 0;
    let levelEnd = 1;
    let depth = 0;
    const place = (b: number, pos: number, parentValue: number, queue: boolean): number => {
      const value = this.values[b] !== 0 ? this.values[b] - 1 : parentValue;
      const base = b * 10;
      let bitmap = 0;
      const first = tail;
      for (let d = 0; d < 10; d++) {
        const c = ch[base + d];
        if (c === 0) continue;
        bitmap |= 1 << d;
        if (queue) {
          order[tail] = c;
          inherited[tail] = value;
        }
        tail++;
      }
      nodes[pos] = ((bitmap ? first : value + 1) << 10) | bitmap;
      values[pos] = value;
      return value;
    };
    let queueEnd = 1;
    for (let p = 0; p < queueEnd; p++) {
      if (p === levelEnd) {
        depth++;
        levelEnd = queueEnd;
      }
      if (depth < bfsDepth) {
        place(order[p], p, inherited[p], true);
        queueEnd = tail;
      } else {
        let sp = 0;
        stackNode[sp] = order[p];
        stackPos[sp++] = p;
        const rootValue = inherited[p];
        while (sp > 0) {
          sp--;
          const b = stackNode[sp];
          const pos = stackPos[sp];
          const first = tail;
          const value = place(b, pos, sp === 0 && pos === p ? rootValue : inherited[pos], false);
          for (let d = 9, k = tail - first - 1; d >= 0; d--) {
            const c = ch[b * 10 + d];
            if (c === 0) continue;
            stackNode[sp] = c;
            inherited[first + k] = value;
            stackPos[sp++] = first + k--;
          }
          if ((++done & (slice - 1)) === 0) yield;
        }
        continue;
      }
      if ((++done & (slice - 1)) === 0) yield;
    }
    return fromNodes(nodes, values, this.prefixCount, maxDirectDigits);
  }
}

/** Wraps compiled node words (e.g. from a snapshot) and derives the direct table. */
export function fromNodes(nodes: Int32Array, values: Int32Array, prefixCount: number, maxDirectDigits = 6): CompiledTrie {
  const nodeCount = nodes.length;
  let k = 0;
  while (k < maxDirectDigits && 10 ** (k + 1) <= prefixCount) k++;
  const size = 10 ** k;
  const direct = new Int32Array(size);
  const t: CompiledTrie = { nodes, values, nodeCount, prefixCount, directDigits: k, direct };
  for (let head = 0; head < size; head++) {
    let node = 0;
    let div = size / 10;
    let rem = head;
    for (let i = 0; i < k; i++) {
      const d = Math.floor(rem / div);
      rem -= d * div;
      div /= 10;
      const w = nodes[node];
      if (!(w & (1 << d))) {
        direct[head] = -values[node] - 2;
        node = -1;
        break;
      }
      node = (w >>> 10) + POP[w & ((1 << d) - 1)];
    }
    if (node >= 0) direct[head] = node;
  }
  return t;
}

/** Prefix id of the longest prefix of `num` (ASCII digits), or -1. The hot path. */
export function longestId(t: CompiledTrie, num: string): number {
  const len = num.length;
  const k = t.directDigits;
  if (len < k) return walkFrom(t, num, 0, 0);
  let head = 0;
  for (let i = 0; i < k; i++) {
    const d = num.charCodeAt(i) - 48;
    if (d >>> 0 > 9) return walkFrom(t, num, 0, 0);
    head = head * 10 + d;
  }
  let node = t.direct[head];
  if (node < 0) return -node - 2;
  const nodes = t.nodes;
  let w = nodes[node];
  for (let i = k; i < len; i++) {
    const d = num.charCodeAt(i) - 48;
    if (d >>> 0 > 9 || !(w & (1 << d))) break;
    node = (w >>> 10) + POP[w & ((1 << d) - 1)];
    w = nodes[node];
  }
  return (w & BITMAP_MASK) === 0 ? (w >>> 10) - 1 : t.values[node];
}

function walkFrom(t: CompiledTrie, num: string, start: number, from: number): number {
  const nodes = t.nodes;
  let node = start;
  for (let i = from; i < num.length; i++) {
    const d = num.charCodeAt(i) - 48;
    const w = nodes[node];
    if (d >>> 0 > 9 || !(w & (1 << d))) break;
    node = (w >>> 10) + POP[w & ((1 << d) - 1)];
  }
  return t.values[node];
}

/** Every prefix of `num` present in the trie, shortest first, as [depth, prefixId] pairs. */
export function matchPath(t: CompiledTrie, num: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const nodes = t.nodes;
  if (t.nodeCount === 0) return out;
  let node = 0;
  let prev = t.values[0];
  if (prev >= 0) out.push([0, prev]);
  for (let i = 0; i < num.length; i++) {
    const d = num.charCodeAt(i) - 48;
    const w = nodes[node];
    if (d >>> 0 > 9 || !(w & (1 << d))) break;
    node = (w >>> 10) + POP[w & ((1 << d) - 1)];
    const v = t.values[node];
    if (v !== prev) out.push([i + 1, v]);
    prev = v;
  }
  return out;
}

/** Depth-first walk yielding every stored prefix with its id, in lexical order. */
export function* walkPrefixes(t: CompiledTrie): Generator<[string, number]> {
  if (t.nodeCount === 0) return;
  const nodes = t.nodes;
  const stack: Array<[number, string, number]> = [[0, '', -1]];
  while (stack.length) {
    const [node, prefix, parentValue] = stack.pop()!;
    const w = nodes[node];
    const v = t.values[node];
    if (v >= 0 && v !== parentValue) yield [prefix, v];
    const bitmap = w & BITMAP_MASK;
    for (let d = 9; d >= 0; d--) {
      if (bitmap & (1 << d)) stack.push([(w >>> 10) + POP[bitmap & ((1 << d) - 1)], prefix + String.fromCharCode(48 + d), v]);
    }
  }
}

/** Bytes held by the compiled trie including its direct table. */
export function trieBytes(t: CompiledTrie): number {
  return t.nodes.byteLength + t.values.byteLength + t.direct.byteLength;
}

/**
 * A bounded map of entries that live for a fixed time, for state that only has to answer
 * "seen this?" until a timer would have fired (RFC 3261 Timers J and I, RFC 6026 Timer L).
 * One sweep timer for the whole map instead of one per entry; a cap on entries and on bytes,
 * enforced by evicting the oldest first. `get` honours each entry's own expiry exactly.
 *
 * The entries sit in a ring of parallel arrays (key, value, expiry, cost) in insertion order, with
 * a Map from key to ring slot. At 3,000 calls/s a switch holds ~200,000 of them (an accepted
 * INVITE and a finished BYE per call, 32 s each): every object an entry adds is one more for each
 * mark-compact to trace, and an entry object per slot (with its expiry boxed as a heap number,
 * epoch milliseconds being past the small-integer range) made three per entry where the arrays
 * make none. A deleted entry leaves a hole that the front skips; holes are squeezed out when the
 * ring would otherwise grow.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';

export type RemovalCause = 'expired' | 'evicted' | 'deleted';

export interface ExpiringFifoOptions<V> {
  clock: Clock;
  maxEntries: number;
  /** Cap on the summed `cost` of the entries (default: none). */
  maxBytes?: number;
  /** Approximate bytes an entry holds (default 0). */
  cost?: (key: string, value: V) => number;
  /** Called once for each entry that leaves, with the reason. */
  onRemove?: (key: string, value: V, cause: RemovalCause) => void;
}

const INITIAL_SLOTS = 64;

export class ExpiringFifo<V> {
  /** Key → its slot in the ring arrays. */
  private readonly index = new Map<string, number>();
  private keys: Array<string | undefined> = new Array(INITIAL_SLOTS).fill(undefined);
  private values: Array<V | undefined> = new Array(INITIAL_SLOTS).fill(undefined);
  private expiries = new Float64Array(INITIAL_SLOTS);
  private costs = new Float64Array(INITIAL_SLOTS);
  /** Ring positions (not wrapped): the oldest slot, always live unless the ring is empty, and the next free one. */
  private head = 0;
  private tail = 0;
  private bytesHeld = 0;
  private sweep: TimerHandle | undefined;
  private sweepAt = Infinity;

  constructor(private readonly opts: ExpiringFifoOptions<V>) {}

  get size(): number {
    return this.index.size;
  }

  /** Summed cost of the entries held. */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** Adds or replaces an entry (a replaced one moves to the back), then evicts down to the caps. */
  set(key: string, value: V, ttlMs: number): void {
    const now = this.opts.clock.now();
    const old = this.index.get(key);
    if (old !== undefined) this.remove(old, 'deleted');
    const cost = this.opts.cost?.(key, value) ?? 0;
    if (this.tail - this.head === this.keys.length) this.reshape();
    const slot = this.tail & (this.keys.length - 1);
    this.tail++;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.expiries[slot] = now + ttlMs;
    this.costs[slot] = cost;
    this.index.set(key, slot);
    this.bytesHeld += cost;
    const maxBytes = this.opts.maxBytes ?? Infinity;
    while (this.index.size > this.opts.maxEntries || (this.bytesHeld > maxBytes && this.index.size > 1)) {
      this.remove(this.head & (this.keys.length - 1), 'evicted');
    }
    this.arm();
  }

  get(key: string): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    if (this.expiries[slot] <= this.opts.clock.now()) {
      this.remove(slot, 'expired');
      return undefined;
    }
    return this.values[slot];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.remove(slot, 'deleted');
    return true;
  }

  clear(): void {
    this.index.clear();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.head = this.tail = 0;
    this.bytesHeld = 0;
    this.opts.clock.clearTimeout(this.sweep);
    this.sweep = undefined;
    this.sweepAt = Infinity;
  }

  private remove(slot: number, cause: RemovalCause): void {
    const key = this.keys[slot] as string;
    const value = this.values[slot] as V;
    this.index.delete(key);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.bytesHeld -= this.costs[slot];
    this.skipHoles();
    this.opts.onRemove?.(key, value, cause);
  }

  /** Moves the front past deleted slots, so it is the oldest live entry (or the ring is empty). */
  private skipHoles(): void {
    const mask = this.keys.length - 1;
    while (this.head < this.tail && this.keys[this.head & mask] === undefined) this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** The ring is full: squeeze out the holes into arrays of the same size, or of twice it when over half is live. */
  private reshape(): void {
    const n = this.keys.length;
    const live = this.index.size;
    const size = live * 2 > n ? n * 2 : n;
    const keys: Array<string | undefined> = new Array(size).fill(undefined);
    const values: Array<V | undefined> = new Array(size).fill(undefined);
    const expiries = new Float64Array(size);
    const costs = new Float64Array(size);
    let j = 0;
    for (let p = this.head; p < this.tail; p++) {
      const i = p & (n - 1);
      const key = this.keys[i];
      if (key === undefined) continue;
      keys[j] = key;
      values[j] = this.values[i];
      expiries[j] = this.expiries[i];
      costs[j] = this.costs[i];
      this.index.set(key, j);
      j++;
    }
    this.keys = keys;
    this.values = values;
    this.expiries = expiries;
    this.costs = costs;
    this.head = 0;
    this.tail = j;
  }

  /** Drops expired entries from the front; stops at the first live one (later ones are caught by `get` or a later sweep). */
  private expireFront(): void {
    const now = this.opts.clock.now();
    while (this.head < this.tail) {
      const slot = this.head & (this.keys.length - 1);
      if (this.expiries[slot] > now) return;
      this.remove(slot, 'expired');
    }
  }

  /** One timer, due when the oldest entry expires. */
  private arm(): void {
    if (this.head === this.tail) return;
    const due = this.expiries[this.head & (this.keys.length - 1)];
    if (this.sweep && this.sweepAt <= due) return;
    this.opts.clock.clearTimeout(this.sweep);
    this.sweepAt = due;
    this.sweep = this.opts.clock.setTimeout(() => {
      this.sweep = undefined;
      this.sweepAt = Infinity;
      this.expireFront();
      this.arm();
    }, Math.max(0, due - this.opts.clock.now()));
  }
}

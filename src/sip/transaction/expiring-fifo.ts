/**
 * A bounded map of entries that live for a fixed time, for state that only has to answer
 * "seen this?" until a timer would have fired (RFC 3261 Timers J and I, RFC 6026 Timer L).
 * One sweep timer for the whole map instead of one per entry; a cap on entries and on bytes,
 * enforced by evicting the oldest first. `get` honours each entry's own expiry exactly. The
 * entries sit in a FifoMap: reading the oldest entry of a plain Map after deleting from its front
 * costs time in proportion to what was deleted (util/fifo-map.ts), and this reads it on every `set`.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { FifoMap } from '../../util/fifo-map.js';

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

interface Slot<V> {
  value: V;
  expires: number;
  cost: number;
}

export class ExpiringFifo<V> {
  private readonly slots = new FifoMap<string, Slot<V>>();
  private bytesHeld = 0;
  private sweep: TimerHandle | undefined;
  private sweepAt = Infinity;

  constructor(private readonly opts: ExpiringFifoOptions<V>) {}

  get size(): number {
    return this.slots.size;
  }

  /** Summed cost of the entries held. */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** Adds or replaces an entry (a replaced one moves to the back), then evicts down to the caps. */
  set(key: string, value: V, ttlMs: number): void {
    const now = this.opts.clock.now();
    const old = this.slots.get(key);
    if (old) this.remove(key, old, 'deleted');
    const cost = this.opts.cost?.(key, value) ?? 0;
    this.slots.set(key, { value, expires: now + ttlMs, cost });
    this.bytesHeld += cost;
    const maxBytes = this.opts.maxBytes ?? Infinity;
    while (this.slots.size > this.opts.maxEntries || (this.bytesHeld > maxBytes && this.slots.size > 1)) {
      const k = this.slots.oldestKey() as string;
      this.remove(k, this.slots.get(k) as Slot<V>, 'evicted');
    }
    this.arm();
  }

  get(key: string): V | undefined {
    const s = this.slots.get(key);
    if (!s) return undefined;
    if (s.expires <= this.opts.clock.now()) {
      this.remove(key, s, 'expired');
      return undefined;
    }
    return s.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  delete(key: string): boolean {
    const s = this.slots.get(key);
    if (!s) return false;
    this.remove(key, s, 'deleted');
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.bytesHeld = 0;
    this.opts.clock.clearTimeout(this.sweep);
    this.sweep = undefined;
    this.sweepAt = Infinity;
  }

  private remove(key: string, s: Slot<V>, cause: RemovalCause): void {
    this.slots.delete(key);
    this.bytesHeld -= s.cost;
    this.opts.onRemove?.(key, s.value, cause);
  }

  /** Drops expired entries from the front; stops at the first live one (later ones are caught by `get` or a later sweep). */
  private expireFront(): void {
    const now = this.opts.clock.now();
    for (let s = this.slots.oldestValue(); s !== undefined && s.expires <= now; s = this.slots.oldestValue()) {
      this.remove(this.slots.oldestKey() as string, s, 'expired');
    }
  }

  /** One timer, due when the oldest entry expires. */
  private arm(): void {
    const head = this.slots.oldestValue();
    if (!head) return;
    if (this.sweep && this.sweepAt <= head.expires) return;
    this.opts.clock.clearTimeout(this.sweep);
    this.sweepAt = head.expires;
    this.sweep = this.opts.clock.setTimeout(() => {
      this.sweep = undefined;
      this.sweepAt = Infinity;
      this.expireFront();
      this.arm();
    }, Math.max(0, head.expires - this.opts.clock.now()));
  }
}

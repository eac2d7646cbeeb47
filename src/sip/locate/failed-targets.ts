/**
 * Targets that failed lately (RFC 3263 §4.3: a transport error, 503 or timeout), held for a while
 * so the next requests try the others first. Bounded: the oldest marks go first.
 */
import type { Clock } from '../../util/clock.js';
import type { ServerTarget } from './targets.js';

export const targetKey = (t: ServerTarget): string => `${t.transport} ${t.address} ${t.port}`;

export class FailedTargets {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly holdMs: number,
    private readonly maxEntries = 4096,
  ) {}

  mark(t: ServerTarget): void {
    if (this.holdMs <= 0) return;
    const key = targetKey(t);
    this.until.delete(key);
    while (this.until.size >= this.maxEntries) {
      const oldest = this.until.keys().next().value;
      if (oldest === undefined) break;
      this.until.delete(oldest);
    }
    this.until.set(key, this.clock.now() + this.holdMs);
  }

  isFailed(t: ServerTarget): boolean {
    const key = targetKey(t);
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** Targets not marked first, in their order, then the marked ones (still tried when nothing else is left). */
  reorder(targets: readonly ServerTarget[]): ServerTarget[] {
    const failed = targets.filter((t) => this.isFailed(t));
    return failed.length === 0 ? [...targets] : [...targets.filter((t) => !failed.includes(t)), ...failed];
  }

  get size(): number {
    return this.until.size;
  }
}

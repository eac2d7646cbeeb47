/** RFC 2782 target selection: lowest priority first, and within a priority a weighted random order. */
import type { SrvRecord } from './dns-answers.js';

/**
 * SRV records in the order to try them. Within one priority, RFC 2782 ("Usage rules"): weight-0
 * records first in the running list, then repeatedly a random number in 0..sum of the weights
 * left picks the first record whose running sum reaches it. `random` returns [0, 1).
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) {
    const group = byPriority.get(r.priority);
    if (group) group.push(r);
    else byPriority.set(r.priority, [r]);
  }
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority)!;
    const left = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight > 0)];
    while (left.length > 0) {
      const sum = left.reduce((s, r) => s + r.weight, 0);
      const x = Math.min(sum, Math.floor(clamp01(random()) * (sum + 1)));
      let running = 0;
      let i = 0;
      for (; i < left.length - 1; i++) {
        running += left[i].weight;
        if (running >= x) break;
      }
      out.push(left.splice(i, 1)[0]);
    }
  }
  return out;
}

/** A random source that misbehaves (NaN, 1, negative) still yields a value in [0, 1). */
function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(Math.max(v, 0), 1 - Number.EPSILON) : 0;
}

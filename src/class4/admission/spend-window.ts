/**
 * A customer's rated spend over the last hour and the last day, kept as running sums: adding an
 * amount and reading both totals cost O(1) amortised, not a pass over every rated call of the day
 * (at a few hundred calls/s a day's record is tens of thousands of entries, and it was summed on
 * every new call). Entries are held in time order (a late one is inserted in place), the two
 * window starts advance as time does, and the expired front is dropped in batches. Times are ms on
 * the guard's clock, which does not go back.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Expired entries dropped at once, when they are also at least half of what is held. */
const COMPACT_AT = 1024;

export class SpendWindow {
  private readonly at: number[] = [];
  private readonly amount: number[] = [];
  /** First entry within the day / within the hour (indexes into the arrays). */
  private dayHead = 0;
  private hourHead = 0;
  private daySum = 0;
  private hourSum = 0;
  /** The `now` the windows were last advanced to. */
  private now = -Infinity;

  /** A rated call that ended at `at`, seen at `now` (the expired front is let go as time passes). */
  add(at: number, amount: number, now: number): void {
    if (now > this.now) this.advance(now);
    if (!(at >= this.now - DAY)) return; // already out of the day window
    let i = this.at.length;
    if (i > this.dayHead && this.at[i - 1] > at) {
      // Out of order (seeded CDRs, a clock step): binary search within the held window.
      let lo = this.dayHead;
      let hi = i;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.at[mid] <= at) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
      this.at.splice(i, 0, at);
      this.amount.splice(i, 0, amount);
    } else {
      this.at.push(at);
      this.amount.push(amount);
    }
    this.daySum += amount;
    if (at >= this.now - HOUR) this.hourSum += amount;
    // Older than the hour: it lands before every entry of the hour (they are all later).
    else this.hourHead++;
  }

  /** Spend of the last hour and the last day at `now`. */
  totals(now: number): { hour: number; day: number } {
    if (now > this.now) this.advance(now);
    return { hour: this.hourSum, day: this.daySum };
  }

  /** Entries held (for tests: the day's record does not grow without bound). */
  get size(): number {
    return this.at.length - this.dayHead;
  }

  private advance(now: number): void {
    this.now = now;
    const n = this.at.length;
    while (this.dayHead < n && this.at[this.dayHead] < now - DAY) this.daySum -= this.amount[this.dayHead++];
    if (this.hourHead < this.dayHead) this.hourHead = this.dayHead;
    while (this.hourHead < n && this.at[this.hourHead] < now - HOUR) this.hourSum -= this.amount[this.hourHead++];
    // Sums kept by subtraction drift by rounding; an empty window is exactly zero.
    if (this.dayHead === n) this.daySum = 0;
    if (this.hourHead === n) this.hourSum = 0;
    if (this.dayHead >= COMPACT_AT && this.dayHead * 2 >= n) {
      this.at.splice(0, this.dayHead);
      this.amount.splice(0, this.dayHead);
      this.hourHead -= this.dayHead;
      this.dayHead = 0;
    }
  }
}

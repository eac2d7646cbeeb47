/**
 * The DIDs trunk customers own: single numbers and inclusive ranges, looked up by binary search
 * over sorted, non-overlapping ranges. Numbers are compared in national form (a NANP number
 * given as 1+10 digits is its 10 digits).
 */
import { SoftswitchError } from '../../errors.js';
import type { DidConfig, TrunkCustomerConfig } from './config.js';

export interface DidEntry {
  customer: string;
  did: DidConfig;
  /** Q.850 cause when every target of the customer is down. */
  unreachableCause: number;
}

interface Range {
  from: number;
  to: number;
  len: number;
  entry: DidEntry;
}

/** National form of a number: NANP 1+10 digits → 10 digits; '+' dropped. */
export function nationalNumber(digits: string): string {
  const d = digits.replace(/^\+/, '');
  return d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
}

export class DidTable {
  private ranges: Range[] = [];

  constructor(customers: Array<Pick<TrunkCustomerConfig, 'id' | 'dids' | 'unreachableCause'>>) {
    this.replace(customers);
  }

  /**
   * Puts a new set of DIDs in service in one step (provisioning at run time): an overlap throws
   * and leaves the table as it was.
   */
  replace(customers: Array<Pick<TrunkCustomerConfig, 'id' | 'dids' | 'unreachableCause'>>): void {
    const ranges: Range[] = [];
    for (const c of customers) {
      for (const did of c.dids) {
        const from = nationalNumber(did.number ?? did.range!.from);
        const to = nationalNumber(did.number ?? did.range!.to);
        ranges.push({ from: Number(from), to: Number(to), len: from.length, entry: { customer: c.id, did, unreachableCause: c.unreachableCause } });
      }
    }
    ranges.sort((a, b) => a.len - b.len || a.from - b.from);
    for (let i = 1; i < ranges.length; i++) {
      const p = ranges[i - 1];
      const r = ranges[i];
      if (p.len === r.len && r.from <= p.to) {
        throw new SoftswitchError(
          'SSW_ERR_CONFIG_INVALID',
          `trunkCustomers.${r.entry.customer}.dids: ${r.from}… overlaps a DID of ${p.entry.customer} (${p.from}–${p.to}); each number belongs to one customer`,
        );
      }
    }
    this.ranges = ranges;
  }

  /** Every DID (range) in service with its owner. */
  entries(): DidEntry[] {
    return this.ranges.map((r) => r.entry);
  }

  /** The entries whose numbers overlap from–to (national digits, same length). */
  overlapping(from: string, to: string): DidEntry[] {
    const f = Number(nationalNumber(from));
    const t = Number(nationalNumber(to));
    const len = nationalNumber(from).length;
    return this.ranges.filter((r) => r.len === len && r.from <= t && f <= r.to).map((r) => r.entry);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** The owner of a number, or undefined when it is not ours. */
  lookup(number: string): DidEntry | undefined {
    const n = nationalNumber(number);
    if (!/^\d{1,15}$/.test(n)) return undefined;
    const v = Number(n);
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid];
      if (r.len < n.length || (r.len === n.length && r.to < v)) lo = mid + 1;
      else if (r.len > n.length || r.from > v) hi = mid - 1;
      else return r.entry;
    }
    return undefined;
  }
}

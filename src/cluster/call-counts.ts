/**
 * Active calls per customer, as admission sees them (trunk customers' `maxCalls`). The call
 * manager reports each call's start and end; `active` answers synchronously, on the call path.
 * In-process by default; redis-state.ts adds the other nodes' counts.
 */
export interface CustomerCallCounts {
  started(customer: string): void;
  ended(customer: string): void;
  /** Calls of the customer up now (cluster-wide when shared). */
  active(customer: string): number;
  /**
   * Shared counts only: takes one of the customer's `limit` call slots cluster-wide in one atomic
   * step (so two nodes cannot both take the last one). True: the slot is held and the next
   * `started(customer)` uses it; false: the customer is at its limit.
   */
  reserve?(customer: string, limit: number): Promise<boolean>;
}

/** This node's own counts. */
export class LocalCallCounts implements CustomerCallCounts {
  private readonly counts = new Map<string, number>();

  started(customer: string): void {
    this.counts.set(customer, (this.counts.get(customer) ?? 0) + 1);
  }

  ended(customer: string): void {
    const left = (this.counts.get(customer) ?? 0) - 1;
    if (left > 0) this.counts.set(customer, left);
    else this.counts.delete(customer);
  }

  active(customer: string): number {
    return this.counts.get(customer) ?? 0;
  }

  entries(): IterableIterator<[string, number]> {
    return this.counts.entries();
  }
}

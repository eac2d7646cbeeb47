/**
 * Counting a prom-client Counter's label set on a hot path: the labels are fixed once, each
 * increment adds to a plain number, and the counter takes the sum when it is read (a scrape, or
 * anything else that calls its get()). A labelled inc() hashes and validates its label object on
 * every call; on the SIP fast path that refuses INVITEs under overload, four such increments were
 * a measurable part of each refusal.
 */
import type { Counter, LabelValues } from 'prom-client';

export interface BoundCounter {
  inc(n?: number): void;
}

interface Pending<T extends string> {
  readonly labels: LabelValues<T>;
  n: number;
}

const boundTo = new WeakMap<Counter<string>, Array<Pending<string>>>();

/** Moves what the bound label sets counted into the counter (its collect hook, run before every read). */
function flush(counter: Counter<string>): void {
  for (const p of boundTo.get(counter) ?? []) {
    if (p.n === 0) continue;
    const n = p.n;
    p.n = 0;
    counter.inc(p.labels, n);
  }
}

/** `labels` of `counter`, bound: inc() is an addition; the counter sees the sum when read. */
export function bindCounter<T extends string>(counter: Counter<T>, labels: LabelValues<T>): BoundCounter {
  const c = counter as unknown as Counter<string>;
  let list = boundTo.get(c);
  if (!list) {
    list = [];
    boundTo.set(c, list);
    // Chained with a collect hook the counter may already have.
    const own = (c as unknown as { collect?: () => unknown }).collect;
    (c as unknown as { collect: () => unknown }).collect = function collect(this: Counter<string>) {
      flush(c);
      return own?.call(this);
    };
  }
  const p: Pending<string> = { labels: labels as LabelValues<string>, n: 0 };
  list.push(p);
  return {
    inc(n = 1) {
      p.n += n;
    },
  };
}

/**
 * Bound label sets made on first use, by a key the caller builds from the label values (for a
 * label with a few values known only at run time, such as a status class).
 */
export class BoundCounters<T extends string> {
  private readonly byKey = new Map<string, BoundCounter>();

  constructor(private readonly counter: Counter<T>) {}

  get(key: string, labels: () => LabelValues<T>): BoundCounter {
    let b = this.byKey.get(key);
    if (!b) {
      b = bindCounter(this.counter, labels());
      this.byKey.set(key, b);
    }
    return b;
  }
}

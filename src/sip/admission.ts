/**
 * Admission of new requests before the stack keeps any state for them: an operator hook that
 * accepts, rejects (stateless 403) or drops a source, a per-source token bucket, and a log line
 * that a flood cannot multiply. Pure: time comes from the caller.
 */
import { FifoMap } from '../util/fifo-map.js';

/** What the hook sees: the datagram's source and the request method (RFC 3261 §18.2.1 source, not Via). */
export interface AdmissionSource {
  address: string;
  port: number;
  method: string;
  /** The transport the request came over (default udp). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** A header of the request (e.g. From, To, Event), for policies that look past the source. */
  header?(name: string): string | undefined;
}

/**
 * - accept: handled normally
 * - reject: answered 403 statelessly (RFC 3261 §8.2.6, §16.11), no transaction kept
 * - drop: nothing sent
 * - overload: answered 503 + Retry-After statelessly (the switch is refusing new calls; RFC 3261
 *   §8.2.6, §21.5.4): a refusal that costs a parse and a send, not a transaction
 */
export type AdmissionVerdict = 'accept' | 'reject' | 'drop' | 'overload';

export type AdmissionHook = (source: AdmissionSource) => AdmissionVerdict;

export interface RateLimitOptions {
  /** Sustained new requests per second allowed from one source. */
  ratePerS: number;
  /** Requests a source may send at once before the rate applies. */
  burst: number;
  /** Beyond the rate: stateless 503 with Retry-After (default) or nothing. */
  overLimit?: 'reject' | 'drop';
  /** Retry-After seconds on those 503s (default 5). */
  retryAfterS?: number;
  /** Sources tracked at once; the least recently seen is forgotten first (default 65,536). */
  maxSources?: number;
  /** What a source is: the IP address (default) or address and port. */
  keyBy?: 'address' | 'address-port';
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per source in a Map kept in least-recently-seen order, bounded by
 * `maxSources`. Forgetting a source only ever gives it a full bucket again, so the bound
 * costs leniency, never a wrong refusal.
 */
export class SourceRateLimiter {
  /** Least recently used first (each take moves its source to the back); a FifoMap finds the oldest without walking deleted entries. */
  private readonly buckets = new FifoMap<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  private readonly byPort: boolean;

  constructor(opts: RateLimitOptions) {
    if (!(opts.ratePerS > 0) || !(opts.burst >= 1)) throw new RangeError('rate limit needs ratePerS > 0 and burst >= 1');
    this.perMs = opts.ratePerS / 1000;
    this.burst = opts.burst;
    this.maxSources = Math.max(1, opts.maxSources ?? 65_536);
    this.byPort = opts.keyBy === 'address-port';
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for the source; false when its bucket is empty. */
  take(address: string, port: number, now: number): boolean {
    const key = this.byPort ? `${address}:${port}` : address;
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxSources) this.buckets.shift();
      b = { tokens: this.burst, at: now };
    }
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/**
 * At most one log line per interval for a repeated event: the first occurrence is written at
 * once, later ones are counted and reported with the next line.
 */
export class SampledLog {
  private last = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (fields: Record<string, unknown>) => void,
  ) {}

  note(now: number, fields: () => Record<string, unknown>): void {
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.write({ ...fields(), suppressedBefore: this.suppressed });
    this.suppressed = 0;
    this.last = now;
  }
}

/**
 * DNS queries for server location through node:dns's Resolver (c-ares), against configured
 * servers or the system's, with answers cached by TTL in a bounded cache. The only file here that
 * does I/O. Never throws: a failed query is an answer with a typed failure.
 */
import { lookup, Resolver } from 'node:dns/promises';
import type { Clock } from '../../util/clock.js';
import { questionKey, type DnsAnswer, type DnsFailure, type DnsQuestion, type DnsRecordType } from './dns-answers.js';

export interface DnsClientOptions {
  clock: Clock;
  /**
   * `host` or `host:port` ('127.0.0.1:5353', '[::1]:53'). Empty or absent: the system's
   * resolv.conf for NAPTR/SRV, and getaddrinfo (so /etc/hosts too) for addresses.
   */
  servers?: readonly string[];
  /** Per try (default 2000 ms). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
  /** Answers kept (default 10,000); the least recently used go first. */
  maxEntries?: number;
  /**
   * How long NAPTR and SRV answers are kept: node:dns does not report their TTL (A/AAAA TTLs are
   * honoured, capped by maxTtlS). Default 60 s.
   */
  recordTtlS?: number;
  /** Longest any answer is kept (default 3600 s). */
  maxTtlS?: number;
  /** How long "no such name / no such record" is kept (default 30 s); failures to answer are not kept. */
  negativeTtlS?: number;
  /** Each query's outcome, for metrics. */
  onQuery?(type: DnsRecordType, outcome: 'ok' | DnsFailure | 'cached'): void;
}

interface Entry {
  answer: DnsAnswer;
  expires: number;
}

/** c-ares error codes (node:dns) → why there is no answer. */
const FAILURES: Readonly<Record<string, DnsFailure>> = {
  ENOTFOUND: 'nxdomain',
  EAI_NONAME: 'nxdomain',
  EAI_NODATA: 'nodata',
  EAI_AGAIN: 'timeout',
  EAI_FAIL: 'servfail',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  EREFUSED: 'refused',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'unreachable',
  EBADRESP: 'malformed',
  EFORMERR: 'malformed',
  EBADNAME: 'malformed',
  EBADQUERY: 'malformed',
};

export class DnsClient {
  private readonly resolver: Resolver;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<DnsAnswer>>();
  private readonly maxEntries: number;

  constructor(private readonly opts: DnsClientOptions) {
    this.resolver = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
    if (opts.servers && opts.servers.length > 0) this.resolver.setServers([...opts.servers]);
    this.maxEntries = Math.max(1, opts.maxEntries ?? 10_000);
  }

  /** Entries cached now (expired ones included until they are next asked for or pushed out). */
  get size(): number {
    return this.cache.size;
  }

  query(q: DnsQuestion): Promise<DnsAnswer> {
    const key = questionKey(q);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      if (hit.expires > this.opts.clock.now()) {
        this.cache.set(key, hit);
        this.opts.onQuery?.(q.type, 'cached');
        return Promise.resolve(hit.answer);
      }
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.ask(q).then(({ answer, ttlS }) => {
      this.inFlight.delete(key);
      this.opts.onQuery?.(q.type, 'failure' in answer ? answer.failure : 'ok');
      if (ttlS > 0) this.remember(key, answer, ttlS);
      return answer;
    });
    this.inFlight.set(key, p);
    return p;
  }

  private remember(key: string, answer: DnsAnswer, ttlS: number): void {
    this.cache.delete(key);
    while (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(key, { answer, expires: this.opts.clock.now() + ttlS * 1000 });
  }

  private async ask(q: DnsQuestion): Promise<{ answer: DnsAnswer; ttlS: number }> {
    const maxTtl = this.opts.maxTtlS ?? 3600;
    const recordTtl = Math.min(this.opts.recordTtlS ?? 60, maxTtl);
    try {
      switch (q.type) {
        case 'NAPTR':
          return { answer: { records: await this.resolver.resolveNaptr(q.name) }, ttlS: recordTtl };
        case 'SRV':
          return { answer: { records: await this.resolver.resolveSrv(q.name) }, ttlS: recordTtl };
        case 'A':
        case 'AAAA': {
          if (!this.opts.servers || this.opts.servers.length === 0) {
            // getaddrinfo says nothing of TTLs: kept as long as NAPTR/SRV answers.
            const found = await lookup(q.name, { family: q.type === 'A' ? 4 : 6, all: true });
            if (found.length === 0) return { answer: { failure: 'nodata' }, ttlS: Math.min(this.opts.negativeTtlS ?? 30, maxTtl) };
            return { answer: { records: found.map((r) => r.address) }, ttlS: recordTtl };
          }
          const recs = q.type === 'A' ? await this.resolver.resolve4(q.name, { ttl: true }) : await this.resolver.resolve6(q.name, { ttl: true });
          const ttl = recs.length > 0 ? Math.min(...recs.map((r) => r.ttl)) : 0;
          return { answer: { records: recs.map((r) => r.address) }, ttlS: Math.min(ttl, maxTtl) };
        }
      }
    } catch (err) {
      const failure = FAILURES[(err as NodeJS.ErrnoException)?.code ?? ''] ?? 'unreachable';
      // RFC 2308: a negative answer may be kept; a server that did not answer is asked again next time.
      const ttlS = failure === 'nxdomain' || failure === 'nodata' ? Math.min(this.opts.negativeTtlS ?? 30, maxTtl) : 0;
      return { answer: { failure }, ttlS };
    }
  }

  /** Stops queries in flight (they resolve as failures). */
  close(): void {
    this.resolver.cancel();
  }
}

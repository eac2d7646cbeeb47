/**
 * Server location for requests the switch originates (RFC 3263 §4): drives {@link locateTargets}
 * with a {@link DnsClient}, orders away targets that failed lately, and counts what it does.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../util/clock.js';
import { perRegistry } from '../../util/metrics.js';
import type { SipTransportName } from '../message.js';
import { questionKey, type DnsAnswer, type DnsAnswers } from './dns-answers.js';
import { DnsClient } from './dns-client.js';
import { FailedTargets } from './failed-targets.js';
import { locateTargets, type LocateError, type ServerTarget } from './targets.js';

export const locateMetrics = perRegistry((registry: Registry) => ({
  queries: new Counter({
    name: 'softswitch_sip_dns_queries_total',
    help: 'DNS queries for SIP server location (RFC 3263) by record type and outcome (ok, cached, nxdomain, nodata, servfail, refused, timeout, malformed, unreachable)',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  }),
  failovers: new Counter({
    name: 'softswitch_sip_target_failovers_total',
    help: 'Requests moved to the next RFC 3263 target after a transport error, 503 or no response from one (RFC 3263 §4.3)',
    labelNames: ['reason'],
    registers: [registry],
  }),
  unresolved: new Counter({
    name: 'softswitch_sip_locate_failures_total',
    help: 'Requests that could not be sent because server location found no target (code: no-targets, dns-unavailable, invalid-name, unsupported-transport, bad-uri)',
    labelNames: ['code'],
    registers: [registry],
  }),
}));

export interface ServerLocatorOptions {
  clock: Clock;
  registry: Registry;
  /** DNS servers (`host` or `host:port`); empty: the system's. */
  servers?: readonly string[];
  timeoutMs?: number;
  tries?: number;
  maxCacheEntries?: number;
  recordTtlS?: number;
  negativeTtlS?: number;
  /** How long a target that failed is tried last (default 30 s; 0: never). */
  failedHoldMs?: number;
  /** No response at all from a target this long moves the request to the next one (default: only Timer B/F). */
  noResponseFailoverMs?: number;
  families?: readonly (4 | 6)[];
  maxTargets?: number;
  random?: () => number;
}

export type FailoverReason = 'transport' | '503' | 'timeout' | 'no-response';

/** What the UA core needs of server location (a {@link ServerLocator}, or a test's own). */
export interface TargetLocator {
  locate(uri: string, transports: readonly SipTransportName[]): Promise<LocateResult>;
  markFailed(t: ServerTarget): void;
  failedOver(reason: FailoverReason): void;
  /** No response at all from a target this long moves the request on (undefined: only Timer B/F). */
  readonly noResponseFailoverMs?: number;
}

export type LocateResult = { ok: true; targets: ServerTarget[] } | { ok: false; error: LocateError };

/** More rounds than NAPTR → SRV → A/AAAA ever needs; a bound, not a tuning knob. */
const MAX_ROUNDS = 6;

export class ServerLocator implements TargetLocator {
  readonly failed: FailedTargets;
  readonly noResponseFailoverMs: number | undefined;
  private readonly dns: DnsClient;
  private readonly m: ReturnType<typeof locateMetrics>;

  constructor(private readonly opts: ServerLocatorOptions) {
    this.m = locateMetrics(opts.registry);
    this.dns = new DnsClient({
      clock: opts.clock,
      servers: opts.servers,
      timeoutMs: opts.timeoutMs,
      tries: opts.tries,
      maxEntries: opts.maxCacheEntries,
      recordTtlS: opts.recordTtlS,
      negativeTtlS: opts.negativeTtlS,
      onQuery: (type, outcome) => this.m.queries.inc({ type, outcome }),
    });
    this.failed = new FailedTargets(opts.clock, opts.failedHoldMs ?? 30_000);
    this.noResponseFailoverMs = opts.noResponseFailoverMs;
  }

  /** The targets for `uri` over the transports open, those that failed lately last. */
  async locate(uri: string, transports: readonly SipTransportName[]): Promise<LocateResult> {
    const known = new Map<string, DnsAnswer>();
    const answers = ((q) => known.get(questionKey(q))) as DnsAnswers;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const step = locateTargets(uri, answers, { transports, families: this.opts.families, random: this.opts.random ?? Math.random, maxTargets: this.opts.maxTargets });
      if (step.kind === 'targets') return { ok: true, targets: this.failed.reorder(step.targets) };
      if (step.kind === 'error') return this.unresolved(step.error);
      const got = await Promise.all(step.questions.map((q) => this.dns.query(q)));
      step.questions.forEach((q, i) => known.set(questionKey(q), got[i]));
    }
    return this.unresolved({ code: 'no-targets', detail: `server location for ${uri} did not settle in ${MAX_ROUNDS} rounds` });
  }

  /** RFC 3263 §4.3: a target failed (transport error, 503, no response): tried last for a while. */
  markFailed(t: ServerTarget): void {
    this.failed.mark(t);
  }

  /** A request moved on to its next target. */
  failedOver(reason: FailoverReason): void {
    this.m.failovers.inc({ reason });
  }

  private unresolved(error: LocateError): LocateResult {
    this.m.unresolved.inc({ code: error.code });
    return { ok: false, error };
  }

  close(): void {
    this.dns.close();
  }
}

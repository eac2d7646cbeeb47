/**
 * Toll-fraud limits per trunk customer and per Class 5 tenant: new calls per second, concurrent
 * calls (tenants; trunk customers have `maxCalls` in their intake), destinations they may not call
 * (high-risk international ranges, premium-rate numbers), and spend per hour and per day from the
 * rated CDRs (rate per minute × billable minutes; a tenant's CDRs carry its id as customer). When
 * a limit trips: an error log line (the alarm, once until it clears), a metric, and calls over it
 * refused — 503 with Retry-After for a rate or a concurrency limit, 403 / cause 21 for a
 * destination or a spend limit until the window has room again.
 */
import { z } from 'zod';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { perRegistry } from '../../util/metrics.js';
import { TokenBucket } from '../../util/token-bucket.js';
import type { Cdr } from '../../calls/cdr.js';
import { SpendWindow } from './spend-window.js';

export const customerLimitsSchema = z.object({
  /** New outgoing calls per second (burst of one second's worth); 0: no limit. */
  callsPerSecond: z.number().min(0).default(0),
  /** Spend (in the rate decks' currency) over the last hour / 24 hours before new calls are refused; 0: no limit. */
  spendPerHour: z.number().min(0).default(0),
  spendPerDay: z.number().min(0).default(0),
  /** Allow calls to the high-risk international ranges (`fraud.highRiskPrefixes`). */
  allowHighRisk: z.boolean().default(false),
  /** Allow calls to premium-rate numbers (`fraud.premiumRatePrefixes`); trunk customers may by default. */
  allowPremium: z.boolean().default(true),
});
export type CustomerLimits = z.infer<typeof customerLimitsSchema>;

/** A Class 5 tenant's limits: those of a customer, concurrent calls, and premium rate barred by default. */
export const tenantLimitsSchema = customerLimitsSchema.extend({
  /** Calls of the tenant up at once (both directions); 0: no limit. */
  maxCalls: z.number().int().min(0).default(0),
  allowPremium: z.boolean().default(false),
});
export type TenantLimits = z.infer<typeof tenantLimitsSchema>;

export const fraudConfigSchema = z.object({
  /**
   * E.164 prefixes (country code and beyond, no '+') known for international revenue share fraud;
   * customers without `limits.allowHighRisk` cannot call them. Defaults: satellite and global
   * networks and small-island ranges commonly abused.
   */
  highRiskPrefixes: z.array(z.string().regex(/^\d{1,15}$/)).default(['870', '881', '882', '883', '247', '290', '675', '677', '678', '682', '683', '686', '688', '690', '691', '692', '960', '239', '252', '53']),
  /** E.164 prefixes of premium-rate services (NANP 900 and 976 by default). */
  premiumRatePrefixes: z.array(z.string().regex(/^\d{1,15}$/)).default(['1900', '1976']),
  /** Limits per Class 5 tenant (`class5.tenants[].id`), applied to its subscribers' calls (emergency calls never). */
  tenants: z.array(z.object({ tenant: z.string().min(1), limits: tenantLimitsSchema.default({}) })).default([]),
});
export type FraudConfig = z.infer<typeof fraudConfigSchema>;

export const fraudMetrics = perRegistry((registry: Registry) => ({
  trippedTotal: new Counter({
    name: 'softswitch_fraud_limit_tripped_total',
    help: 'Calls refused by a toll-fraud limit, by customer and limit',
    labelNames: ['customer', 'limit'] as const,
    registers: [registry],
  }),
  spendGauge: new Gauge({
    name: 'softswitch_customer_spend',
    help: 'Rated spend of a trunk customer over the window (rate deck currency)',
    labelNames: ['customer', 'window'] as const,
    registers: [registry],
  }),
}));

export type FraudRefusal = {
  limit: 'calls-per-second' | 'concurrent-calls' | 'high-risk-destination' | 'premium-rate-destination' | 'spend-per-hour' | 'spend-per-day';
  cause: number;
  sipStatus: number;
  retryAfterS?: number;
};

interface CustomerState {
  limits: CustomerLimits & { maxCalls?: number };
  perSecond?: TokenBucket;
  /** Share of the customer's rate the bucket was made for (cluster: 1 / live nodes). */
  share: number;
  /** Rated calls of the last 24 h: end time and amount. */
  spend: SpendWindow;
  blocked?: string;
}

export class FraudGuard {
  private readonly customers = new Map<string, CustomerState>();
  private readonly m: ReturnType<typeof fraudMetrics>;

  constructor(
    limits: Array<{ id: string; limits: CustomerLimits & { maxCalls?: number } }>,
    private readonly cfg: FraudConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Where refusals and spend are reported (the switch's registry; default: one of the guard's own). */
    registry: Registry = new Registry(),
    /** This node's part of each customer's call rate (a cluster splits it between its live nodes); 1 alone. */
    private readonly rateShare: () => number = () => 1,
  ) {
    this.m = fraudMetrics(registry);
    for (const c of limits) {
      const perSecond = c.limits.callsPerSecond > 0 ? new TokenBucket(clock, c.limits.callsPerSecond) : undefined;
      this.customers.set(c.id, { limits: c.limits, perSecond, spend: new SpendWindow(), share: 1 });
    }
  }

  /**
   * A customer's limits set or changed at run time (provisioning), or removed (undefined); its
   * spend on record is kept, its per-second bucket starts full at the new rate.
   */
  setLimits(id: string, limits: (CustomerLimits & { maxCalls?: number }) | undefined): void {
    const st = this.customers.get(id);
    if (!limits) {
      this.customers.delete(id);
      return;
    }
    const perSecond = limits.callsPerSecond > 0 ? new TokenBucket(this.clock, limits.callsPerSecond) : undefined;
    if (st) {
      if (JSON.stringify(st.limits) === JSON.stringify(limits)) return;
      st.limits = limits;
      st.perSecond = perSecond;
      st.share = 1;
      st.blocked = undefined;
    } else this.customers.set(id, { limits, perSecond, spend: new SpendWindow(), share: 1 });
  }

  /** The customer's per-second bucket at this node's current share of the rate. */
  private bucket(st: CustomerState): TokenBucket | undefined {
    if (!st.perSecond) return undefined;
    const share = this.rateShare();
    if (share !== st.share) {
      const rate = st.limits.callsPerSecond * share;
      st.perSecond = new TokenBucket(this.clock, rate, Math.max(1, rate));
      st.share = share;
    }
    return st.perSecond;
  }

  /** Spend already on record (rated CDRs of the last day) at start-up. */
  seed(cdrs: Iterable<Pick<Cdr, 'customer' | 'rate' | 'billableMs' | 'endTime'>>): void {
    for (const c of cdrs) this.record(c);
  }

  /**
   * Before routing an outgoing call of `customer` (a trunk customer or a tenant) to `e164` (digits
   * with country code; undefined for an on-net call, which no destination or spend limit concerns).
   * `active`: the calls it has up now.
   */
  check(customer: string, e164: string | undefined, active = 0): FraudRefusal | undefined {
    const st = this.customers.get(customer);
    if (!st) return undefined;
    const l = st.limits;
    let refusal: FraudRefusal | undefined;
    if (e164 !== undefined && !l.allowHighRisk && this.cfg.highRiskPrefixes.some((p) => e164.startsWith(p))) {
      refusal = { limit: 'high-risk-destination', cause: 21, sipStatus: 403 };
    } else if (e164 !== undefined && !l.allowPremium && this.cfg.premiumRatePrefixes.some((p) => e164.startsWith(p))) {
      refusal = { limit: 'premium-rate-destination', cause: 21, sipStatus: 403 };
    } else if (l.maxCalls && active >= l.maxCalls) {
      // RFC 3398: cause 34 (no circuit/channel available) → 503.
      refusal = { limit: 'concurrent-calls', cause: 34, sipStatus: 503, retryAfterS: 5 };
    } else {
      const spent = e164 === undefined || (l.spendPerHour <= 0 && l.spendPerDay <= 0) ? { hour: 0, day: 0 } : this.spent(st);
      if (l.spendPerHour > 0 && spent.hour >= l.spendPerHour) refusal = { limit: 'spend-per-hour', cause: 21, sipStatus: 403 };
      else if (l.spendPerDay > 0 && spent.day >= l.spendPerDay) refusal = { limit: 'spend-per-day', cause: 21, sipStatus: 403 };
      else if (st.perSecond && !this.bucket(st)!.take()) refusal = { limit: 'calls-per-second', cause: 42, sipStatus: 503, retryAfterS: 1 };
    }
    if (refusal) {
      this.m.trippedTotal.inc({ customer, limit: refusal.limit });
      if (refusal.limit.endsWith('-destination')) {
        this.log.warn({ customer, called: e164, limit: refusal.limit }, 'call to a barred destination class refused (trunkCustomers[].limits / fraud.tenants[].limits allowHighRisk, allowPremium allow it)');
      } else if (st.blocked !== refusal.limit) {
        st.blocked = refusal.limit;
        this.log.error({ customer, limit: refusal.limit, limits: l }, 'FRAUD ALARM: a toll-fraud limit tripped; calls over it are refused until it has room again (raise trunkCustomers[].limits or fraud.tenants[].limits if this traffic is legitimate)');
      }
      return refusal;
    }
    if (st.blocked) {
      this.log.info({ customer, limit: st.blocked }, 'back under the limit; calls admitted again');
      st.blocked = undefined;
    }
    return undefined;
  }

  /** A CDR was written: its rated amount counts against its customer's spend. */
  record(cdr: Pick<Cdr, 'customer' | 'rate' | 'billableMs' | 'endTime'>): void {
    if (!cdr.customer || !cdr.rate || cdr.billableMs <= 0) return;
    const st = this.customers.get(cdr.customer);
    if (!st) return;
    st.spend.add(Date.parse(cdr.endTime), (cdr.rate * cdr.billableMs) / 60_000, this.clock.now());
  }

  spent(st: CustomerState): { hour: number; day: number };
  spent(customer: string): { hour: number; day: number };
  spent(c: CustomerState | string): { hour: number; day: number } {
    const st = typeof c === 'string' ? this.customers.get(c) : c;
    if (!st) return { hour: 0, day: 0 };
    return st.spend.totals(this.clock.now());
  }

  /** Exports spend gauges (called on scrape or periodically). */
  updateMetrics(): void {
    for (const [id, st] of this.customers) {
      const s = this.spent(st);
      this.m.spendGauge.set({ customer: id, window: '1h' }, s.hour);
      this.m.spendGauge.set({ customer: id, window: '24h' }, s.day);
    }
  }
}

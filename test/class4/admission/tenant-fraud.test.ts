/** Per-tenant toll-fraud limits (fraud.tenants[]): concurrency, calls/s, destination classes, spend; alarm once per trip. */
import { describe, expect, it } from 'vitest';
import { FraudGuard, fraudConfigSchema, tenantLimitsSchema } from '../../../src/class4/admission/fraud.js';
import { VirtualClock } from '../../../src/util/clock.js';
import pino from 'pino';
import { silentLogger } from '../../../src/util/log.js';
import { Registry } from 'prom-client';

const registry = new Registry();

const T0 = Date.parse('2026-11-30T12:00:00Z');
function guard(limits: Record<string, unknown>, log = silentLogger) {
  const clock = new VirtualClock(T0);
  const cfg = fraudConfigSchema.parse({ tenants: [{ tenant: 'acme', limits }] });
  const g = new FraudGuard(cfg.tenants.map((t) => ({ id: t.tenant, limits: t.limits })), cfg, clock, log, registry);
  return { g, clock };
}

describe('per-tenant toll-fraud limits', () => {
  it('a tenant may not call premium-rate or high-risk numbers by default; on-net calls are not destination-checked', () => {
    const { g } = guard({});
    expect(tenantLimitsSchema.parse({}).allowPremium).toBe(false);
    expect(g.check('acme', '19005551234')).toMatchObject({ limit: 'premium-rate-destination', cause: 21, sipStatus: 403 });
    expect(g.check('acme', '88212345678')).toMatchObject({ limit: 'high-risk-destination', cause: 21 });
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.check('acme', undefined)).toBeUndefined();
    expect(guard({ allowPremium: true }).g.check('acme', '19765551234')).toBeUndefined();
  });

  it('refuses beyond its concurrent calls with 503 and cause 34', () => {
    const { g } = guard({ maxCalls: 2 });
    expect(g.check('acme', '12125550100', 1)).toBeUndefined();
    expect(g.check('acme', '12125550100', 2)).toMatchObject({ limit: 'concurrent-calls', cause: 34, sipStatus: 503, retryAfterS: 5 });
    expect(g.check('acme', undefined, 2)).toMatchObject({ limit: 'concurrent-calls' });
  });

  it('limits calls per second and spend per day from its rated CDRs (CDR customer = tenant id)', () => {
    const { g, clock } = guard({ callsPerSecond: 2, spendPerDay: 1 });
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'calls-per-second', cause: 42, sipStatus: 503 });
    clock.advance(1000);
    g.record({ customer: 'acme', rate: 0.1, billableMs: 11 * 60_000, endTime: new Date(T0).toISOString() });
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'spend-per-day', sipStatus: 403 });
    // On-net calls cost nothing: the spend limit does not stop them.
    expect(g.check('acme', undefined)).toBeUndefined();
  });

  it('raises the alarm (error log) once per trip, counts every refusal, and logs when it clears', async () => {
    const lines: Array<{ level: number; msg: string; limit?: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const { g } = guard({ maxCalls: 1 }, log);
    const metric = async () => Number(/softswitch_fraud_limit_tripped_total\{customer="acme",limit="concurrent-calls"\} (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
    const before = await metric();
    for (let i = 0; i < 5; i++) g.check('acme', '12125550100', 1);
    expect(await metric()).toBe(before + 5);
    expect(lines.filter((l) => l.level === 50 && /FRAUD ALARM/.test(l.msg))).toHaveLength(1);
    g.check('acme', '12125550100', 0);
    expect(lines.some((l) => l.level === 30 && /back under the limit/.test(l.msg))).toBe(true);
  });
});

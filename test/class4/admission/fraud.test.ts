import { describe, expect, it } from 'vitest';
import { FraudGuard, customerLimitsSchema, fraudConfigSchema } from '../../../src/class4/admission/fraud.js';
import { VirtualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/log.js';
import { e164Of } from '../../../src/class4/intake/trunk-intake.js';

const T0 = Date.parse('2026-11-30T12:00:00Z');
function guard(limits: Record<string, unknown>) {
  const clock = new VirtualClock(T0);
  const g = new FraudGuard([{ id: 'acme', limits: customerLimitsSchema.parse(limits) }], fraudConfigSchema.parse({}), clock, silentLogger);
  return { g, clock };
}
const cdr = (minutes: number, rate: number, at = T0) => ({ customer: 'acme', rate, billableMs: minutes * 60_000, endTime: new Date(at).toISOString() });

describe('toll-fraud limits', () => {
  it('refuses high-risk international ranges unless the customer is allowed them', () => {
    expect(guard({}).g.check('acme', '88212345678')).toMatchObject({ limit: 'high-risk-destination', cause: 21, sipStatus: 403 });
    expect(guard({}).g.check('acme', '12125550100')).toBeUndefined();
    expect(guard({ allowHighRisk: true }).g.check('acme', '88212345678')).toBeUndefined();
    expect(guard({}).g.check('someone-else', '88212345678')).toBeUndefined();
  });

  it('trips on spend per hour from rated CDRs, and admits again once the hour has rolled on', () => {
    const { g, clock } = guard({ spendPerHour: 1 });
    g.record(cdr(30, 0.02)); // 0.60
    expect(g.check('acme', '12125550100')).toBeUndefined();
    g.record(cdr(25, 0.02)); // 1.10 in the hour
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'spend-per-hour', sipStatus: 403 });
    clock.advance(3_600_001);
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.spent('acme')).toEqual({ hour: 0, day: expect.closeTo(1.1, 5) });
  });

  it('trips on spend per day; spend already stored is seeded at start-up', () => {
    const { g, clock } = guard({ spendPerDay: 5 });
    g.seed([cdr(100, 0.03, T0 - 20 * 3_600_000), cdr(100, 0.02, T0 - 2 * 3_600_000)]); // 3 + 2
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'spend-per-day' });
    clock.advance(4 * 3_600_000 + 1); // the 3.00 call leaves the 24 h window
    expect(g.check('acme', '12125550100')).toBeUndefined();
  });

  it('limits new calls per second with a one-second burst', () => {
    const { g, clock } = guard({ callsPerSecond: 5 });
    const results = Array.from({ length: 8 }, () => g.check('acme', '12125550100'));
    expect(results.filter((r) => r === undefined)).toHaveLength(5);
    expect(results[7]).toMatchObject({ limit: 'calls-per-second', sipStatus: 503, retryAfterS: 1 });
    clock.advance(400);
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.check('acme', '12125550100')).toBeUndefined();
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'calls-per-second' });
  });

  it('reads dialled numbers as E.164', () => {
    expect(e164Of('+88212345')).toBe('88212345');
    expect(e164Of('01188212345')).toBe('88212345');
    expect(e164Of('2125550100')).toBe('12125550100');
    expect(e164Of('12125550100')).toBe('12125550100');
  });

  it('limits set at run time apply to the next call; removed, the customer is unlimited; spend on record is kept', () => {
    const { g } = guard({ spendPerHour: 1 });
    g.record(cdr(40, 0.02)); // 0.80
    expect(g.check('newco', '88212345678')).toBeUndefined();
    g.setLimits('newco', customerLimitsSchema.parse({}));
    expect(g.check('newco', '88212345678')).toMatchObject({ limit: 'high-risk-destination' });
    g.setLimits('newco', customerLimitsSchema.parse({ allowHighRisk: true }));
    expect(g.check('newco', '88212345678')).toBeUndefined();
    g.setLimits('newco', undefined);
    expect(g.check('newco', '88212345678')).toBeUndefined();
    // acme's spend survives a change of its limits: 0.80 + 0.40 over a new 1.00 limit.
    g.setLimits('acme', customerLimitsSchema.parse({ spendPerHour: 1, allowHighRisk: true }));
    g.record(cdr(20, 0.02));
    expect(g.check('acme', '12125550100')).toMatchObject({ limit: 'spend-per-hour' });
  });
});

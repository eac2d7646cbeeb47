import { customerLimitsSchema } from '../../../src/class4/admission/fraud.js';
import { describe, expect, it } from 'vitest';
import { TrunkCustomerTable, parseCidr } from '../../../src/class4/trunks/trunk-customers.js';
import { trunkCustomerSchema } from '../../../src/class4/trunks/config.js';

const customer = (c: unknown) => trunkCustomerSchema.parse(c);

describe('trunk customer authentication by source address', () => {
  const table = new TrunkCustomerTable([
    customer({ id: 'wide', sources: ['10.0.0.0/8'], maxCalls: 10 }),
    customer({ id: 'narrow', sources: ['10.1.2.0/24', '192.0.2.7'], routingCustomer: 'rt-narrow', maxCalls: 5 }),
  ]);

  it('picks the most specific prefix and maps to the routing customer', () => {
    expect(table.identify('10.1.2.3')?.id).toBe('narrow');
    expect(table.identify('10.1.2.3')?.routingCustomer).toBe('rt-narrow');
    expect(table.identify('10.9.9.9')?.id).toBe('wide');
    expect(table.identify('::ffff:192.0.2.7')?.id).toBe('narrow');
  });

  it('rejects unknown and non-IPv4 sources', () => {
    expect(table.identify('192.0.2.8')).toBeUndefined();
    expect(table.identify('not-an-ip')).toBeUndefined();
    expect(table.identify('::1')).toBeUndefined();
  });

  it('refuses a bad CIDR in config with the key named', () => {
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(() => new TrunkCustomerTable([customer({ id: 'x', sources: ['10.0.0/8'], maxCalls: 1 })])).toThrow(/trunkCustomers\.x\.sources/);
  });

  it('replace swaps in a new set at once; a bad prefix throws and leaves the table as it was', () => {
    const live = new TrunkCustomerTable([{ id: 'a', sources: ['192.0.2.0/24'], maxCalls: 1, unreachableCause: 34, limits: customerLimitsSchema.parse({}) }]);
    live.replace([
      { id: 'a', sources: ['192.0.2.0/24'], maxCalls: 1, unreachableCause: 34, limits: customerLimitsSchema.parse({}) },
      { id: 'n', sources: ['192.0.2.128/25'], maxCalls: 7, unreachableCause: 34, limits: customerLimitsSchema.parse({}) },
    ]);
    expect(live.identify('192.0.2.200')?.id).toBe('n');
    expect(live.identify('192.0.2.20')?.id).toBe('a');
    expect(live.byId('n')?.maxCalls).toBe(7);
    expect(() => live.replace([{ id: 'x', sources: ['192.0.2.300'], maxCalls: 1, unreachableCause: 34, limits: customerLimitsSchema.parse({}) }])).toThrow(/192\.0\.2\.300/);
    expect(live.identify('192.0.2.200')?.id).toBe('n');
    expect(live.size).toBe(2);
  });
});

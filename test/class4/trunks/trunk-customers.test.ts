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
});

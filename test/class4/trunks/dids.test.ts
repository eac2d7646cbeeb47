import { describe, expect, it } from 'vitest';
import { DidTable } from '../../../src/class4/trunks/dids.js';
import { trunkCustomerSchema } from '../../../src/class4/trunks/config.js';

const customer = (id: string, dids: unknown[]) => trunkCustomerSchema.parse({ id, sources: ['10.0.0.1'], dids });
const t = { targets: [{ host: '10.0.0.9' }] };

describe('DID table', () => {
  const table = new DidTable([
    customer('a', [{ range: { from: '2125550100', to: '2125550199' }, ...t }, { number: '2125550250', ...t }]),
    customer('b', [{ range: { from: '2125550200', to: '2125550249' }, ...t }, { number: '442071234567', ...t }]),
  ]);

  it('finds the owner of range ends, single numbers and numbers of other lengths; nothing else', () => {
    expect(table.lookup('2125550100')?.customer).toBe('a');
    expect(table.lookup('2125550199')?.customer).toBe('a');
    expect(table.lookup('2125550200')?.customer).toBe('b');
    expect(table.lookup('2125550250')?.customer).toBe('a');
    expect(table.lookup('442071234567')?.customer).toBe('b');
    for (const n of ['2125550099', '2125550251', '212555010', '', 'abc', '4420712345678']) expect(table.lookup(n)).toBeUndefined();
  });

  it('reads 1+10 digits and +E.164 as the national number', () => {
    expect(table.lookup('12125550150')?.customer).toBe('a');
    expect(table.lookup('+12125550150')?.customer).toBe('a');
  });

  it('refuses a number owned twice, naming both customers', () => {
    expect(() => new DidTable([customer('a', [{ range: { from: '2125550100', to: '2125550199' }, ...t }]), customer('b', [{ number: '2125550150', ...t }])])).toThrow(/b.*overlaps a DID of a|a.*overlaps a DID of b/);
  });

  it('replace swaps in a new set at once; an overlapping set throws and leaves the table as it was', () => {
    const live = new DidTable([customer('a', [{ number: '2125550100', ...t }])]);
    live.replace([customer('a', [{ number: '2125550100', ...t }]), customer('n', [{ range: { from: '3125550100', to: '3125550199' }, ...t }])]);
    expect(live.lookup('3125550150')?.customer).toBe('n');
    expect(live.overlapping('3125550190', '3125550210').map((e) => e.customer)).toEqual(['n']);
    expect(live.overlapping('3125550200', '3125550210')).toEqual([]);
    expect(() => live.replace([customer('a', [{ number: '3125550150', ...t }]), customer('n', [{ range: { from: '3125550100', to: '3125550199' }, ...t }])])).toThrow(/overlaps/);
    expect(live.lookup('3125550150')?.customer).toBe('n');
    expect(live.lookup('2125550100')?.customer).toBe('a');
    expect(live.size).toBe(2);
  });
});

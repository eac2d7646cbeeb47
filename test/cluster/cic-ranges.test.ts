import { describe, expect, it } from 'vitest';
import { checkPartition, cicOwners, cicsOf, ownTrunkGroups } from '../../src/cluster/cic-ranges.js';

const tgs = [
  { id: 'tg-a', cics: { first: 1, count: 24 }, dpc: '2-2-2' },
  { id: 'tg-b', cics: { first: 25, count: 24 }, dpc: '2-2-2' },
];
const nodes = [
  { name: 'n1', cics: [{ trunkGroup: 'tg-a', first: 1, count: 12 }, { trunkGroup: 'tg-b', first: 25, count: 12 }] },
  { name: 'n2', cics: [{ trunkGroup: 'tg-a', first: 13, count: 12 }, { trunkGroup: 'tg-b', first: 37, count: 12 }] },
];

describe('CIC ranges per node', () => {
  it('gives a node its own range of each trunk group, other fields kept', () => {
    expect(ownTrunkGroups(tgs, nodes, 'n2')).toEqual([
      { id: 'tg-a', cics: { first: 13, count: 12 }, dpc: '2-2-2' },
      { id: 'tg-b', cics: { first: 37, count: 12 }, dpc: '2-2-2' },
    ]);
    expect(ownTrunkGroups(tgs, nodes, 'not-listed')).toBe(tgs);
    expect(ownTrunkGroups(tgs, [], 'n1')).toBe(tgs);
  });

  it('maps every CIC to its owner', () => {
    const owners = cicOwners(nodes);
    expect([1, 12, 13, 24, 25, 36, 37, 48].map((c) => owners.get(c))).toEqual(['n1', 'n1', 'n2', 'n2', 'n1', 'n1', 'n2', 'n2']);
    expect(owners.get(49)).toBeUndefined();
    expect(cicsOf(nodes, 'n2').get('tg-a')).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('refuses overlaps, ranges outside their trunk group, unknown trunk groups, duplicate nodes and a node missing a trunk group, naming the key', () => {
    const bad = (n: unknown) => () => checkPartition(tgs, n as typeof nodes);
    expect(bad([nodes[0], { name: 'n2', cics: [{ trunkGroup: 'tg-a', first: 12, count: 2 }] }])).toThrow(/cluster\.nodes\.1\.cics\.0: CIC 12 of tg-a is owned by node n1/);
    expect(bad([{ name: 'n1', cics: [{ trunkGroup: 'tg-a', first: 20, count: 10 }] }])).toThrow(/cluster\.nodes\.0\.cics\.0: CICs 20-29 are not all in trunk group tg-a \(1-24\)/);
    expect(bad([{ name: 'n1', cics: [{ trunkGroup: 'tg-x', first: 1, count: 1 }] }])).toThrow(/no trunk group "tg-x"/);
    expect(bad([nodes[0], nodes[0]])).toThrow(/cluster\.nodes\.1\.name: "n1" is listed twice/);
    expect(() => ownTrunkGroups(tgs, [{ name: 'n1', cics: [{ trunkGroup: 'tg-a', first: 1, count: 12 }] }], 'n1')).toThrow(/no range of trunk group tg-b/);
  });
});

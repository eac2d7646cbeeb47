import { describe, expect, it } from 'vitest';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';

describe('CircuitGroup', () => {
  it('seizes circuits it controls first (higher point code controls even CICs) and reuses released ones', () => {
    const g = new CircuitGroup({ id: 'tg', firstCic: 1, count: 4, ownPointCode: 200, farPointCode: 100 });
    const a = g.seizeOutgoing('a');
    const b = g.seizeOutgoing('b');
    expect([a?.cic, b?.cic].sort()).toEqual([2, 4]);
    const c = g.seizeOutgoing('c');
    expect(c?.cic === 1 || c?.cic === 3).toBe(true);
    g.seizeOutgoing('d');
    expect(g.seizeOutgoing('e')).toBeUndefined();
    expect(g.counts()).toMatchObject({ total: 4, idle: 0, outgoing: 4 });
    g.release(2);
    expect(g.seizeOutgoing('f')?.cic).toBe(2);
  });

  it('never seizes a blocked circuit and refuses an incoming call on a locally blocked one', () => {
    const g = new CircuitGroup({ id: 'tg', firstCic: 10, count: 2, ownPointCode: 1, farPointCode: 2 });
    g.setBlocked(10, 'remote', true);
    g.setBlocked(11, 'local', true);
    expect(g.seizeOutgoing('x')).toBeUndefined();
    expect(g.seizeIncoming(11, 'y')).toBe(false);
    expect(g.seizeIncoming(10, 'y')).toBe(true);
    expect(g.counts()).toMatchObject({ blocked: 2, incoming: 1 });
  });
});

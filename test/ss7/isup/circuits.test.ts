import { describe, expect, it } from 'vitest';
import { CircuitGroup } from '../../../src/ss7/isup/circuits.js';
import { mulberry32 } from '../../../src/util/prng.js';

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
    expect(g.hasAvailable()).toBe(false);
    g.setBlocked(11, 'local', false);
    expect(g.hasAvailable()).toBe(true);
    g.seizeOutgoing('z');
    expect(g.hasAvailable()).toBe(false);
    g.release(11, 'other-call');
    expect(g.hasAvailable()).toBe(false);
    g.release(11, 'z');
    expect(g.hasAvailable()).toBe(true);
  });
});

describe('CircuitGroup availability count', () => {
  it('always agrees with a full count, whatever the sequence of seizures, releases and blocks', () => {
    const rnd = mulberry32(7);
    const g = new CircuitGroup({ id: 'tg', firstCic: 1, count: 6, ownPointCode: 2, farPointCode: 1 });
    for (let i = 0; i < 5000; i++) {
      const cic = 1 + Math.floor(rnd() * 6);
      const op = Math.floor(rnd() * 5);
      if (op === 0) g.seizeOutgoing(`c${i}`);
      else if (op === 1) g.seizeIncoming(cic, `c${i}`);
      else if (op === 2) g.release(cic);
      else g.setBlocked(cic, op === 3 ? 'local' : 'remote', rnd() < 0.5);
      expect(g.hasAvailable()).toBe(g.counts().idle > 0);
    }
  });
});

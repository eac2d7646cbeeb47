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

describe('CircuitGroup selection and glare control', () => {
  const take = (g: CircuitGroup, n: number) => Array.from({ length: n }, (_, i) => g.seizeOutgoing(`c${i}`)?.cic);
  const group = (extra: Partial<ConstructorParameters<typeof CircuitGroup>[0]>) =>
    new CircuitGroup({ id: 'tg', firstCic: 1, count: 6, ownPointCode: 1, farPointCode: 2, ...extra });

  it('ascending, descending, odd and even orders', () => {
    expect(take(group({ selection: 'ascending' }), 3)).toEqual([1, 2, 3]);
    expect(take(group({ selection: 'descending' }), 3)).toEqual([6, 5, 4]);
    expect(take(group({ selection: 'odd' }), 5)).toEqual([1, 3, 5, 2, 4]);
    expect(take(group({ selection: 'even' }), 4)).toEqual([2, 4, 6, 1]);
  });

  it('lru: the circuit idle the longest goes first', () => {
    const g = group({ selection: 'lru' });
    expect(take(g, 3)).toEqual([1, 2, 3]);
    g.release(2);
    g.release(1);
    expect(g.seizeOutgoing('x')?.cic).toBe(4);
    expect(g.seizeOutgoing('y')?.cic).toBe(5);
    expect(g.seizeOutgoing('z')?.cic).toBe(6);
    expect(g.seizeOutgoing('w')?.cic).toBe(2);
    expect(g.seizeOutgoing('v')?.cic).toBe(1);
  });

  it('avoid and availability apply to every order', () => {
    const g = group({ selection: 'ascending' });
    g.setBlocked(1, 'remote', true);
    g.setOutOfService(2, 'reset-pending');
    expect(g.seizeOutgoing('a', 3)?.cic).toBe(4);
    expect(g.counts()).toMatchObject({ blocked: 1, outOfService: 1, outgoing: 1, idle: 3 });
  });

  it('glare: ITU higher point code controls even CICs; ANSI higher point code controls all; configured control wins', () => {
    const itu = new CircuitGroup({ id: 'a', firstCic: 1, count: 4, ownPointCode: 9, farPointCode: 2 });
    expect([1, 2, 3, 4].map((c) => itu.controls(c))).toEqual([false, true, false, true]);
    const ituLow = new CircuitGroup({ id: 'a', firstCic: 1, count: 4, ownPointCode: 2, farPointCode: 9, variant: 'itu' });
    expect([1, 2].map((c) => ituLow.controls(c))).toEqual([true, false]);
    const ansiHigh = new CircuitGroup({ id: 'a', firstCic: 1, count: 4, ownPointCode: 9, farPointCode: 2, variant: 'ansi' });
    const ansiLow = new CircuitGroup({ id: 'a', firstCic: 1, count: 4, ownPointCode: 2, farPointCode: 9, variant: 'ansi' });
    expect([1, 2].map((c) => ansiHigh.controls(c))).toEqual([true, true]);
    expect([1, 2].map((c) => ansiLow.controls(c))).toEqual([false, false]);
    const configured = new CircuitGroup({ id: 'a', firstCic: 1, count: 4, ownPointCode: 2, farPointCode: 9, variant: 'ansi', glareControl: 'odd' });
    expect([1, 2].map((c) => configured.controls(c))).toEqual([true, false]);
  });

  it('maintenance and hardware blocks are independent; localBlocked/remoteBlocked are their union', () => {
    const g = group({});
    g.setBlocked(1, 'local', true, 'maintenance');
    g.setBlocked(1, 'local', true, 'hardware');
    g.setBlocked(1, 'local', false, 'maintenance');
    expect(g.get(1)).toMatchObject({ localBlocked: true, localHardwareBlocked: true, localMaintenanceBlocked: false });
    g.setBlocked(1, 'local', false, 'hardware');
    expect(g.get(1)?.localBlocked).toBe(false);
    expect(g.hasAvailable()).toBe(true);
  });
});

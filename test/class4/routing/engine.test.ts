import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoutingEngine } from '../../../src/class4/routing/engine.js';
import { portedSignalling } from '../../../src/class4/routing/lnp-signalling.js';
import { mulberry32 } from '../../../src/class4/lcr/generate.js';
import { SoftswitchError } from '../../../src/errors.js';

let dir: string;
const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lcr-engine-'));
  dirs.push(d);
  return d;
}
beforeAll(async () => {
  dir = await tmp();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const NOON_WED = new Date('2026-03-04T17:00:00Z');

describe('routing engine on the bundled sample data', () => {
  let engine: RoutingEngine;
  beforeAll(async () => {
    engine = await RoutingEngine.load({}, { dataDir: dir });
  });

  it('routes a 10-digit NANP call: longest prefix first, then cost, interstate column for NJ -> NY', () => {
    const d = engine.lookup({ called: '212-555-1234', calling: '2015550000', at: NOON_WED });
    expect(d.normalizedCalled).toBe('12125551234');
    expect(d.jurisdiction).toBe('interstate');
    expect(d.matchedPrefix).toBe('1212555');
    expect(d.lnpDipped).toBe(true);
    expect(d.lrn).toBeUndefined();
    expect(d.candidates.map((c) => [c.carrier, c.trunkGroup, c.prefix, c.rate, c.rateColumn])).toEqual([
      ['ilec-tandem', 'tg-ilec', '1212555', 0.0055, 'interstate'],
      ['ixc-b', 'tg-ixc-b', '1212', 0.0045, 'interstate'],
    ]);
    expect(d.skipped).toEqual([]);
  });

  it('picks the intrastate and indeterminate columns from the callers NPA-NXX', () => {
    const intra = engine.lookup({ called: '2125551234', calling: '17185550000', at: NOON_WED });
    expect(intra.jurisdiction).toBe('intrastate');
    expect(intra.candidates.map((c) => c.rate)).toEqual([0.007, 0.009]);
    const indet = engine.lookup({ called: '2125551234', at: NOON_WED });
    expect(indet.jurisdiction).toBe('indeterminate');
    expect(indet.candidates.map((c) => [c.rate, c.rateColumn])).toEqual([
      [0.0065, 'indeterminate'],
      [0.008, 'indeterminate'],
    ]);
    const unknownState = engine.lookup({ called: '2125551234', calling: '4065550000', at: NOON_WED });
    expect(unknownState.jurisdiction).toBe('indeterminate');
  });

  it('equal prefix length: the cheaper carrier first', () => {
    const d = engine.lookup({ called: '13125559876', calling: '2015550000', at: NOON_WED });
    expect(d.candidates.map((c) => [c.carrier, c.rate])).toEqual([
      ['ixc-b', 0.0047],
      ['ilec-tandem', 0.0068],
    ]);
    const any = engine.lookup({ called: '4065551234', calling: '2015550000', at: NOON_WED });
    expect(any.matchedPrefix).toBe('1');
    expect(any.candidates.map((c) => c.carrier)).toEqual(['ilec-tandem']);
  });

  it('routes and rates a ported number on its LRN and signals rn + npdi / GAP', () => {
    const d = engine.lookup({ called: '3125550123', calling: '6175551111', at: NOON_WED });
    expect(d.portedNumber).toBe('13125550123');
    expect(d.lrn).toBe('6175550000');
    expect(d.routingNumber).toBe('16175550000');
    expect(d.matchedPrefix).toBe('1617');
    expect(d.jurisdiction).toBe('intrastate');
    expect(d.candidates[0]).toMatchObject({ carrier: 'ixc-b', prefix: '1617', rate: 0.009 });
    const s = portedSignalling(d);
    expect(s.sipUser).toBe('+13125550123;npdi;rn=+16175550000');
    expect(s.isup).toEqual({ calledPartyNumber: '6175550000', genericAddress: { typeOfAddress: 0xc0, digits: '3125550123' }, portedNumberTranslated: true });
    const notPorted = portedSignalling(engine.lookup({ called: '3125550124', at: NOON_WED }));
    expect(notPorted.sipUser).toBe('+13125550124;npdi');
  });

  it('blocks premium and 976 destinations before routing, and reports invalid numbers', () => {
    expect(engine.lookup({ called: '19005551234' }).blocked).toMatch(/premium/);
    const b976 = engine.lookup({ called: '2129761234' });
    expect(b976.blocked).toMatch(/976/);
    expect(b976.candidates).toEqual([]);
    expect(engine.lookup({ called: '2125551212' }).blocked).toMatch(/directory/);
    expect(engine.lookup({ called: '12345' }).blocked).toMatch(/invalid number/);
    expect(engine.lookup({ called: '+1 212 555 1234' }).blocked).toBeUndefined();
  });

  it('routes international E.164 and 011-dialled numbers on the interstate column', () => {
    for (const called of ['+442071234567', '011442071234567']) {
      const d = engine.lookup({ called, calling: '2125550000', at: NOON_WED });
      expect(d.normalizedCalled).toBe('442071234567');
      expect(d.jurisdiction).toBe('international');
      expect(d.lnpDipped).toBe(false);
      expect(d.candidates.map((c) => [c.carrier, c.prefix, c.rate])).toEqual([['ixc-b', '4420', 0.009]]);
    }
    expect(engine.lookup({ called: '+8801712345678' }).candidates).toEqual([]);
  });

  it('applies the rate row in effect at the call time', () => {
    const before = engine.lookup({ called: '9175551234', calling: '2015550000', at: new Date('2026-12-31T23:59:00Z') });
    const after = engine.lookup({ called: '9175551234', calling: '2015550000', at: new Date('2027-01-01T00:00:00Z') });
    expect(before.candidates[0]).toMatchObject({ rate: 0.0063, effective: '2024-01-01' });
    expect(after.candidates[0]).toMatchObject({ rate: 0.0058, effective: '2027-01-01' });
  });

  it('skips dead trunk groups and advances only on listed causes', () => {
    const d = engine.lookup({ called: '2125551234', calling: '2015550000', at: NOON_WED });
    expect(engine.nextCandidate(d, 34)?.carrier).toBe('ixc-b');
    expect(engine.nextCandidate(d, 16)).toBeUndefined();
    expect(engine.nextCandidate(d, 17)).toBeUndefined();
    expect(engine.advancesOn(41)).toBe(true);
    expect(engine.nextCandidateForSip(d, 503)?.carrier).toBe('ixc-b');
    expect(engine.nextCandidateForSip(d, 486)).toBeUndefined();
    expect(engine.nextCandidate(d, 34, d.candidates[1])).toBeUndefined();
    try {
      engine.setAvailability((tg) => tg !== 'tg-ixc-b');
      expect(engine.nextCandidate(d, 34)).toBeUndefined();
      engine.setAvailability((tg) => tg !== 'tg-ilec');
      const dead = engine.lookup({ called: '2125551234', calling: '2015550000', at: NOON_WED });
      expect(dead.candidates.map((c) => c.carrier)).toEqual(['ixc-b']);
      expect(dead.skipped).toEqual([{ carrier: 'ilec-tandem', prefix: '1212555', code: 'unavailable', reason: 'no available trunk group (tg-ilec unavailable)' }]);
    } finally {
      engine.setAvailability(() => true);
    }
  });

  it('never throws on hostile numbers and answers every lookup', () => {
    const rnd = mulberry32(17);
    const alphabet = '0123456789+-() #*abc\u0000\u00ff';
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 24);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const d = engine.lookup({ called: s, calling: s.slice(1), customer: i % 7 ? undefined : s });
      expect(d.blocked !== undefined || d.candidates.length >= 0).toBe(true);
    }
  });

  it('exports the active table as CSV', () => {
    const csv = engine.exportTable();
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('carrier,prefix,interstate,intrastate,indeterminate,effective');
    expect(lines).toContain('ilec-tandem,1212555,0.0055,0.007,0.0065,2024-01-01');
    expect(lines).toContain('ixc-b,4420,0.009,0.009,0.009,2024-01-01');
    expect(lines.length - 1).toBe(engine.stats().rows);
    expect(engine.exportTable('ixc-b').trim().split('\n').length).toBe(21);
  });
});

describe('customers, route tables and time of day', () => {
  const cfg = {
    customers: [
      { id: 'default' },
      { id: 'acme', routeTable: 'ilec-only', blockInternational: true, ingress: { stripPrefix: '9', defaultNpa: '212' } },
      { id: 'bizco', routeTable: 'business' },
      { id: 'thrifty', maxRate: 0.005 },
    ],
    routeTables: {
      'ilec-only': { carriers: ['ilec-tandem'] },
      business: {
        timeOfDay: [{ name: 'weekday-peak', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00', tz: 'America/New_York', carriers: ['ixc-b'] }],
      },
    },
  };
  let engine: RoutingEngine;
  beforeAll(async () => {
    engine = await RoutingEngine.load(cfg, { dataDir: await tmp() });
  });

  it('keeps a customer to its route table without revealing other carriers', () => {
    const d = engine.lookup({ called: '95551234', customer: 'acme', at: NOON_WED });
    expect(d.normalizedCalled).toBe('12125551234');
    expect(d.candidates.map((c) => c.carrier)).toEqual(['ilec-tandem']);
    expect(JSON.stringify(d)).not.toContain('ixc-b');
    expect(engine.lookup({ called: '9011442071234567', customer: 'acme' }).blocked).toMatch(/international/);
    expect(engine.lookup({ called: '011442071234567', customer: 'default' }).blocked).toBeUndefined();
    expect(engine.lookup({ called: '2125551234', customer: 'nobody' }).blocked).toMatch(/unknown customer/);
  });

  it('uses the time-of-day route set in its own time zone', () => {
    const peak = engine.lookup({ called: '2125551234', customer: 'bizco', at: NOON_WED });
    expect(peak.timeOfDay).toBe('weekday-peak');
    expect(peak.candidates.map((c) => c.carrier)).toEqual(['ixc-b']);
    expect(peak.skipped[0]).toMatchObject({ carrier: 'ilec-tandem', reason: expect.stringMatching(/time-of-day/) });
    const evening = engine.lookup({ called: '2125551234', customer: 'bizco', at: new Date('2026-03-04T23:30:00Z') });
    expect(evening.timeOfDay).toBeUndefined();
    expect(evening.candidates.map((c) => c.carrier)).toEqual(['ilec-tandem', 'ixc-b']);
    const sunday = engine.lookup({ called: '2125551234', customer: 'bizco', at: new Date('2026-03-08T17:00:00Z') });
    expect(sunday.candidates).toHaveLength(2);
  });

  it('skips candidates above the customer maximum rate', () => {
    const d = engine.lookup({ called: '2125551234', calling: '7185550000', customer: 'thrifty', at: NOON_WED });
    expect(d.candidates).toEqual([]);
    expect(d.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/above the customer's maximum/), expect.stringMatching(/above/)]);
  });
});

describe('load sharing by weight', () => {
  it('orders equal candidates by weight (3:1 gives about 75% first)', async () => {
    const base = await tmp();
    const deck = 'prefix,interstate\n1,0.01\n';
    await writeFile(join(base, 'a.csv'), deck);
    await writeFile(join(base, 'b.csv'), deck);
    const engine = await RoutingEngine.load(
      {
        carriers: [
          { id: 'a', trunkGroups: ['tg-a'], deck: 'a.csv', weight: 3 },
          { id: 'b', trunkGroups: ['tg-b'], deck: 'b.csv', weight: 1 },
        ],
        lnp: {},
        jurisdiction: {},
      },
      { dataDir: base, baseDir: base, random: mulberry32(99) },
    );
    let firstA = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) if (engine.lookup({ called: '2125551234' }).candidates[0].carrier === 'a') firstA++;
    expect(firstA / n).toBeGreaterThan(0.72);
    expect(firstA / n).toBeLessThan(0.78);
  });
});

describe('deck import, snapshot and reload', () => {
  it('rejects a bad deck whole and keeps the previous table; a good one swaps in and survives restart', async () => {
    const dataDir = await tmp();
    const engine = await RoutingEngine.load({}, { dataDir });
    expect(engine.stats().loadedFrom).toBe('decks');
    const before = engine.exportTable();
    const bad = await engine.importDeck('ixc-b', 'prefix,interstate,effective\n1212,0.004,2024-01-01\n1213,abc,2024-01-01\n1214,0.004,2024-13-01\n');
    expect(bad).toMatchObject({ ok: false, errorCount: 2, rowCount: 3 });
    expect(!bad.ok && bad.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(engine.exportTable()).toBe(before);
    await expect(engine.importDeck('nobody', 'prefix,interstate\n1,1\n')).rejects.toBeInstanceOf(SoftswitchError);

    const good = await engine.importDeck('ixc-b', 'prefix,interstate,intrastate,effective\n1212,0.004,0.008,2024-01-01\n1646,0.003,0.006,2030-01-01\n');
    expect(good).toMatchObject({ ok: true, rows: 2 });
    const d = engine.lookup({ called: '2125551234', calling: '2015550000', at: NOON_WED });
    expect(d.candidates.map((c) => [c.carrier, c.rate])).toEqual([
      ['ilec-tandem', 0.0055],
      ['ixc-b', 0.004],
    ]);
    const future = engine.lookup({ called: '6465551234', calling: '2015550000', at: NOON_WED });
    expect(future.skipped).toEqual([{ carrier: 'ixc-b', prefix: '1646', code: 'not-yet-effective', reason: 'rate not effective until 2030-01-01' }]);
    expect(engine.lookup({ called: '+442071234567' }).candidates).toEqual([]);

    const restarted = await RoutingEngine.load({}, { dataDir });
    expect(restarted.stats().loadedFrom).toBe('snapshot');
    expect(restarted.exportTable()).toBe(engine.exportTable());
    expect(restarted.lookup({ called: '2125551234', calling: '2015550000', at: NOON_WED })).toEqual(d);
  });

  it('ignores a corrupt snapshot and rebuilds from the decks', async () => {
    const dataDir = await tmp();
    const first = await RoutingEngine.load({}, { dataDir });
    await writeFile(join(dataDir, 'lcr/route-table.snapshot'), Buffer.from('not a snapshot at all'));
    const second = await RoutingEngine.load({}, { dataDir });
    expect(second.stats().loadedFrom).toBe('decks');
    expect(second.exportTable()).toBe(first.exportTable());
  });

  it('refuses to start on a bad deck file or a bad LNP table, naming file and line', async () => {
    const base = await tmp();
    await writeFile(join(base, 'x.csv'), 'prefix,interstate\n1,0.01\n12x,0.01\n');
    const cfg = { carriers: [{ id: 'x', trunkGroups: ['tg-x'], deck: 'x.csv' }], lnp: {}, jurisdiction: {} };
    await expect(RoutingEngine.load(cfg, { dataDir: base, baseDir: base })).rejects.toThrow(/x\.csv:3:/);
    await writeFile(join(base, 'x.csv'), 'prefix,interstate\n1,0.01\n');
    await writeFile(join(base, 'lnp.csv'), 'tn,lrn\n2125550100,2125559999\n2125550100,212555\n');
    await expect(RoutingEngine.load({ ...cfg, lnp: { file: 'lnp.csv' } }, { dataDir: base, baseDir: base })).rejects.toThrow(/lnp\.csv:3:/);
    await expect(RoutingEngine.load({ carriers: [] , advance: { q850: [900] } }, { dataDir: base })).rejects.toThrow(/SSW_ERR_CONFIG_INVALID|invalid/i);
  });

  it('keeps answering lookups while a large deck is rebuilt', async () => {
    const dataDir = await tmp();
    const engine = await RoutingEngine.load({ snapshot: { enabled: false } }, { dataDir });
    const rows = ['prefix,interstate', '1212,0.0045'];
    for (let i = 0; i < 150_000; i++) rows.push(`${44 + (i % 50)}${String(i).padStart(6, '0')},0.01`);
    let during = 0;
    let errors = 0;
    let done = false;
    const spin = () => {
      for (let k = 0; k < 50; k++) {
        const d = engine.lookup({ called: '2125551234', at: NOON_WED });
        if (d.candidates.length !== 2) errors++;
        during++;
      }
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const r = await engine.importDeck('ixc-b', rows.join('\n'));
    done = true;
    expect(r.ok).toBe(true);
    expect(errors).toBe(0);
    expect(during).toBeGreaterThan(100);
    expect(engine.stats().prefixes).toBeGreaterThan(150_000);
    // The event loop's share of the reload is taking the reply and swapping one reference.
    const adoption = engine.stats().lastAdoption;
    expect(adoption).toBeDefined();
    expect(adoption!.adoptMs).toBeGreaterThanOrEqual(0);
    expect(adoption!.adoptMs).toBeLessThan(50);
    expect(adoption!.deliveryMs).toBeGreaterThan(-5); // two threads' clocks, each from its own timeOrigin
  });
});

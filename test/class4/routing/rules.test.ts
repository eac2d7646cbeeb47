import { describe, expect, it } from 'vitest';
import { ingressSchema, routingConfigSchema, timeOfDaySchema } from '../../../src/class4/routing/config.js';
import { normalizeNumber } from '../../../src/class4/routing/normalize.js';
import { blockedReason, patternMatches } from '../../../src/class4/routing/blocked.js';
import { jurisdictionOf } from '../../../src/class4/routing/jurisdiction.js';
import { windowOpen } from '../../../src/class4/routing/tod.js';
import { parseLnp, parseStateTable } from '../../../src/class4/routing/tables.js';

const nanp = ingressSchema.parse({});

describe('number normalisation', () => {
  it('accepts 10/11-digit NANP, E.164 with +, 011 international and strips per ingress', () => {
    expect(normalizeNumber('(212) 555-1234', nanp)).toEqual({ ok: true, digits: '12125551234' });
    expect(normalizeNumber('12125551234', nanp)).toEqual({ ok: true, digits: '12125551234' });
    expect(normalizeNumber('+44 20 7123 4567', nanp)).toEqual({ ok: true, digits: '442071234567' });
    expect(normalizeNumber('011442071234567', nanp)).toEqual({ ok: true, digits: '442071234567' });
    expect(normalizeNumber('*12125551234', ingressSchema.parse({ stripDigits: 1 })).ok).toBe(false);
    expect(normalizeNumber('912125551234', ingressSchema.parse({ stripPrefix: '9' }))).toEqual({ ok: true, digits: '12125551234' });
    expect(normalizeNumber('5551234', ingressSchema.parse({ defaultNpa: '718' }))).toEqual({ ok: true, digits: '17185551234' });
    expect(normalizeNumber('2125551234', ingressSchema.parse({ addPrefix: '1' }))).toEqual({ ok: true, digits: '12125551234' });
    expect(normalizeNumber('020 7123 4567', ingressSchema.parse({ countryCode: '44', internationalPrefix: '00' }))).toEqual({ ok: true, digits: '442071234567' });
  });

  it('rejects non-NANP shapes and hostile strings', () => {
    for (const bad of ['1125551234', '2121551234', '5551234', '+1212', '', '+', 'abc', '2'.repeat(40), '+0123456']) expect(normalizeNumber(bad, nanp).ok).toBe(false);
  });
});

describe('blocked destinations', () => {
  it('matches X and N wildcards', () => {
    expect(patternMatches('1NXX976', '12129761234')).toBe(true);
    expect(patternMatches('1NXX976', '11129761234')).toBe(false);
    expect(patternMatches('1900', '1900')).toBe(true);
    expect(blockedReason('442071234567', [], true, '1')).toMatch(/international/);
    expect(blockedReason('12125551234', [], true, '1')).toBeUndefined();
  });
});

describe('jurisdiction and tables', () => {
  const states = new Map([
    ['212', 'NY'],
    ['201', 'NJ'],
    ['201555', 'NY'],
  ]);
  it('classifies by NPA-NXX, with NPA-NXX rows overriding NPA rows', () => {
    expect(jurisdictionOf(states, '12125550000', '12125551111')).toBe('intrastate');
    expect(jurisdictionOf(states, '12015550000', '12125551111')).toBe('intrastate');
    expect(jurisdictionOf(states, '12014440000', '12125551111')).toBe('interstate');
    expect(jurisdictionOf(states, undefined, '12125551111')).toBe('indeterminate');
    expect(jurisdictionOf(states, '12125550000', '442071234567')).toBe('international');
  });
  it('loads LNP and state tables, reporting bad lines', () => {
    const lnp = parseLnp('tn,lrn,spid\n+12125550100,2125559999,1\n');
    expect(lnp.ok && lnp.value.get('2125550100')).toBe('2125559999');
    const bad = parseLnp('tn,lrn\n2125550100,2125559999\n212555010,2125559999\n2125550100,2125559999\n');
    expect(!bad.ok && bad.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(parseLnp('foo\n1\n').ok).toBe(false);
    const st = parseStateTable('npa,nxx,state\n212,555,ny\n201,,NJ\n');
    expect(st.ok && [...st.value]).toEqual([
      ['212555', 'NY'],
      ['201', 'NJ'],
    ]);
    expect(parseStateTable('npanxx,state\n212,New York\n').ok).toBe(false);
  });
});

describe('time-of-day windows', () => {
  it('opens by local day and time, and wraps past midnight', () => {
    const night = timeOfDaySchema.parse({ name: 'night', days: ['fri'], from: '22:00', to: '06:00', tz: 'America/Chicago', carriers: ['x'] });
    expect(windowOpen(night, new Date('2026-03-07T05:00:00Z'))).toBe(true); // Fri 23:00 CST
    expect(windowOpen(night, new Date('2026-03-07T10:00:00Z'))).toBe(true); // Sat 04:00 CST, started Friday
    expect(windowOpen(night, new Date('2026-03-07T13:00:00Z'))).toBe(false); // Sat 07:00
    expect(windowOpen(night, new Date('2026-03-06T05:00:00Z'))).toBe(false); // Thu 23:00
  });
});

describe('routing config', () => {
  it('has working defaults and rejects dangling references and bad time zones', () => {
    const d = routingConfigSchema.parse({});
    expect(d.carriers.map((c) => [c.id, c.trunkGroups])).toEqual([
      ['ilec-tandem', ['tg-ilec']],
      ['ixc-b', ['tg-ixc-b']],
    ]);
    expect(d.advance.q850).toEqual(expect.arrayContaining([34, 41, 42]));
    expect(d.advance.sip).toContain(503);
    expect(routingConfigSchema.safeParse({ routeTables: { t: { carriers: ['nope'] } } }).success).toBe(false);
    expect(routingConfigSchema.safeParse({ customers: [{ id: 'default', routeTable: 'missing' }] }).success).toBe(false);
    expect(routingConfigSchema.safeParse({ routeTables: { t: { timeOfDay: [{ name: 'x', tz: 'Mars/Olympus', carriers: ['ixc-b'] }] } } }).success).toBe(false);
    expect(routingConfigSchema.safeParse({ defaultCustomer: 'ghost' }).success).toBe(false);
  });
});

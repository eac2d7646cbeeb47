import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { class5ConfigSchema } from '../../src/class5/config.js';
import { TenantDirectory } from '../../src/class5/tenants.js';
import { featureCodeDecision, parseFeatureCode } from '../../src/class5/features/star-codes.js';
import { effectiveFeatures } from '../../src/class5/features/settings.js';

const cfg = class5ConfigSchema.parse({
  tenants: [
    {
      id: 'acme',
      domain: 'acme.example',
      voicemail: 'sip:vm@192.0.2.9',
      extensions: [
        { number: '1001', password: 'x', cos: 'national', features: { speedDial: { '2': '2125551234' } } },
        { number: '1002', password: 'x' },
      ],
    },
    { id: 'globex', domain: 'globex.example', extensions: [{ number: '2001', password: 'x' }] },
  ],
});
const tenants = new TenantDirectory(cfg);
const acme = tenants.byId('acme')!;
const ext = acme.extensions.get('1001')!;
const codes = cfg.starCodes;

describe('star codes (pure)', () => {
  it('recognises the default codes, with and without a target', () => {
    expect(parseFeatureCode('*721002', codes)).toEqual({ kind: 'forward-set', feature: 'cfu', target: '1002' });
    expect(parseFeatureCode('*73', codes)).toEqual({ kind: 'forward-clear', feature: 'cfu' });
    expect(parseFeatureCode('*90', codes)).toEqual({ kind: 'forward-set', feature: 'cfb', target: '' });
    expect(parseFeatureCode('*93', codes)).toEqual({ kind: 'forward-clear', feature: 'cfna' });
    expect(parseFeatureCode('*78', codes)).toEqual({ kind: 'dnd', on: true });
    expect(parseFeatureCode('*672125551234', codes)).toEqual({ kind: 'block-caller-id', number: '2125551234' });
    expect(parseFeatureCode('*98', codes)).toEqual({ kind: 'voicemail' });
    expect(parseFeatureCode('*02', codes)).toEqual({ kind: 'speed-dial', slot: '2' });
    expect(parseFeatureCode('1002', codes)).toBeUndefined();
    expect(parseFeatureCode('*55', codes)).toBeUndefined();
    expect(parseFeatureCode('*72abc', codes)).toBeUndefined();
  });

  it('configurable codes', () => {
    const c = class5ConfigSchema.parse({ starCodes: { cfuOn: '*21', cfuOff: '#21' } }).starCodes;
    expect(parseFeatureCode('*211002', c)).toEqual({ kind: 'forward-set', feature: 'cfu', target: '1002' });
    expect(parseFeatureCode('%2321', c)).toEqual({ kind: 'forward-clear', feature: 'cfu' });
    expect(() => class5ConfigSchema.parse({ starCodes: { cfuOn: '*78' } })).toThrow(/also/);
  });

  it('decisions: targets checked against the dial plan and class of service; isolation: another tenant’s extension is no target', () => {
    expect(featureCodeDecision({ kind: 'forward-set', feature: 'cfu', target: '1002' }, acme, ext)).toEqual({ kind: 'change', change: { cfu: '1002' }, what: 'cfu to 1002' });
    expect(featureCodeDecision({ kind: 'forward-set', feature: 'cfu', target: '2001' }, acme, ext)).toMatchObject({ kind: 'refuse', status: 484 });
    expect(featureCodeDecision({ kind: 'forward-set', feature: 'cfb', target: '011442071234567' }, acme, ext)).toMatchObject({ kind: 'refuse', status: 403 });
    expect(featureCodeDecision({ kind: 'forward-set', feature: 'cfu', target: '1001' }, acme, ext)).toMatchObject({ kind: 'refuse', status: 403 });
    expect(featureCodeDecision({ kind: 'forward-set', feature: 'cfu', target: '911' }, acme, ext)).toMatchObject({ kind: 'refuse', status: 403 });
    expect(featureCodeDecision({ kind: 'forward-clear', feature: 'cfna' }, acme, ext)).toEqual({ kind: 'change', change: { cfna: null }, what: 'cfna off' });
    expect(featureCodeDecision({ kind: 'speed-dial', slot: '2' }, acme, ext)).toEqual({ kind: 'dial', number: '2125551234', restricted: false });
    expect(featureCodeDecision({ kind: 'speed-dial', slot: '3' }, acme, ext)).toMatchObject({ kind: 'refuse', status: 404 });
    expect(featureCodeDecision({ kind: 'block-caller-id', number: '1002' }, acme, ext)).toEqual({ kind: 'dial', number: '1002', restricted: true });
    expect(featureCodeDecision({ kind: 'voicemail' }, acme, ext)).toEqual({ kind: 'voicemail', uri: 'sip:vm@192.0.2.9' });
    expect(featureCodeDecision({ kind: 'voicemail' }, tenants.byId('globex')!, tenants.byId('globex')!.extensions.get('2001')!)).toMatchObject({ kind: 'refuse', status: 404 });
  });

  it('stored settings lay over the configured features: a target sets, null clears, booleans set DND', () => {
    const base = { ...ext.features, cfu: '1002', cfb: '1002' };
    expect(effectiveFeatures(base, { cfu: null, cfna: '1002', dnd: true })).toMatchObject({ cfu: undefined, cfb: '1002', cfna: '1002', dnd: true });
  });

  it('never throws on arbitrary dialled strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
      parseFeatureCode(s, codes);
      return true;
    }), { numRuns: 3000 });
  });
});

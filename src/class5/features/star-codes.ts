/**
 * Star codes (vertical service codes) as pure decisions: what a dialled string starting with a
 * configured code asks for, and, from the subscriber's data, what to do about it — a settings
 * change to store, a number to dial instead (speed dial, per-call caller-ID block), a call to the
 * voicemail server, or a refusal with the SIP status and reason phrase to answer with.
 */
import type { ExtensionConfig, StarCodes } from '../config.js';
import type { Tenant } from '../tenants.js';
import { dial } from '../dial-plan.js';
import type { FeatureOverrides } from './settings.js';

export type ForwardFeature = 'cfu' | 'cfb' | 'cfna';

export type FeatureCode =
  | { kind: 'forward-set'; feature: ForwardFeature; target: string }
  | { kind: 'forward-clear'; feature: ForwardFeature }
  | { kind: 'dnd'; on: boolean }
  | { kind: 'block-caller-id'; number: string }
  | { kind: 'voicemail' }
  | { kind: 'speed-dial'; slot: string };

/** The feature code in a dialled string (RFC 3966 visual separators dropped), or undefined. */
export function parseFeatureCode(dialled: string, codes: StarCodes): FeatureCode | undefined {
  // '#' arrives escaped in a SIP URI user part (RFC 3261 §25.1); nothing else needs decoding here.
  const d = dialled.replace(/%23/gi, '#').replace(/%2a/gi, '*').replace(/[-.() ]/g, '');
  if (!/^[*#]/.test(d)) return undefined;
  const exact: Array<[string, FeatureCode]> = [
    [codes.cfuOff, { kind: 'forward-clear', feature: 'cfu' }],
    [codes.cfbOff, { kind: 'forward-clear', feature: 'cfb' }],
    [codes.cfnaOff, { kind: 'forward-clear', feature: 'cfna' }],
    [codes.dndOn, { kind: 'dnd', on: true }],
    [codes.dndOff, { kind: 'dnd', on: false }],
    [codes.voicemail, { kind: 'voicemail' }],
  ];
  for (const [c, fc] of exact) if (d === c) return fc;
  // Codes followed by digits; the longest code that matches wins (e.g. *9 vs *90).
  const prefixed: Array<[string, (rest: string) => FeatureCode | undefined]> = [
    [codes.cfuOn, (rest) => ({ kind: 'forward-set', feature: 'cfu', target: rest })],
    [codes.cfbOn, (rest) => ({ kind: 'forward-set', feature: 'cfb', target: rest })],
    [codes.cfnaOn, (rest) => ({ kind: 'forward-set', feature: 'cfna', target: rest })],
    [codes.blockCallerId, (rest) => ({ kind: 'block-caller-id', number: rest })],
    [codes.speedDial, (rest) => (/^\d{1,2}$/.test(rest) ? { kind: 'speed-dial', slot: rest } : undefined)],
  ];
  prefixed.sort((a, b) => b[0].length - a[0].length);
  for (const [c, make] of prefixed) {
    if (!d.startsWith(c)) continue;
    const rest = d.slice(c.length);
    if (rest !== '' && !/^\+?\d{1,15}$/.test(rest)) return undefined;
    return make(rest);
  }
  return undefined;
}

export type FeatureCodeDecision =
  /** Store this change; answer the caller as done. */
  | { kind: 'change'; change: FeatureOverrides; what: string }
  /** Dial this number instead, with caller ID withheld when `restricted`. */
  | { kind: 'dial'; number: string; restricted: boolean }
  /** Route to the tenant's voicemail server as the caller (retrieval). */
  | { kind: 'voicemail'; uri: string }
  | { kind: 'refuse'; status: number; reason: string };

export function featureCodeDecision(fc: FeatureCode, tenant: Tenant, caller: ExtensionConfig): FeatureCodeDecision {
  switch (fc.kind) {
    case 'forward-set': {
      if (fc.target === '') return { kind: 'refuse', status: 484, reason: 'Address Incomplete (forwarding target missing)' };
      if (fc.target === caller.number) return { kind: 'refuse', status: 403, reason: 'Forbidden (forwarding to itself)' };
      // The target must be a number this line could call: an extension of its tenant or a PSTN number its class of service allows.
      const r = dial(tenant, caller, fc.target);
      if (r.kind === 'refuse') return { kind: 'refuse', status: r.status === 404 ? 484 : r.status, reason: r.status === 404 ? 'Address Incomplete (no such forwarding target)' : 'Forbidden (forwarding target barred by class of service)' };
      if (r.kind === 'emergency') return { kind: 'refuse', status: 403, reason: 'Forbidden (forwarding to an emergency number)' };
      return { kind: 'change', change: { [fc.feature]: fc.target }, what: `${fc.feature} to ${fc.target}` };
    }
    case 'forward-clear':
      return { kind: 'change', change: { [fc.feature]: null }, what: `${fc.feature} off` };
    case 'dnd':
      return { kind: 'change', change: { dnd: fc.on }, what: `dnd ${fc.on ? 'on' : 'off'}` };
    case 'block-caller-id':
      if (fc.number === '') return { kind: 'refuse', status: 484, reason: 'Address Incomplete (number to dial missing)' };
      return { kind: 'dial', number: fc.number, restricted: true };
    case 'speed-dial': {
      const number = caller.features.speedDial[fc.slot] ?? caller.features.speedDial[String(Number(fc.slot))];
      if (!number) return { kind: 'refuse', status: 404, reason: `Not Found (speed dial ${fc.slot} not set)` };
      return { kind: 'dial', number, restricted: false };
    }
    case 'voicemail':
      if (!tenant.config.voicemail) return { kind: 'refuse', status: 404, reason: 'Not Found (no voicemail server for this tenant)' };
      return { kind: 'voicemail', uri: tenant.config.voicemail };
  }
}

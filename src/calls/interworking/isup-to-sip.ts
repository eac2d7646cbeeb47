/**
 * Numbers of an ISUP call carried into SIP for a PBX (RFC 3398 §8.1, RFC 3325, RFC 3323):
 * the calling number as From and P-Asserted-Identity in E.164, hidden from From with
 * `Privacy: id` when presentation is restricted; the charge number as P-Charge-Info
 * (RFC 8496); the jurisdiction (JIP) as a `jip` parameter of P-Asserted-Identity, the form
 * North American ISUP–SIP interworking uses.
 */
import type { CallParty } from '../legs/leg.js';

/** NAI values (Q.763 §3.9 b)). */
const NAI_INTERNATIONAL = 4;
const NAI_NATIONAL = 3;

/** E.164 with '+' for a number in ISUP form: NANP national (10 digits) gets +1. */
export function e164(digits: string, nai?: number): string {
  if (nai === NAI_INTERNATIONAL) return `+${digits}`;
  if ((nai === undefined || nai === NAI_NATIONAL) && digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits;
}

export interface SipIdentity {
  /** From URI. */
  from: string;
  headers: Record<string, string>;
}

export function sipIdentityFor(party: CallParty, host: string): SipIdentity {
  const headers: Record<string, string> = {};
  let from = `sip:${host}`;
  if (party.calling) {
    const num = e164(party.calling, party.callingNai);
    const uri = `sip:${num}@${host};user=phone`;
    headers['P-Asserted-Identity'] = `<${uri}>${party.jip ? `;jip=${party.jip}` : ''}`;
    from = party.callingRestricted ? 'sip:anonymous@anonymous.invalid' : uri;
    if (party.callingRestricted) headers.Privacy = 'id';
  } else {
    from = 'sip:anonymous@anonymous.invalid';
  }
  if (party.chargeNumber) headers['P-Charge-Info'] = `<sip:${e164(party.chargeNumber)}@${host};user=phone>;npi=ISDN;noa=3`;
  return { from, headers };
}

/** The called number in the form a customer asked for: 10-digit national or E.164. */
export function calledForDelivery(national: string, form: 'national' | 'e164'): string {
  return form === 'e164' ? e164(national) : national;
}

/**
 * How a ported number is signalled once the LNP dip has given an LRN.
 * SIP: RFC 4694 §4 puts `rn` (the LRN) and `npdi` (dip done) on the tel URI / user part.
 * ANSI ISUP (T1.113.3, ATIS-1000113): the Called Party Number carries the LRN, the Generic
 * Address Parameter (type of address 0xC0, "ported number") carries the dialled number, and
 * the Forward Call Indicators bit M ("ported number translated") is set.
 */
import type { RouteDecision } from './decision.js';

export const GAP_TYPE_PORTED_NUMBER = 0xc0;

export interface PortedSignalling {
  /** User part for a SIP Request-URI with user=phone, e.g. "+12125550100;npdi;rn=+12125559999". */
  sipUser: string;
  /** Tel URI form. */
  telUri: string;
  isup: {
    calledPartyNumber: string;
    genericAddress?: { typeOfAddress: number; digits: string };
    portedNumberTranslated: boolean;
  };
}

/** National (10-digit) form of a NANP E.164 digit string. */
const national = (d: string) => (d.length === 11 && d[0] === '1' ? d.slice(1) : d);

export function portedSignalling(decision: Pick<RouteDecision, 'normalizedCalled' | 'lrn' | 'lnpDipped'>): PortedSignalling {
  const called = decision.normalizedCalled;
  if (!decision.lrn) {
    const npdi = decision.lnpDipped ? ';npdi' : '';
    return {
      sipUser: `+${called}${npdi}`,
      telUri: `tel:+${called}${npdi}`,
      isup: { calledPartyNumber: national(called), portedNumberTranslated: decision.lnpDipped },
    };
  }
  const rn = `+1${decision.lrn}`;
  return {
    sipUser: `+${called};npdi;rn=${rn}`,
    telUri: `tel:+${called};npdi;rn=${rn}`,
    isup: {
      calledPartyNumber: decision.lrn,
      genericAddress: { typeOfAddress: GAP_TYPE_PORTED_NUMBER, digits: national(called) },
      portedNumberTranslated: true,
    },
  };
}

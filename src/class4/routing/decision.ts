/** What a route lookup returns: the whole decision, so operators can see why a call went where it went. */
import type { Jurisdiction } from './jurisdiction.js';

export interface RouteCandidate {
  /** Position in `candidates`, best first. */
  rank: number;
  carrier: string;
  /** First available trunk group of the carrier. */
  trunkGroup: string;
  /** Every available trunk group of the carrier, in configured order. */
  trunkGroups: string[];
  /** Matched prefix in this carrier's deck. */
  prefix: string;
  /** Currency units per minute from the column the jurisdiction selects. */
  rate: number;
  rateColumn: 'interstate' | 'intrastate' | 'indeterminate';
  /** Date the rate row took effect (YYYY-MM-DD or ISO). */
  effective: string;
  priority: number;
  weight: number;
}

/** Why a carrier was passed over, for call handling (the cause it answers with) and for operators. */
export type SkipCode = 'not-configured' | 'time-of-day' | 'not-yet-effective' | 'rate-cap' | 'unavailable';

export interface SkippedCarrier {
  carrier: string;
  prefix?: string;
  code: SkipCode;
  reason: string;
}

export interface RouteDecision {
  /** The number as given. */
  called: string;
  customer: string;
  /** E.164 digits without "+". Empty when the number could not be normalised. */
  normalizedCalled: string;
  normalizedCalling?: string;
  /** Digits the route was chosen on: the LRN (with country code) when ported, else normalizedCalled. */
  routingNumber: string;
  /** 10-digit LRN when the number is ported. */
  lrn?: string;
  /** The dialled number when it is ported (what the GAP / RFC 4694 request carries beside the LRN). */
  portedNumber?: string;
  /** True when the LNP table was consulted (NANP called numbers): signals npdi. */
  lnpDipped: boolean;
  jurisdiction: Jurisdiction;
  /** Longest prefix matched in any deck the customer may use. */
  matchedPrefix?: string;
  blocked?: string;
  /** Name of the time-of-day window in force, if one applied. */
  timeOfDay?: string;
  candidates: RouteCandidate[];
  skipped: SkippedCarrier[];
  at: string;
}

/**
 * What policy (Class 4 routing, DID delivery, Class 5 features) hands the call engine: where to
 * try to reach the called party, in order, and which failures move on to the next destination.
 */
import type { LegFailure, TerminatingLeg } from './legs/leg.js';
import type { TransferPolicy } from './transfer-policy.js';

/** One place to try: an ISUP trunk group of a carrier, a SIP target of a DID, an extension... */
export interface Destination {
  /** Short text for logs, e.g. `carrier-b/tg-ixc-b` or `sip:2125550100@10.0.0.5:5060`. */
  readonly label: string;
  readonly carrier?: string;
  readonly trunkGroup?: string;
  readonly rate?: number;
  /** Version of the rate deck the rate comes from. */
  readonly deck?: string;
  /** Creates the leg toward this destination (not yet started). */
  leg(): TerminatingLeg;
}

export interface CallPlan {
  /** Set when the call must not be placed at all: the cause to answer with, and why (logged). */
  refuse?: LegFailure & { why: string };
  /** Destinations in the order to try them. */
  destinations: Destination[];
  /** Whether a failure moves on to the next destination (route advance, target failover). */
  advanceOn(failure: LegFailure): boolean;
  /** What to answer when the destinations ran out after failures that advanced (default: the last failure). */
  exhausted?: (last: LegFailure) => LegFailure;
  /** Told of every failed destination (e.g. to mark a SIP target down). */
  observe?: (destination: Destination, failure: LegFailure) => void;
  /** Direction of the call for CDRs and metrics, e.g. `sip-to-isup`. */
  direction: CallDirection;
  /** Policy's contribution to the CDR. */
  cdr: PlanCdrFields;
  /** Who is on each side as policy knows them (a Class 5 extension number), for features later in the call. */
  parties?: { caller?: string; callee?: string };
  /** What a party's transfer request (REFER) of this call leads to; without one, REFERs are refused 403. */
  transfer?: TransferPolicy;
}

export type CallDirection = 'sip-to-isup' | 'isup-to-sip' | 'isup-to-isup' | 'sip-to-sip' | 'line-to-sip' | 'line-to-isup';

export interface PlanCdrFields {
  customer?: string;
  routedNumber?: string;
  lrn?: string;
  jurisdiction?: string;
  /** This call continues a transferred one: who transferred it (extension number or URI). */
  transferredBy?: string;
  /** ...and the switch's call id(s) of the call(s) it continues (comma-separated). */
  transferredFrom?: string;
}

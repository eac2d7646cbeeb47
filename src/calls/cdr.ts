/** The call engine's CDR port: one record per call, written when the call has fully ended. */
import type { CallDirection } from './plan.js';

/** A call detail record as written when a call ends. Times are ISO-8601 UTC. */
export interface Cdr {
  callId: string;
  sipCallId?: string;
  direction: CallDirection;
  customer?: string;
  calling?: string;
  called: string;
  routedNumber?: string;
  lrn?: string;
  carrier?: string;
  trunkGroup?: string;
  cic?: number;
  /** Rate per minute of the deck row that routed the call (the deck's currency). */
  rate?: number;
  /** Version of the carrier's rate deck that routed the call (content hash, as the routing engine had it loaded). */
  deckVersion?: string;
  /** rate × billable minutes (billed per second, unrounded beyond 1e-6). */
  charge?: number;
  jurisdiction?: string;
  startTime: string;
  answerTime?: string;
  endTime: string;
  durationMs: number;
  billableMs: number;
  /** Q.850 release cause. */
  cause: number;
  sipStatus?: number;
  /** `transfer`: a party transferred the other; the call continues as another CDR (see transferredFrom). */
  releasedBy?: 'caller' | 'callee' | 'switch' | 'transfer';
  gatewayEndpoint?: string;
  /** Incoming side of an ISUP-originated call (trunk group and CIC the call arrived on). */
  inTrunkGroup?: string;
  inCic?: number;
  /** The SIP target a call was delivered to (DID delivery). */
  target?: string;
  /** This call continues a transferred call: who transferred it (extension number), and that call's id(s), comma-separated. */
  transferredBy?: string;
  transferredFrom?: string;
  /** The switch stopped (crash, kill) while the call was up: end time is the last moment it was known alive. */
  interrupted?: boolean;
}

/**
 * Answered calls written down the moment they answer, so a crash cannot lose them: the record is
 * removed with the CDR's commit; what is left at start-up is closed as an interrupted CDR.
 */
export interface CallJournal {
  /** Synchronous stores have written the record on return; asynchronous ones resolve when it is committed. */
  answered(cdrSoFar: Cdr): void | Promise<void>;
}

export type CdrSink = (cdr: Cdr) => void;

/** What a call costs at `rate` per minute for `billableMs` of talk, billed per second (to 1e-6). */
export function chargeOf(rate: number | undefined, billableMs: number): number | undefined {
  return rate === undefined ? undefined : Math.round(rate * (billableMs / 60_000) * 1e6) / 1e6;
}

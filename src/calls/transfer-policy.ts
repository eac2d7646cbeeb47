/**
 * What policy (Class 5) hands the engine for a transfer request: refuse it, place a new call to a
 * target (blind transfer), or join the other party with a party of another call of the switch
 * (attended transfer: the Refer-To carries Replaces, RFC 3891).
 */
import type { LegKind } from './legs/leg.js';
import type { CallPlan } from './plan.js';

export interface TransferRequest {
  /** The Refer-To value as the transferor sent it. */
  referTo: string;
  /** The transferor as the call's policy knows it (its extension number), when known. */
  transferor?: string;
  /** The transferee's number as the call knows it (calling or called), and its extension number when it is one. */
  transfereeNumber?: string;
  transfereeExtension?: string;
  /** What the transferee's leg is: a PSTN party (an ISUP circuit) makes the new call an ISUP-originated one. */
  transfereeKind?: LegKind;
}

import type { ReplacesTarget } from '../sip/replaces.js';

export type { ReplacesTarget };

export type TransferDecision =
  /** Refused outright: the REFER gets this status (no subscription). */
  | { kind: 'refuse'; status: number; why: string }
  /** Blind: a new call from the transferee along `plan` (its CDR fields are completed by the engine). */
  | { kind: 'blind'; plan: CallPlan; target: string; callId?: string }
  /** Attended: the party of the replaced dialog's call that is not the transferor joins the transferee. */
  | { kind: 'attended'; replaces: ReplacesTarget; target: string };

export type TransferPolicy = (request: TransferRequest) => TransferDecision;

/**
 * Legs: the two (or more) halves of a call, each behind its protocol's port. The call engine
 * (../call.ts) sees only these interfaces, so SIP→ISUP, ISUP→SIP, ISUP→ISUP (transit) and
 * SIP→SIP (Class 5) calls are configurations of one engine.
 *
 * Media: the originating leg makes the offer (a SIP caller's SDP, or the SDP of the gateway
 * connection on an incoming circuit); the terminating leg answers it (the gateway's SDP of the
 * outgoing circuit, or the called SIP party's SDP), and the engine hands that answer back.
 */

export type LegKind = 'sip' | 'isup' | 'line';

/** Who the call is from and to, as the originating leg received it. */
export interface CallParty {
  /** Calling number, digits only (national format for NANP callers), when known. */
  calling?: string;
  /** Nature of address of the calling number (Q.763 §3.9 b)): 3 national, 4 international. */
  callingNai?: number;
  /** The caller asked for privacy (ISUP presentation restricted, SIP Privacy: id). */
  callingRestricted?: boolean;
  /** Called number as received (digits). */
  called: string;
  calledNai?: number;
  /** ANSI charge number (T1.113.3 §3.10), when present. */
  chargeNumber?: string;
  /** ANSI jurisdiction information: the originating switch's NPA-NXX (T1.113.3 §3.53). */
  jip?: string;
  /** The dialled number when `called` is an LRN (ANSI GAP "ported number", T1.113.3 §3.24a). */
  portedDialled?: string;
  /** Calling party's category (Q.763 §3.11). */
  callingCategory?: number;
}

/** What the legs contribute to the CDR and to the admin API's view of a call. */
export interface LegDetails {
  sipCallId?: string;
  trunkGroup?: string;
  cic?: number;
  gatewayEndpoint?: string;
  /** The final SIP status this leg sent or received. */
  sipStatus?: number;
  target?: string;
}

/** A failure of a terminating leg before answer. */
export interface LegFailure {
  /** Q.850 cause (a SIP status is mapped per RFC 3398 §8.2.6.1). */
  cause: number;
  /** The SIP final status when the leg is SIP. */
  sipStatus?: number;
  /** True when no response came at all (timeout, transport error): the target may be down. */
  unreachable?: boolean;
  /** Our own overload: the automatic congestion level to signal in REL (Q.764 §2.11; 1 or 2). */
  congestionLevel?: 1 | 2;
  /** Seconds for a SIP Retry-After header when the refusal is for overload. */
  retryAfterS?: number;
}

export interface OriginatingLegEvents {
  /** The caller gave up or hung up (CANCEL, BYE, REL) with this Q.850 cause. */
  onRelease?: (cause: number) => void;
  /** A new offer from this leg's party on an answered call (hold, resume, codec change): resolves with the answer to give it. */
  onOffer?: OfferHandler;
  /** This leg's party asks to transfer the other party (SIP REFER, RFC 3515). */
  onRefer?: (refer: ReferRequest) => void;
}

/**
 * A party's request to transfer the call (a REFER in its dialog, RFC 3515), protocol-neutral: the
 * engine accepts or refuses it and reports the outcome as the refer subscription's NOTIFYs
 * (message/sipfrag status lines, RFC 3515 §2.4.5).
 */
export interface ReferRequest {
  /** The Refer-To value (a name-addr or bare URI, possibly with ?Replaces=...). */
  readonly referTo: string;
  /** The Referred-By value (RFC 3892), when present. */
  readonly referredBy?: string;
  /** Refuses the REFER itself with a final status (no subscription). */
  refuse(status: number, reason?: string): void;
  /** 202 Accepted and the first NOTIFY ("SIP/2.0 100 Trying"). */
  accept(): void;
  /** A NOTIFY with the status line of the transfer's outcome; a final one (>= 200) ends the subscription. */
  notify(status: number, reason?: string): Promise<void>;
}

/** A SIP leg's dialog as RFC 3891 names it (Replaces): Call-ID, our tag, the party's tag. */
export interface DialogKey {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/**
 * What any answered leg offers the engine, whichever side it was placed on; a transfer moves such a
 * leg from one call to another (./handed-over-leg.ts).
 */
export interface ConnectedLeg {
  readonly kind: LegKind;
  release(cause: number): void;
  renegotiate?(offer: string): Promise<string>;
  readonly settled: Promise<void>;
  details(): LegDetails;
  /** The party's current session description (its last offer or answer), when the leg knows it. */
  currentSdp?(): string | undefined;
  /** The SIP dialog of an answered SIP leg. */
  dialogKey?(): DialogKey | undefined;
  events: { onRelease?: (cause: number) => void; onOffer?: OfferHandler; onRefer?: (refer: ReferRequest) => void };
}

/** Answers a party's new offer with what the other side of the call says; rejects with OfferRefused. */
export type OfferHandler = (offer: string) => Promise<string>;

/** The leg the call arrived on. */
export interface OriginatingLeg {
  readonly kind: LegKind;
  readonly party: CallParty;
  /** SDP to offer the called side; rejects (with a Q.850 cause in `cause`) when media cannot be set up. */
  prepareOffer(): Promise<string | undefined>;
  /** Early response: 180/183 toward a SIP caller, ACM/CPG toward the network. */
  progress(p: { alerting: boolean; sdp?: string }): void;
  /** Answer: 200 OK / ANM. Resolves false when the caller was gone before it went out. */
  answer(sdp?: string): Promise<boolean>;
  /** Final failure before answer: a SIP failure response or REL with the cause. */
  reject(failure: LegFailure): void;
  /** Release after answer: BYE or REL. */
  release(cause: number): void;
  /**
   * The other side's new offer on the answered call: a re-INVITE to this leg's SIP party, or an MDCX
   * on this leg's gateway connection. Resolves with the answer; rejects with OfferRefused.
   */
  renegotiate?(offer: string): Promise<string>;
  /** Resolves when the leg's resources are free (RLC received, gateway connection deleted). */
  readonly settled: Promise<void>;
  details(): LegDetails;
  /** As ConnectedLeg.currentSdp. */
  currentSdp?(): string | undefined;
  /** As ConnectedLeg.dialogKey. */
  dialogKey?(): DialogKey | undefined;
  events: OriginatingLegEvents;
}

export interface TerminatingLegEvents {
  onProgress?: (p: { alerting: boolean; sdp?: string }) => void;
  onAnswer?: (sdp?: string) => void;
  /** Failure before answer. */
  onFail?: (f: LegFailure) => void;
  /** The called side released after answer. */
  onRelease?: (cause: number) => void;
  /** A new offer from the called party on the answered call. */
  onOffer?: OfferHandler;
  /** The called party asks to transfer the caller (SIP REFER, RFC 3515). */
  onRefer?: (refer: ReferRequest) => void;
}

/** A leg the switch places toward a destination. */
export interface TerminatingLeg {
  readonly kind: LegKind;
  /** Places the call with the originating side's SDP offer. */
  start(offer: string | undefined): void;
  /**
   * Abandon before answer (CANCEL / REL) or release after answer (BYE / REL). `completedElsewhere`:
   * another branch of a fork answered (RFC 3326 Reason on the CANCEL).
   */
  release(cause: number, completedElsewhere?: boolean): void;
  /** As OriginatingLeg.renegotiate. */
  renegotiate?(offer: string): Promise<string>;
  readonly settled: Promise<void>;
  details(): LegDetails;
  currentSdp?(): string | undefined;
  dialogKey?(): DialogKey | undefined;
  events: TerminatingLegEvents;
}

/** Thrown (rejected) by legs that fail before anything was sent, with the Q.850 cause to report. */
export class LegSetupError extends Error {
  constructor(
    override readonly cause: number,
    message: string,
  ) {
    super(message);
    this.name = 'LegSetupError';
  }
}

/**
 * An offer inside a dialog that cannot be taken, with the SIP status to answer it (RFC 3261 §14.2:
 * 488 Not Acceptable Here, 491 Request Pending, 500 Server Internal Error).
 */
export class OfferRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'OfferRefused';
  }
}

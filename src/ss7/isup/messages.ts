import type { IsupMessageType } from './constants.js';
import type { CauseIndicators } from './params/cause.js';
import type {
  BackwardCallIndicators,
  CircuitGroupSupervisionType,
  ContinuityIndicators,
  EventInformation,
  ForwardCallIndicators,
  InformationIndicators,
  InformationRequestIndicators,
  NatureOfConnection,
  OptionalBackwardCallIndicators,
  RangeAndStatus,
  RedirectionInformation,
  SuspendResumeIndicators,
  UserServiceInformation,
} from './params/indicators.js';
import type { GenericDigits, GenericNumber, PartyNumber, SubsequentNumber } from './params/numbers.js';
import type { NetworkIdentification } from './params/ansi.js';

/** Optional parameters with a typed form, by name (codes in params/registry.ts). */
export interface OptionalParamTypes {
  callingPartyNumber: PartyNumber;
  redirectingNumber: PartyNumber;
  redirectionNumber: PartyNumber;
  originalCalledNumber: PartyNumber;
  connectedNumber: PartyNumber;
  /** ITU only (Q.763 §3.30). */
  locationNumber: PartyNumber;
  /** ANSI only (T1.113.3 §3.8b). */
  chargeNumber: PartyNumber;
  /** ITU generic number / ANSI generic address (LRN: qualifier 0xC0 ported number, T1.113.3 §3.24a). */
  genericNumber: GenericNumber;
  genericDigits: GenericDigits;
  /** ANSI only. */
  originatingLineInformation: number;
  /** ANSI only. */
  carrierIdentification: NetworkIdentification;
  /** ANSI only: six digits. */
  jurisdictionInformation: string;
  hopCounter: number;
  transitNetworkSelection: NetworkIdentification;
  causeIndicators: CauseIndicators;
  backwardCallIndicators: BackwardCallIndicators;
  optionalBackwardCallIndicators: OptionalBackwardCallIndicators;
  optionalForwardCallIndicators: number;
  accessTransport: Buffer;
  userToUserInformation: Buffer;
  automaticCongestionLevel: number;
  redirectionInformation: RedirectionInformation;
  userServiceInformation: UserServiceInformation;
  eventInformation: EventInformation;
}

export type OptionalParamName = keyof OptionalParamTypes;

export type KnownOptionalParam = {
  [K in OptionalParamName]: { name: K; value: OptionalParamTypes[K] };
}[OptionalParamName];

/**
 * A parameter passed through untouched: unknown to this variant, or known but with content that
 * did not decode (`malformed`; Q.764 §2.9.5.3 lets the receiver treat it as unrecognized).
 */
export interface UnknownParam {
  name: 'unknown';
  code: number;
  raw: Buffer;
  malformed?: boolean;
}

export type OptionalParam = KnownOptionalParam | UnknownParam;

interface Base<T extends IsupMessageType> {
  type: T;
  /** Circuit identification code: 12 bits ITU (Q.763 §1.2), 14 bits ANSI (T1.113.3 §1.2). */
  cic: number;
}

interface WithOptional {
  /** Optional part in received order. */
  optional: OptionalParam[];
}

export type NoParamsMessage = Base<'CCR' | 'RSC' | 'BLO' | 'UBL' | 'BLA' | 'UBA' | 'UCIC' | 'LPA' | 'OLM' | 'CVT' | 'CRA'>;
export type OptionalOnlyMessage = Base<'ANM' | 'RLC' | 'FOT' | 'FAC' | 'EXM' | 'UPT' | 'UPA'> & WithOptional;

export interface IamMessage extends Base<'IAM'>, WithOptional {
  natureOfConnection: NatureOfConnection;
  forwardCall: ForwardCallIndicators;
  /** Q.763 §3.11: 10 ordinary subscriber, 15 payphone ... */
  callingPartyCategory: number;
  /** ITU mandatory fixed (Q.763 §3.54): 0 speech, 2 64 kbit/s unrestricted, 3 3.1 kHz audio. */
  transmissionMediumRequirement?: number;
  /** ANSI mandatory variable (T1.113.3 §2.1 Table 5). */
  userServiceInformation?: UserServiceInformation;
  calledPartyNumber: PartyNumber;
}

export interface SamMessage extends Base<'SAM'>, WithOptional {
  subsequentNumber: SubsequentNumber;
}

export interface InrMessage extends Base<'INR'>, WithOptional {
  informationRequest: InformationRequestIndicators;
}

export interface InfMessage extends Base<'INF'>, WithOptional {
  information: InformationIndicators;
}

export interface CotMessage extends Base<'COT'> {
  continuity: ContinuityIndicators;
}

export interface BackwardMessage extends Base<'ACM' | 'CON'>, WithOptional {
  backwardCall: BackwardCallIndicators;
}

export interface CauseMessage extends Base<'REL' | 'CFN'>, WithOptional {
  cause: CauseIndicators;
}

export interface SuspendResumeMessage extends Base<'SUS' | 'RES'>, WithOptional {
  suspendResume: SuspendResumeIndicators;
}

export interface RangeMessage extends Base<'GRS' | 'GRA' | 'CQM'> {
  rangeAndStatus: RangeAndStatus;
}

export interface GroupSupervisionMessage extends Base<'CGB' | 'CGU' | 'CGBA' | 'CGUA'> {
  supervisionType: CircuitGroupSupervisionType;
  rangeAndStatus: RangeAndStatus;
}

export interface CqrMessage extends Base<'CQR'> {
  rangeAndStatus: RangeAndStatus;
  /** Q.763 §3.14: one octet per circuit of the range. */
  circuitState: Buffer;
}

export interface CpgMessage extends Base<'CPG'>, WithOptional {
  eventInformation: EventInformation;
}

export interface UsrMessage extends Base<'USR'>, WithOptional {
  userToUserInformation: Buffer;
}

/** Pass-along (Q.763 §1.3 Table 23): an embedded message, type code first, kept raw. */
export interface PamMessage extends Base<'PAM'> {
  embedded: Buffer;
}

/** ANSI circuit reservation (T1.113.3 §2.19). */
export interface CrmMessage extends Base<'CRM'> {
  natureOfConnection: NatureOfConnection;
}

/** ANSI circuit validation response (T1.113.3 §2.20). */
export interface CvrMessage extends Base<'CVR'>, WithOptional {
  cvrResponse: number;
  circuitGroupCharacteristics: number;
}

export type IsupMessage =
  | NoParamsMessage
  | OptionalOnlyMessage
  | IamMessage
  | SamMessage
  | InrMessage
  | InfMessage
  | CotMessage
  | BackwardMessage
  | CauseMessage
  | SuspendResumeMessage
  | RangeMessage
  | GroupSupervisionMessage
  | CqrMessage
  | CpgMessage
  | UsrMessage
  | PamMessage
  | CrmMessage
  | CvrMessage;

/** The message type with the given mnemonic (e.g. IsupMessageOf<'CFN'> is a CauseMessage with type 'CFN'). */
export type IsupMessageOf<T extends IsupMessageType> = IsupMessage extends infer M
  ? M extends { type: infer U }
    ? T extends U
      ? M & { type: T }
      : never
    : never
  : never;

export type IsupErrorReason = 'format-error' | 'unknown-message' | 'not-in-variant' | 'invalid-mandatory';

/**
 * A message that cannot be taken in. `cause` is the Q.850 value to report in CFN when the spec
 * asks for one (Q.764 §2.9.5.1: 97 unrecognized message; 100 invalid mandatory parameter);
 * format errors (truncated, pointers outside the message) carry no cause: discard.
 */
export interface IsupDecodeError {
  type: 'error';
  reason: IsupErrorReason;
  detail: string;
  cic?: number;
  messageCode?: number;
  cause?: number;
}

export function isIsupError(v: IsupMessage | IsupDecodeError): v is IsupDecodeError {
  return v.type === 'error';
}

/** First optional parameter of that name, typed. */
export function findOptional<K extends OptionalParamName>(
  msg: { optional?: OptionalParam[] },
  name: K,
): OptionalParamTypes[K] | undefined {
  const list = msg.optional;
  if (!list) return undefined;
  for (const p of list) if (p.name === name) return (p as unknown as { value: OptionalParamTypes[K] }).value;
  return undefined;
}

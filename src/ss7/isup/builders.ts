/**
 * Builders of the messages basic call control sends, with the indicator values a US access
 * tandem (ANSI) or an ITU exchange expects from a SIP-interworking switch.
 */
import type { Variant } from '../variant.js';
import { CauseLocation } from './constants.js';
import type { CauseMessage, IamMessage, IsupMessage, OptionalParam } from './messages.js';
import { causeIndicators } from './params/cause.js';
import type { BackwardCallIndicators } from './params/indicators.js';
import { partyNumber } from './params/numbers.js';

/** Nature of address (Q.763 §3.9 b); T1.113.3 §3.9). */
export const NAI = { SUBSCRIBER: 1, UNKNOWN: 2, NATIONAL: 3, INTERNATIONAL: 4 } as const;

/** T1.113.3 §3.24a: generic address type "ported number" carries the dialled number when the called number is an LRN. */
export const GAP_TYPE_PORTED_NUMBER = 0xc0;

export interface IamRequest {
  cic: number;
  variant: Variant;
  /** Digits as routed (national significant number for NANP, e.g. 10 digits). */
  called: string;
  calledNai?: number;
  calling?: string;
  callingNai?: number;
  /** Calling number presentation restricted (SIP privacy: id). */
  callingRestricted?: boolean;
  /** When the number was ported: the LRN goes in the called party number and the dialled number in GAP (ANSI). */
  lrn?: string;
  /** Calling party's category (Q.763 §3.11): 10 ordinary subscriber. */
  callingPartyCategory?: number;
  /** ANSI Jurisdiction Information (six digits, NPA-NXX of the originating switch). */
  jurisdiction?: string;
}

/** IAM for a speech call interworked from SIP (Q.764 §2.1.1; T1.113.4 §2.1.1; RFC 3398 §7.1.1). */
export function buildIam(req: IamRequest): IamMessage {
  const ported = req.lrn !== undefined && req.lrn !== req.called;
  const optional: OptionalParam[] = [];
  if (req.calling) {
    optional.push({
      name: 'callingPartyNumber',
      value: partyNumber(req.calling, {
        nai: req.callingNai ?? NAI.NATIONAL,
        presentation: req.callingRestricted ? 1 : 0,
        // Screening 3: network provided (the switch asserted it from the trunk's P-Asserted-Identity).
        screening: 3,
      }),
    });
  }
  if (ported && req.variant === 'ansi') {
    optional.push({
      name: 'genericNumber',
      value: { ...partyNumber(req.called, { nai: req.calledNai ?? NAI.NATIONAL }), qualifier: GAP_TYPE_PORTED_NUMBER },
    });
  }
  if (req.variant === 'ansi' && req.jurisdiction) optional.push({ name: 'jurisdictionInformation', value: req.jurisdiction });
  if (req.variant === 'ansi') optional.push({ name: 'hopCounter', value: 20 });
  return {
    type: 'IAM',
    cic: req.cic,
    natureOfConnection: { satellite: 0, continuityCheck: 0, echoControl: false, other: 0 },
    forwardCall: {
      international: false,
      endToEndMethod: 0,
      // RFC 3398 §7.1.1: interworking encountered, ISUP not used all the way, ISDN access not.
      interworking: true,
      endToEndInfo: false,
      isupAllTheWay: false,
      isupPreference: 0,
      isdnAccess: false,
      sccpMethod: 0,
      portedNumberTranslated: ported,
      other: 0,
    },
    callingPartyCategory: req.callingPartyCategory ?? 10,
    ...(req.variant === 'ansi'
      ? { userServiceInformation: { codingStandard: 0, transferCapability: 0, transferMode: 0, transferRate: 16, extra: Buffer.from([0xa2]) } }
      : { transmissionMediumRequirement: 3 }),
    calledPartyNumber: partyNumber(ported ? req.lrn! : req.called, { nai: req.calledNai ?? NAI.NATIONAL }),
    optional,
  };
}

function backwardIndicators(): BackwardCallIndicators {
  return {
    charge: 2,
    calledStatus: 1,
    calledCategory: 1,
    endToEndMethod: 0,
    interworking: false,
    endToEndInfo: false,
    isupAllTheWay: true,
    holding: false,
    isdnAccess: false,
    echoControl: false,
    sccpMethod: 0,
    other: 0,
  };
}

/** ACM: subscriber free, charge, ordinary subscriber (Q.764 §2.1.4). */
export function buildAcm(cic: number): IsupMessage {
  return { type: 'ACM', cic, backwardCall: backwardIndicators(), optional: [] };
}

export function buildAnm(cic: number): IsupMessage {
  return { type: 'ANM', cic, optional: [] };
}

/** CPG with event "alerting" (1) or "progress" (2). */
export function buildCpg(cic: number, event: 1 | 2 = 1): IsupMessage {
  return { type: 'CPG', cic, eventInformation: { event, presentationRestricted: false, other: 0 }, optional: [] };
}

export function buildRel(cic: number, cause: number, location: number = CauseLocation.PUBLIC_LOCAL): CauseMessage {
  return { type: 'REL', cic, cause: causeIndicators(cause, location), optional: [] };
}

export function buildRlc(cic: number): IsupMessage {
  return { type: 'RLC', cic, optional: [] };
}

export function buildRsc(cic: number): IsupMessage {
  return { type: 'RSC', cic };
}
